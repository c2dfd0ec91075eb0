import {
  abortedError,
  ErrorCodes,
  type Logger,
  noopLogger,
  type SignalOptions,
  type TimeoutOptions,
  withDeadline,
} from "@factory/core";
import ssh2 from "ssh2";
import { PKG, ProcurveErrorCodes, procurveError } from "../errors";
import { stripAnsi } from "./parse";

export interface ProcurveCliOptions {
  host: string;
  /** SSH port (22). */
  port?: number;
  /** Login name (`manager`, `operator`). */
  username: string;
  /** A secret: never logged. */
  password?: string;
  /** OpenSSH or PEM private key. A secret: never logged. */
  privateKey?: string | Buffer;
  passphrase?: string;
  /** SHA-256 fingerprint (base64, as `ssh-keygen -l` prints after `SHA256:`) the host key must have. */
  hostKeySha256?: string;
  /** Offer the old key exchange, host key and cipher algorithms ProCurve firmware speaks (true). */
  legacyAlgorithms?: boolean;
  /** Connect + login bound, ms (15000). */
  connectTimeoutMs?: number;
  /** One command's bound, ms (15000). */
  commandTimeoutMs?: number;
}

/** Modern algorithms first, then what older ProCurve firmware offers. */
const LEGACY: ssh2.Algorithms = {
  kex: [
    "curve25519-sha256",
    "curve25519-sha256@libssh.org",
    "ecdh-sha2-nistp256",
    "diffie-hellman-group14-sha256",
    "diffie-hellman-group-exchange-sha256",
    "diffie-hellman-group14-sha1",
    "diffie-hellman-group-exchange-sha1",
    "diffie-hellman-group1-sha1",
  ],
  serverHostKey: ["ssh-ed25519", "ecdsa-sha2-nistp256", "rsa-sha2-512", "rsa-sha2-256", "ssh-rsa", "ssh-dss"],
  cipher: ["aes128-gcm@openssh.com", "aes128-ctr", "aes256-ctr", "aes128-cbc", "aes256-cbc", "3des-cbc"],
  hmac: ["hmac-sha2-256", "hmac-sha2-512", "hmac-sha1"],
};

