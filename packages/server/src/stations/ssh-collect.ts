import { createHash } from "node:crypto";
import { createError, ErrorCodes, type Logger, noopLogger, throwIfAborted } from "@factory/core";
import { Client, type ClientChannel, type ConnectConfig } from "ssh2";

const PKG = "server/debug-station";

/** One item of the seed's log list: a file to read or a command to run on the unit. */
export type LogItem = { name: string; file: string } | { name: string; command: string };

/** Seed 002, "Debug Station (Port 22)": what is pulled from a failed unit, in order. */
export const SEED_LOG_LIST: readonly LogItem[] = [
  { name: "/tmp/privatebox-bootstrap.log", file: "/tmp/privatebox-bootstrap.log" },
  { name: "/var/log/privatebox-guest-setup.log", file: "/var/log/privatebox-guest-setup.log" },
  { name: "journalctl -u portainer.service", command: "journalctl --no-pager -u portainer.service" },
  { name: "journalctl -u semaphore.service", command: "journalctl --no-pager -u semaphore.service" },
  { name: "systemctl --failed", command: "systemctl --failed --no-pager" },
  { name: "ip addr show", command: "ip addr show" },
  { name: "ss -tlnp", command: "ss -tlnp" },
];

/** How a file item is read: a missing file answers exit status 44 and nothing else. */
const MISSING = 44;
const quote = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;
export const fileCommand = (file: string) =>
  `if [ -e ${quote(file)} ]; then cat -- ${quote(file)}; else exit ${MISSING}; fi`;

export interface SshTarget {
  host: string;
  port: number;
  username: string;
  password?: string;
  privateKey?: Buffer | string;
  passphrase?: string;
  /** `undefined`: any host key. Otherwise the accepted `SHA256:…` fingerprints (OpenSSH format). */
  hostKeySha256?: readonly string[];
  connectTimeoutMs: number;
}

export interface CollectOptions {
  items?: readonly LogItem[];
  commandTimeoutMs: number;
  maxOutputBytes: number;
  signal?: AbortSignal;
  logger?: Logger;
}

/** The `SHA256:…` fingerprint of a raw SSH public key blob, as `ssh-keygen -lf` prints it. */
export function sshFingerprint(key: Buffer): string {
  return `SHA256:${createHash("sha256").update(key).digest("base64").replace(/=+$/, "")}`;
}

/**
 * Connects to the unit over SSH (bounded by `connectTimeoutMs`, host key checked by policy) and
 * runs every item of the log list, each bounded by `commandTimeoutMs` and cut at
 * `maxOutputBytes`. Returns name → output; an item that could not be read is recorded as such
 * (`[missing] …`, `[exit status N]`, `[timed out after …]`) and the rest still run. Rejects only
 * when the unit cannot be reached or refuses the login (`SSH_CONNECT_FAILED`, `SSH_AUTH_FAILED`,
 * `SSH_HOST_KEY_REJECTED`, `TIMEOUT`, `ABORTED`).
 */
export async function collectLogs(
  target: SshTarget,
  options: CollectOptions,
): Promise<Record<string, string>> {
  const log = options.logger ?? noopLogger;
  throwIfAborted(options.signal, PKG);
  const client = await connect(target, options.signal);
  try {
    const entries: Record<string, string> = {};
    for (const item of options.items ?? SEED_LOG_LIST) {
      throwIfAborted(options.signal, PKG);
      const command = "file" in item ? fileCommand(item.file) : item.command;
      const r = await run(client, command, options);
      let text = r.output;
      if (r.truncated) text += `\n[cut at ${options.maxOutputBytes} bytes]`;
      if (r.timedOut) text += `\n[timed out after ${options.commandTimeoutMs} ms]`;
      else if ("file" in item && r.code === MISSING)
        text = `[missing] ${item.file}: no such file on the unit`;
      else if (r.code !== 0) text += `\n[exit status ${r.code ?? r.signal ?? "unknown"}]`;
      entries[item.name] = text;
      log.debug("debug station: collected", { item: item.name, bytes: r.output.length, code: r.code });
    }
    return entries;
  } finally {
    client.end();
  }
}

