import { type ChildProcess, execFile, spawn } from "node:child_process";
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { findCommand, requirePeer } from "@factory/core/testing";

const exec = promisify(execFile);

/** CUPS with the cups-pdf backend, and the poppler/zbar tools that read what it printed. */
export const hasCups = (): boolean =>
  requirePeer({
    name: "CUPS spooler with cups-pdf, poppler-utils and zbar-tools",
    commands: [
      "cupsd",
      "lpadmin",
      "cupsdisable",
      "cupsenable",
      "pdftoppm",
      "pdftotext",
      "zbarimg",
      "/usr/lib/cups/backend/cups-pdf",
    ],
    install: "bash packages/printers/scripts/ci-deps.sh",
  });

export interface CupsPeer {
  port: number;
  queue: string;
  /** `ipp://127.0.0.1:<port>/printers/<queue>` */
  url: string;
  /** Where cups-pdf writes the printed PDFs. */
  outDir: string;
  /** Runs a CUPS client command (lpadmin, cupsdisable…) against this spooler. */
  admin(command: string, args: string[]): Promise<string>;
  /** The PDF cups-pdf wrote for CUPS job `jobNumber`, waiting up to `timeoutMs`. */
  printed(jobNumber: number, timeoutMs?: number): Promise<Buffer>;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return typeof address === "object" && address ? address.port : 0;
}

/**
 * Starts a private cupsd (own ServerRoot, spool, logs and port on loopback) with one cups-pdf
 * queue. cups-pdf reads its settings only from /etc/cups, so a per-queue file
 * `/etc/cups/cups-pdf-<name>.conf` (selected by the device URI `cups-pdf:/<name>`) points its
 * output into the temp dir; `stop()` removes it again.
 */
export async function startCups(queue = "LABEL"): Promise<CupsPeer> {
  const dir = await mkdtemp(path.join(tmpdir(), "printers-cups-"));
  await chmod(dir, 0o755);
  for (const sub of ["spool", "cache", "state", "log", "out"]) await mkdir(path.join(dir, sub));
  await mkdir(path.join(dir, "tmp"), { mode: 0o1777 });
  await chmod(path.join(dir, "tmp"), 0o1777);
  const port = await freePort();
  await writeFile(
    path.join(dir, "cupsd.conf"),
    [
      `Listen 127.0.0.1:${port}`,
      `Listen ${dir}/cups.sock`,
      "LogLevel info",
      "WebInterface No",
      "Browsing No",
      "DefaultAuthType None",
      "DefaultPolicy default",
      "<Location />",
      "  Order allow,deny",
      "  Allow all",
      "</Location>",
      "<Policy default>",
      "  <Limit All>",
      "    Order allow,deny",
      "    Allow all",
      "  </Limit>",
      "</Policy>",
      "",
    ].join("\n"),
  );
  await writeFile(
    path.join(dir, "cups-files.conf"),
    [
      `ServerRoot ${dir}`,
      `RequestRoot ${dir}/spool`,
      `TempDir ${dir}/tmp`,
      `CacheDir ${dir}/cache`,
      `StateDir ${dir}/state`,
      `ErrorLog ${dir}/log/error_log`,
      `AccessLog ${dir}/log/access_log`,
      `PageLog ${dir}/log/page_log`,
      `Printcap ${dir}/printcap`,
      "SystemGroup root",
      "FileDevice No",
      "",
    ].join("\n"),
  );
  const pdfName = `factory-test-${process.pid}-${port}`;
  const pdfConf = `/etc/cups/cups-pdf-${pdfName}.conf`;
  await writeFile(pdfConf, `Out ${dir}/out\nAnonDirName ${dir}/out\nAnonUser root\n`);
  const cupsd = findCommand("cupsd") ?? "/usr/sbin/cupsd";
  const child: ChildProcess = spawn(
    cupsd,
    ["-f", "-c", `${dir}/cupsd.conf`, "-s", `${dir}/cups-files.conf`],
    {
      stdio: "ignore",
    },
  );
  const env = { ...process.env, CUPS_SERVER: `127.0.0.1:${port}` };
  const admin = async (command: string, args: string[]): Promise<string> =>
    (await exec(findCommand(command) ?? command, args, { env, timeout: 20_000 })).stdout;
  const stop = async (): Promise<void> => {
    if (child.exitCode === null) {
      child.kill("SIGTERM");
      await new Promise((resolve) => {
        const t = setTimeout(() => {
          child.kill("SIGKILL");
          resolve(undefined);
        }, 3000);
        child.once("exit", () => {
          clearTimeout(t);
          resolve(undefined);
        });
      });
    }
    await rm(pdfConf, { force: true });
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const started = Date.now();
    for (;;) {
      try {
        await exec(findCommand("lpstat") ?? "lpstat", ["-r"], { env, timeout: 2000 });
        break;
      } catch {
        if (Date.now() - started > 15_000 || child.exitCode !== null) {
          const log = await readFile(`${dir}/log/error_log`, "utf8").catch(() => "");
          throw new Error(`cupsd did not start on port ${port}: ${log.slice(-1000)}`);
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    await admin("lpadmin", [
      "-p",
      queue,
      "-E",
      "-v",
      `cups-pdf:/${pdfName}`,
      "-P",
      "/usr/share/ppd/cups-pdf/CUPS-PDF_opt.ppd",
    ]);
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    port,
    queue,
    url: `ipp://127.0.0.1:${port}/printers/${queue}`,
    outDir: `${dir}/out`,
    admin,
    async printed(jobNumber, timeoutMs = 20_000) {
      const started = Date.now();
      for (;;) {
        const files = await readdir(`${dir}/out`).catch(() => [] as string[]);
        const file = files.find((f) => f.endsWith(`job_${jobNumber}.pdf`));
        if (file) {
          const bytes = await readFile(`${dir}/out/${file}`);
          // cups-pdf writes the file in place: wait for the trailer.
          if (bytes.includes("%%EOF")) return bytes;
        }
        if (Date.now() - started > timeoutMs)
          throw new Error(`cups-pdf wrote no PDF for job ${jobNumber} in ${dir}/out`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    stop,
  };
}