const PROMPT = /(?:^|\n)([^\s#>]+?(?:\([^)\n]*\))?)([#>]) ?$/;
const MORE = /-- MORE --[^\n]*$/;
const ANY_KEY = /Press any key to continue/i;

/**
 * A login shell on a ProCurve CLI over SSH: answers the banner's "Press any key to continue",
 * turns paging off (`no page`), and runs one command at a time up to the next prompt, paging
 * through `-- MORE --` if the pager is still on. Output comes back without VT100 escapes.
 */
export class ProcurveCli {
  private client: ssh2.Client | undefined;
  private stream: ssh2.ClientChannel | undefined;
  private buffer = "";
  private onData: (() => void) | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private connecting: Promise<void> | undefined;
  /** Text shown before the first prompt (copyright, model line). */
  banner = "";
  /** The prompt name, e.g. `ProCurve-2810`. */
  hostname = "";

  constructor(
    private readonly options: ProcurveCliOptions,
    private readonly logger: Logger = noopLogger,
  ) {
    if (!options.host) throw procurveError(ErrorCodes.INVALID_ARGUMENT, "The SSH CLI needs a host");
    if (!options.username) throw procurveError(ErrorCodes.INVALID_ARGUMENT, "The SSH CLI needs a username");
    if (options.password === undefined && options.privateKey === undefined) {
      throw procurveError(ErrorCodes.INVALID_ARGUMENT, "The SSH CLI needs a password or a private key");
    }
  }

  private get label(): string {
    return `${this.options.host}:${this.options.port ?? 22}`;
  }

  /** Runs one command and returns its output (without the echo and the prompt). */
  run(command: string, options: TimeoutOptions = {}): Promise<string> {
    if (/[\r\n]/.test(command)) throw procurveError(ErrorCodes.INVALID_ARGUMENT, "A CLI command is one line");
    const job = this.queue.then(() =>
      withDeadline(
        `CLI command "${command}" on ${this.label}`,
        { signal: options.signal, timeoutMs: options.timeoutMs ?? this.options.commandTimeoutMs ?? 15_000 },
        async (signal) => {
          await this.connect({ signal });
          const text = await this.exchange(command, signal);
          if (/^\s*Invalid input:/m.test(text)) {
            throw procurveError(
              ProcurveErrorCodes.CLI_ERROR,
              `${this.label} rejected "${command}": ${text.trim()}`,
              {
                details: { command },
              },
            );
          }
          return text;
        },
        PKG,
      ).catch((error: unknown) => {
        // Cut off mid-output: the shell's state is unknown, so the next command starts a new session.
        const code = (error as { code?: string }).code;
        if (code === ErrorCodes.TIMEOUT || code === ErrorCodes.ABORTED) this.drop();
        throw error;
      }),
    );
    this.queue = job.catch(() => undefined);
    return job;
  }

  /** Opens the session if needed. Rejects with SWITCH_AUTH_FAILED, SWITCH_UNREACHABLE or TIMEOUT. */
  connect(options: SignalOptions = {}): Promise<void> {
    if (this.stream) return Promise.resolve();
    this.connecting ??= withDeadline(
      `SSH login to ${this.label}`,
      { signal: options.signal, timeoutMs: this.options.connectTimeoutMs ?? 15_000 },
      (signal) => this.open(signal),
      PKG,
    ).finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  /** Logs out politely (answering the log-out and save questions) and closes the connection. */
  async close(): Promise<void> {
    const stream = this.stream;
    if (stream) {
      try {
        stream.write("logout\r");
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, 1000);
          const check = (): void => {
            if (/Do you want to log out/i.test(this.buffer)) {
              this.buffer = "";
              stream.write("y");
            }
            if (/Do you want to save the current/i.test(this.buffer)) {
              this.buffer = "";
              stream.write("n");
            }
          };
          this.onData = check;
          stream.once("close", () => {
            clearTimeout(timer);
            resolve();
          });
        });
      } catch {
        // The switch may already have closed the channel.
      }
    }
    this.drop();
  }

  private async open(signal: AbortSignal): Promise<void> {
    const o = this.options;
    const client = new ssh2.Client();
    this.client = client;
    const legacy = o.legacyAlgorithms !== false;
    await new Promise<void>((resolve, reject) => {
      const fail = (error: Error & { level?: string }): void => {
        client.removeAllListeners("ready");
        const auth = error.level === "client-authentication";
        reject(
          procurveError(
            auth ? ErrorCodes.SWITCH_AUTH_FAILED : ErrorCodes.SWITCH_UNREACHABLE,
            auth
              ? `${this.label} refused the SSH login for "${o.username}"`
              : `SSH to ${this.label} failed: ${error.message}`,
            { cause: error, details: { target: this.label, username: o.username }, retryable: !auth },
          ),
        );
      };
      const onAbort = (): void => {
        client.end();
        reject(abortedError(signal, PKG));
      };
      signal.addEventListener("abort", onAbort, { once: true });
      client.once("ready", () => {
        signal.removeEventListener("abort", onAbort);
        resolve();
      });
      client.once("error", fail);
      client.connect({
        host: o.host,
        port: o.port ?? 22,
        username: o.username,
        ...(o.password === undefined ? {} : { password: o.password }),
        ...(o.privateKey === undefined ? {} : { privateKey: o.privateKey }),
        ...(o.passphrase === undefined ? {} : { passphrase: o.passphrase }),
        tryKeyboard: o.password !== undefined,
        readyTimeout: o.connectTimeoutMs ?? 15_000,
        ...(legacy ? { algorithms: LEGACY } : {}),
        ...(o.hostKeySha256
          ? {
              hostHash: "sha256",
              hostVerifier: (hash: string) =>
                Buffer.from(hash, "hex").toString("base64").replace(/=+$/, "") ===
                o.hostKeySha256!.replace(/^SHA256:/, "").replace(/=+$/, ""),
            }
          : {}),
      });
      if (o.password !== undefined) {
        client.on("keyboard-interactive", (_n, _i, _l, prompts, finish) =>
          finish(prompts.map(() => o.password!)),
        );
      }
    });
    client.on("error", (error) =>
      this.logger.warn("SSH connection error", { target: this.label, error: error.message }),
    );
    client.on("close", () => {
      if (this.client === client) this.drop();
    });
    const stream = await new Promise<ssh2.ClientChannel>((resolve, reject) => {
      client.shell({ term: "vt100", cols: 200, rows: 1000 }, (error, s) => {
        if (error)
          reject(
            procurveError(ErrorCodes.SWITCH_UNREACHABLE, `${this.label} refused a shell: ${error.message}`),
          );
        else resolve(s);
      });
    });
    this.stream = stream;
    this.buffer = "";
    stream.on("data", (chunk: Buffer) => {
      this.buffer += stripAnsi(chunk.toString("latin1"));
      this.onData?.();
    });
    stream.on("close", () => {
      if (this.stream === stream) this.drop();
    });
    // Banner, then "Press any key to continue" (answered with RETURN), then the prompt.
    const first = await this.waitFor((b) => ANY_KEY.test(b) || PROMPT.test(b), signal);
    let banner = first;
    if (ANY_KEY.test(first) && !PROMPT.test(first)) {
      this.buffer = "";
      stream.write("\r");
      banner += await this.waitFor((b) => PROMPT.test(b), signal);
    }
    const m = PROMPT.exec(banner);
    this.hostname = m?.[1] ?? "";
    this.banner = banner
      .slice(0, m?.index ?? banner.length)
      .replace(ANY_KEY, "")
      .trim();
    this.buffer = "";
    await this.exchange("no page", signal).catch(() => undefined);
    this.logger.debug("CLI session open", { target: this.label, prompt: this.hostname });
  }

  private async exchange(command: string, signal: AbortSignal): Promise<string> {
    const stream = this.stream;
    if (!stream)
      throw procurveError(ErrorCodes.SWITCH_UNREACHABLE, `The SSH session to ${this.label} closed`);
    this.buffer = "";
    stream.write(`${command}\r`);
    let output = "";
    for (;;) {
      const text = await this.waitFor((b) => MORE.test(b) || PROMPT.test(b.slice(command.length)), signal);
      if (MORE.test(text)) {
        output += text.replace(MORE, "");
        this.buffer = "";
        stream.write(" ");
        continue;
      }
      output += text;
      break;
    }
    this.buffer = "";
    const lines = output.split("\n");
    const echo = lines.findIndex((l) => l.includes(command));
    const body = lines.slice(echo >= 0 ? echo + 1 : 0);
    body.pop(); // the prompt line
    return body.join("\n");
  }

  private waitFor(done: (buffer: string) => boolean, signal: AbortSignal): Promise<string> {
    return new Promise<string>((resolve, reject) => {
      const check = (): void => {
        if (done(this.buffer)) {
          cleanup();
          resolve(this.buffer);
        } else if (!this.stream) {
          cleanup();
          reject(procurveError(ErrorCodes.SWITCH_UNREACHABLE, `The SSH session to ${this.label} closed`));
        }
      };
      const onAbort = (): void => {
        cleanup();
        reject(abortedError(signal, PKG));
      };
      const cleanup = (): void => {
        this.onData = undefined;
        signal.removeEventListener("abort", onAbort);
      };
      signal.addEventListener("abort", onAbort, { once: true });
      this.onData = check;
      check();
    });
  }

  private drop(): void {
    const { client, stream } = this;
    this.client = undefined;
    this.stream = undefined;
    this.onData?.();
    try {
      stream?.end();
      client?.end();
    } catch {
      // Already gone.
    }
  }
}