function connect(target: SshTarget, signal: AbortSignal | undefined): Promise<Client> {
  return new Promise((resolve, reject) => {
    const client = new Client();
    let hostKeyRejected = false;
    let settled = false;
    const finish = (error?: unknown) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener("abort", onAbort);
      if (error) {
        client.end();
        reject(error);
      } else resolve(client);
    };
    const onAbort = () => finish(createError(PKG, ErrorCodes.ABORTED, "SSH login cancelled"));
    signal?.addEventListener("abort", onAbort, { once: true });
    const config: ConnectConfig = {
      host: target.host,
      port: target.port,
      username: target.username,
      readyTimeout: target.connectTimeoutMs,
      keepaliveInterval: 5000,
      ...(target.password !== undefined && { password: target.password }),
      ...(target.privateKey !== undefined && { privateKey: target.privateKey }),
      ...(target.passphrase !== undefined && { passphrase: target.passphrase }),
      hostVerifier: (key: Buffer) => {
        if (!target.hostKeySha256) return true;
        const ok = target.hostKeySha256.includes(sshFingerprint(key));
        hostKeyRejected = !ok;
        return ok;
      },
    };
    client.on("ready", () => finish());
    client.on("error", (error: Error & { level?: string }) => {
      const where = `${target.username}@${target.host}:${target.port}`;
      if (hostKeyRejected) {
        finish(
          createError(
            PKG,
            "SSH_HOST_KEY_REJECTED",
            `The unit at ${where} showed a host key that is not listed`,
            {
              cause: error,
            },
          ),
        );
      } else if (error.level === "client-authentication") {
        finish(
          createError(PKG, "SSH_AUTH_FAILED", `The unit at ${where} refused the login`, { cause: error }),
        );
      } else if (/timed out/i.test(error.message)) {
        finish(
          createError(
            PKG,
            ErrorCodes.TIMEOUT,
            `No SSH answer from ${where} within ${target.connectTimeoutMs} ms`,
            {
              cause: error,
            },
          ),
        );
      } else {
        finish(
          createError(PKG, "SSH_CONNECT_FAILED", `Cannot reach the unit at ${where}: ${error.message}`, {
            cause: error,
            retryable: true,
          }),
        );
      }
    });
    try {
      client.connect(config);
    } catch (error) {
      finish(
        createError(PKG, ErrorCodes.CONFIG_INVALID, `SSH settings rejected: ${(error as Error).message}`, {
          cause: error,
        }),
      );
    }
  });
}

interface RunResult {
  output: string;
  code: number | undefined;
  signal: string | undefined;
  timedOut: boolean;
  truncated: boolean;
}

function run(client: Client, command: string, options: CollectOptions): Promise<RunResult> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let truncated = false;
    let timedOut = false;
    let channel: ClientChannel | undefined;
    let done = false;
    const finish = (code: number | undefined, sig: string | undefined) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      options.signal?.removeEventListener("abort", onAbort);
      resolve({ output: Buffer.concat(chunks).toString("utf8"), code, signal: sig, timedOut, truncated });
    };
    const stop = () => {
      try {
        channel?.signal("KILL");
      } catch {
        // Servers that do not take signals: closing the channel is enough.
      }
      channel?.close();
    };
    const timer = setTimeout(() => {
      timedOut = true;
      stop();
      finish(undefined, undefined);
    }, options.commandTimeoutMs);
    const onAbort = () => {
      stop();
      finish(undefined, "cancelled");
    };
    options.signal?.addEventListener("abort", onAbort, { once: true });
    const take = (data: Buffer) => {
      if (truncated) return;
      const room = options.maxOutputBytes - size;
      if (data.length > room) {
        chunks.push(data.subarray(0, room));
        size = options.maxOutputBytes;
        truncated = true;
        stop();
        return;
      }
      chunks.push(data);
      size += data.length;
    };
    client.exec(command, (error, ch) => {
      if (error) {
        chunks.push(Buffer.from(`[not run: ${error.message}]`));
        finish(undefined, "exec-failed");
        return;
      }
      channel = ch;
      ch.on("data", take);
      ch.stderr.on("data", take);
      let exit: { code: number | undefined; signal: string | undefined } | undefined;
      // Output may still be in flight after "exit": the result is taken on "close".
      ch.on("exit", (code: number | null, sig?: string) => {
        exit = { code: code ?? undefined, signal: sig ?? undefined };
      });
      ch.on("close", () => finish(exit?.code, exit?.signal ?? (truncated ? "cut" : undefined)));
    });
  });
}
