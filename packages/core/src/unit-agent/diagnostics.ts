import { execFile } from "node:child_process";
import { open } from "node:fs/promises";
import { throwIfAborted } from "../abort";

export interface DiagnosticsOptions {
  /** Log files whose tails go into the report (seed: bootstrap and guest-setup logs). */
  logs?: readonly string[];
  /** systemd units whose `systemctl status` goes into the report. */
  services?: readonly string[];
  /** Bytes kept from the end of each log and of each command's output (default 65 536). */
  tailBytes?: number;
  /** Bound of each command, ms (default 10 000). */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** The last `bytes` bytes of a file as text, or undefined when it cannot be read. */
export async function tailFile(file: string, bytes: number): Promise<string | undefined> {
  try {
    const fh = await open(file, "r");
    try {
      const { size } = await fh.stat();
      const length = Math.min(size, bytes);
      const buf = Buffer.alloc(length);
      await fh.read(buf, 0, length, size - length);
      return buf.toString("utf8");
    } finally {
      await fh.close();
    }
  } catch {
    return undefined;
  }
}

/**
 * The seed's diagnostic data for a failure report, in the same sections as factory-agent.sh:
 * log tails, `systemctl status` of the services and `systemctl --failed`, `ip addr`/`ip route`,
 * `ss -tlnp`, and /etc/network/interfaces, /etc/resolv.conf, /etc/hosts. Missing tools and files
 * are noted, never fatal; every command is bounded.
 */
export async function collectDiagnostics(o: DiagnosticsOptions = {}): Promise<string> {
  const tail = o.tailBytes ?? 65_536;
  const parts: string[] = [];
  const section = (title: string, body: string) =>
    parts.push(`===== ${title} =====\n${body === "" ? "(empty)\n" : body}\n`);
  for (const file of o.logs ?? []) {
    throwIfAborted(o.signal);
    const text = await tailFile(file, tail);
    if (text === undefined) parts.push(`===== ${file} =====\n(missing)\n\n`);
    else section(`${file} (last ${tail} bytes)`, text);
  }
  const commands: string[][] = [];
  if (o.services && o.services.length > 0)
    commands.push(["systemctl", "status", "--no-pager", "--lines=30", ...o.services]);
  commands.push(["systemctl", "--failed", "--no-pager"], ["ip", "addr", "show"], ["ip", "route", "show"]);
  commands.push(["ip", "-6", "route", "show"], ["ss", "-tlnp"]);
  for (const [file, ...args] of commands) {
    throwIfAborted(o.signal);
    const out = await capture(file!, args, o.timeoutMs ?? 10_000, o.signal);
    if (out !== undefined) section([file, ...args].join(" "), out.slice(-tail));
  }
  for (const file of ["/etc/network/interfaces", "/etc/resolv.conf", "/etc/hosts"]) {
    const text = await tailFile(file, tail);
    if (text !== undefined) section(file, text);
  }
  return parts.join("");
}

function capture(
  file: string,
  args: string[],
  timeout: number,
  signal?: AbortSignal,
): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile(
      file,
      args,
      { timeout, maxBuffer: 4 << 20, ...(signal && { signal }) },
      (error, stdout, stderr) => {
        if (error && (error as NodeJS.ErrnoException).code === "ENOENT") return resolve(undefined);
        resolve(`${String(stdout)}${String(stderr)}`);
      },
    );
  });
}
