import {
  abortedError,
  ErrorCodes,
  type Logger,
  noopLogger,
  type SignalOptions,
  withDeadline,
} from "@factory/core";
import snmp from "net-snmp";
import { PKG, procurveError } from "../errors";

/** SNMPv3 user (USM). Keys are secrets: they are never logged. */
export interface SnmpV3User {
  name: string;
  /** `md5`, `sha` (default), `sha224`, `sha256`, `sha384`, `sha512`; omit `authKey` for noAuthNoPriv. */
  authProtocol?: "md5" | "sha" | "sha224" | "sha256" | "sha384" | "sha512";
  authKey?: string;
  /** `des`, `aes` (default; AES-128), `aes256b`, `aes256r`; omit `privKey` for authNoPriv. */
  privProtocol?: "des" | "aes" | "aes256b" | "aes256r";
  privKey?: string;
}

export interface SnmpOptions {
  /** Switch address (IPv4 or host name). */
  host: string;
  /** UDP port of the agent (161). */
  port?: number;
  /** `2c` by default. */
  version?: "1" | "2c" | "3";
  /** v1/v2c community (`public`). A secret: never logged. */
  community?: string;
  /** v3 user; required when `version` is `3`. */
  user?: SnmpV3User;
  /** v3 context name. */
  context?: string;
  /** Time to wait for one answer, ms (default 1000). */
  timeoutMs?: number;
  /** Retries of one request after a timeout (default 1). */
  retries?: number;
  /** Rows per GETBULK request and column (default 50). */
  maxRepetitions?: number;
  /** Upper bound for one whole call (a table walk), ms (default 15000). */
  operationTimeoutMs?: number;
}

/** One row of a walked column: the index after the column OID, and the value. */
export interface ColumnRow {
  index: number[];
  value: unknown;
  type: number | undefined;
}

const AUTH = { md5: 2, sha: 3, sha224: 4, sha256: 5, sha384: 6, sha512: 7 } as const;
const PRIV = { des: 2, aes: 4, aes256b: 6, aes256r: 8 } as const;
const END_TYPES = new Set([128, 129, 130]); // noSuchObject, noSuchInstance, endOfMibView

/** Pre-built low-level session, for callers that bring their own (habit: pass the client). */
export type NetSnmpSession = ReturnType<typeof snmp.createSession>;

/**
 * A small SNMP manager over net-snmp: GETs and multi-column bulk walks, each bounded in time and
 * cancellable, with net-snmp's errors turned into coded FactoryErrors.
 */
export class SnmpClient {
  private session: NetSnmpSession | undefined;
  private readonly label: string;
  private readonly timeoutMs: number;
  private readonly retries: number;
  readonly maxRepetitions: number;
  private readonly operationTimeoutMs: number;
  private readonly version: "1" | "2c" | "3";

  constructor(
    private readonly options: SnmpOptions,
    private readonly logger: Logger = noopLogger,
    session?: NetSnmpSession,
  ) {
    if (!options.host || typeof options.host !== "string") {
      throw procurveError(ErrorCodes.INVALID_ARGUMENT, "The switch needs a host (snmp.host)");
    }
    this.version = options.version ?? "2c";
    if (!["1", "2c", "3"].includes(this.version)) {
      throw procurveError(ErrorCodes.INVALID_ARGUMENT, `SNMP version "${this.version}" is not 1, 2c or 3`);
    }
    if (this.version === "3" && !options.user?.name) {
      throw procurveError(ErrorCodes.INVALID_ARGUMENT, "SNMPv3 needs a user (snmp.user.name)");
    }
    this.label = `${options.host}:${options.port ?? 161}`;
    this.timeoutMs = options.timeoutMs ?? 1000;
    this.retries = options.retries ?? 1;
    this.maxRepetitions = options.maxRepetitions ?? 50;
    this.operationTimeoutMs = options.operationTimeoutMs ?? 15_000;
    this.session = session;
  }

  /** `127.0.0.1:161`, for messages. */
  get target(): string {
    return this.label;
  }

  /** GETs the OIDs; missing objects come back as undefined. */
  async get(oids: string[], options: SignalOptions = {}): Promise<Map<string, unknown>> {
    return this.bounded(`SNMP GET from ${this.label}`, options, async (signal) => {
      const varbinds = await this.request<snmp.Varbind[]>(signal, (cb) => this.open().get(oids, cb));
      const out = new Map<string, unknown>();
      varbinds.forEach((vb, i) => {
        const oid = oids[i]!;
        out.set(oid, snmp.isVarbindError(vb) || END_TYPES.has(vb.type ?? 0) ? undefined : vb.value);
      });
      return out;
    });
  }

  /**
   * Walks several columns of one table side by side (one GETBULK carries all of them; GETNEXT on
   * v1). Returns the rows of each column in order; a column the agent lacks comes back empty.
   */
  async walkColumns(columns: readonly string[], options: SignalOptions = {}): Promise<ColumnRow[][]> {
    return this.bounded(
      `SNMP walk of ${columns.length} column(s) on ${this.label}`,
      options,
      async (signal) => {
        const results: ColumnRow[][] = columns.map(() => []);
        const cursors = [...columns];
        const active = columns.map(() => true);
        const prefixes = columns.map((c) => `${c}.`);
        let requests = 0;
        while (active.some(Boolean)) {
          if (++requests > 100_000)
            throw procurveError(ErrorCodes.PROTOCOL_ERROR, `${this.label} never ends its table`);
          const idx = active.flatMap((a, i) => (a ? [i] : []));
          const ask = idx.map((i) => cursors[i]!);
          const rows = await this.nextRows(ask, signal);
          idx.forEach((col, k) => {
            const list = rows[k] ?? [];
            if (list.length === 0) active[col] = false;
            for (const vb of list) {
              if (
                END_TYPES.has(vb.type ?? 0) ||
                snmp.isVarbindError(vb) ||
                !vb.oid.startsWith(prefixes[col]!)
              ) {
                active[col] = false;
                break;
              }
              if (compareOids(vb.oid, cursors[col]!) <= 0) {
                throw procurveError(ErrorCodes.PROTOCOL_ERROR, `${this.label} returned OIDs out of order`, {
                  details: { oid: vb.oid, after: cursors[col] },
                });
              }
              cursors[col] = vb.oid;
              results[col]!.push({
                index: vb.oid.slice(prefixes[col]!.length).split(".").map(Number),
                value: vb.value,
                type: vb.type,
              });
            }
          });
        }
        return results;
      },
    );
  }

