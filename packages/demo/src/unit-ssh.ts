import { createHash } from "node:crypto";
import type { AddressInfo } from "node:net";
import { constantTimeEqual, createError, ErrorCodes, type Logger, noopLogger } from "@factory/core";
import ssh2, { type AuthContext, type Connection, type ParsedKey } from "ssh2";
import type { ShellResult } from "./unit-shell";

export interface UnitSshOptions {
  /** Address to listen on (default 127.0.0.1); the port is picked free. */
  host?: string;
  /** The one account that may log in (the unit's `root`). */
  username: string;
  /** Public keys (OpenSSH `authorized_keys` lines) that may log in. */
  authorizedKeys?: readonly string[];
  /** A password that may log in (compared in constant time, never logged). */
  password?: string;
  /** Runs one `exec` request's command line. */
  run(command: string): Promise<ShellResult>;
  logger?: Logger;
}

export interface UnitSsh {
  /** The TCP port it listens on. */
  readonly port: number;
  readonly host: string;
  /** The host key's `SHA256:…` fingerprint, as `ssh-keygen -lf` prints it. */
  readonly hostKeySha256: string;
  /** Stops listening and drops open sessions. */
  close(): Promise<void>;
}

const PKG = "demo/unit-ssh";
// ssh2 is CommonJS: Node's ESM loader sees only some of its names, so take them off the default export.
const { Server, utils } = ssh2;

/** Parses `authorized_keys` lines; a line that is not a public key throws `INVALID_ARGUMENT`. */
function parseAuthorized(lines: readonly string[]): ParsedKey[] {
  return lines.map((line) => {
    const key = utils.parseKey(line.trim());
    if (key instanceof Error || Array.isArray(key)) {
      throw createError(PKG, ErrorCodes.INVALID_ARGUMENT, "An authorized key is not an SSH public key");
    }
    return key;
  });
}

/**
 * A simulated unit's SSH server: real SSH on the wire (ssh2's server, a host key generated at
 * start), password or public-key login for one account, and `exec` requests answered by `run`
 * with their output and exit status. No shell, no port forwarding, no SFTP. Every command is
 * bounded by the client's own timeout; a closed server refuses connections (the unit is gone).
 */
export async function startUnitSsh(o: UnitSshOptions): Promise<UnitSsh> {
  const log = (o.logger ?? noopLogger).child({ component: "unit-ssh" });
  if (!o.authorizedKeys?.length && o.password === undefined) {
    throw createError(PKG, ErrorCodes.INVALID_ARGUMENT, "startUnitSsh needs authorizedKeys or a password");
  }
  const allowed = parseAuthorized(o.authorizedKeys ?? []);
  const hostKey = utils.generateKeyPairSync("ed25519");
  const parsedHost = utils.parseKey(hostKey.private) as ParsedKey;
  const hostKeySha256 = `SHA256:${createHash("sha256").update(parsedHost.getPublicSSH()).digest("base64").replace(/=+$/, "")}`;
  const clients = new Set<Connection>();

  const authenticate = (ctx: AuthContext) => {
    const userOk = constantTimeEqual(ctx.username, o.username);
    if (ctx.method === "password" && o.password !== undefined) {
      if (userOk && constantTimeEqual(ctx.password, o.password)) return ctx.accept();
      log.info("password login refused", { user: ctx.username });
      return ctx.reject();
    }
    if (ctx.method === "publickey") {
      const key = allowed.find((k) => k.type === ctx.key.algo && k.getPublicSSH().equals(ctx.key.data));
      if (!userOk || !key) {
        log.info("key login refused", { user: ctx.username, algo: ctx.key.algo });
        return ctx.reject();
      }
      // Without a signature the client only asks whether the key would do; with one it proves it holds it.
      if (!ctx.signature) return ctx.accept();
      if (ctx.blob && key.verify(ctx.blob, ctx.signature, ctx.hashAlgo)) return ctx.accept();
      log.info("key login refused: bad signature", { user: ctx.username });
      return ctx.reject();
    }
    const methods: ("password" | "publickey")[] = [];
    if (allowed.length) methods.push("publickey");
    if (o.password !== undefined) methods.push("password");
    return ctx.reject(methods);
  };

  const server = new Server(
    { hostKeys: [hostKey.private], ident: "OpenSSH_9.2p1 Debian-2+deb12u3" },
    (client) => {
      clients.add(client);
      client.on("error", (error: Error) => log.debug("ssh client error", { error: error.message }));
      client.on("close", () => clients.delete(client));
      client.on("authentication", authenticate);
      client.on("ready", () => {
        client.on("session", (acceptSession) => {
          const session = acceptSession();
          session.on("exec", (accept, _reject, info) => {
            const channel = accept();
            let closed = false;
            channel.on("close", () => {
              closed = true;
            });
            o.run(info.command).then(
              (r) => {
                if (closed) return;
                channel.write(r.output);
                channel.exit(r.code);
                channel.end();
              },
              (error: unknown) => {
                if (closed) return;
                channel.stderr.write(`${(error as Error).message}\n`);
                channel.exit(1);
                channel.end();
              },
            );
          });
          // No interactive shell and nothing else: the debug station only runs commands.
          session.on("shell", (_accept, reject) => reject());
          session.on("pty", (_accept, reject) => reject?.());
          session.on("subsystem", (_accept, reject) => reject());
        });
      });
    },
  );
  const host = o.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  server.on("error", (error: Error) => log.warn("unit ssh server error", { error: error.message }));
  const { port } = server.address() as AddressInfo;
  let closing: Promise<void> | undefined;
  return {
    port,
    host,
    hostKeySha256,
    close() {
      closing ??= new Promise<void>((resolve) => {
        // Sessions still open are ended; one that does not close in time is not waited for.
        const bound = setTimeout(resolve, 1000);
        server.close(() => {
          clearTimeout(bound);
          resolve();
        });
        for (const c of clients) c.end();
      });
      return closing;
    },
  };
}