  close(): void {
    const s = this.session;
    this.session = undefined;
    try {
      s?.close();
    } catch {
      // Already closed.
    }
  }

  private async nextRows(oids: string[], signal: AbortSignal): Promise<snmp.Varbind[][]> {
    if (this.version === "1") {
      const vbs = await this.request<snmp.Varbind[]>(signal, (cb) => this.open().getNext(oids, cb));
      return vbs.map((vb) => [vb]);
    }
    const vbs = await this.request<(snmp.Varbind | snmp.Varbind[])[]>(signal, (cb) =>
      this.open().getBulk(oids, 0, this.maxRepetitions, cb),
    );
    return vbs.map((v) => (Array.isArray(v) ? v : [v]));
  }

  private open(): NetSnmpSession {
    if (this.session) return this.session;
    const base = {
      port: this.options.port ?? 161,
      timeout: this.timeoutMs,
      retries: this.retries,
      backoff: 1,
      transport: this.options.host.includes(":") ? ("udp6" as const) : ("udp4" as const),
    };
    let session: NetSnmpSession;
    if (this.version === "3") {
      const u = this.options.user!;
      const level = u.privKey
        ? snmp.SecurityLevel.authPriv
        : u.authKey
          ? snmp.SecurityLevel.authNoPriv
          : snmp.SecurityLevel.noAuthNoPriv;
      const user: snmp.User = {
        name: u.name,
        level,
        ...(u.authKey ? { authProtocol: AUTH[u.authProtocol ?? "sha"], authKey: u.authKey } : {}),
        ...(u.privKey ? { privProtocol: PRIV[u.privProtocol ?? "aes"], privKey: u.privKey } : {}),
      };
      session = snmp.createV3Session(this.options.host, user, {
        ...base,
        version: snmp.Version3,
        ...(this.options.context ? { context: this.options.context } : {}),
      });
    } else {
      session = snmp.createSession(this.options.host, this.options.community ?? "public", {
        ...base,
        version: this.version === "1" ? snmp.Version1 : snmp.Version2c,
      });
    }
    session.on("error", (error: Error) => {
      this.logger.warn("SNMP socket error", { target: this.label, error: error.message });
      if (this.session === session) this.close();
    });
    this.session = session;
    return session;
  }

  private request<T>(
    signal: AbortSignal,
    send: (cb: (error: Error | null, result?: T) => void) => void,
  ): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (signal.aborted) return reject(abortedError(signal, PKG));
      try {
        send((error, result) => {
          if (error) reject(this.mapError(error));
          else resolve(result as T);
        });
      } catch (error) {
        reject(this.mapError(error as Error));
      }
    });
  }

  private mapError(error: Error): Error {
    const name = error.name;
    const code = (error as { code?: number }).code;
    if (name === "RequestTimedOutError") {
      return procurveError(
        ErrorCodes.SWITCH_UNREACHABLE,
        `No SNMP answer from ${this.label}: the switch is off the network, SNMP is disabled, or the ${
          this.version === "3" ? "v3 user" : "community"
        } is wrong`,
        { cause: error, details: { target: this.label, version: this.version } },
      );
    }
    if (name === "ResponseInvalidError" && (code === 4 || code === 5 || code === 11)) {
      return procurveError(
        ErrorCodes.SWITCH_AUTH_FAILED,
        `${this.label} refused the SNMPv3 credentials (${error.message})`,
        { cause: error, details: { target: this.label }, retryable: false },
      );
    }
    if (name === "RequestFailedError") {
      return procurveError(
        ErrorCodes.PROTOCOL_ERROR,
        `${this.label} answered with an SNMP error: ${error.message}`,
        {
          cause: error,
          details: { target: this.label, status: (error as { status?: number }).status },
        },
      );
    }
    if (name === "ResponseInvalidError" || name === "RequestInvalidError") {
      return procurveError(
        ErrorCodes.PROTOCOL_ERROR,
        `Bad SNMP message from ${this.label}: ${error.message}`,
        {
          cause: error,
          details: { target: this.label },
        },
      );
    }
    return procurveError(ErrorCodes.SWITCH_UNREACHABLE, `SNMP to ${this.label} failed: ${error.message}`, {
      cause: error,
      details: { target: this.label },
    });
  }

  private bounded<T>(
    what: string,
    options: SignalOptions,
    fn: (signal: AbortSignal) => Promise<T>,
  ): Promise<T> {
    return withDeadline(what, { signal: options.signal, timeoutMs: this.operationTimeoutMs }, fn, PKG);
  }
}

/** Numeric OID comparison. */
export function compareOids(a: string, b: string): number {
  const x = a.split(".").map(Number);
  const y = b.split(".").map(Number);
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    if (x[i] !== y[i]) return x[i]! - y[i]!;
  }
  return x.length - y.length;
}
