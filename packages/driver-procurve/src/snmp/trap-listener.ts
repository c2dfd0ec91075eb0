import type { Socket } from "node:dgram";
import { ErrorCodes, type FactoryError, type Logger, noopLogger } from "@factory/core";
import snmp from "net-snmp";
import { ProcurveErrorCodes, procurveError } from "../errors";
import { Oid } from "../oids";

export interface TrapListenerOptions {
  /** UDP port to listen on (162; tests use a high port). */
  port?: number;
  /** Address to bind (`0.0.0.0`). */
  address?: string;
  /** Communities accepted on v1/v2c traps. Traps with any other community are dropped. */
  communities: string[];
  /** Source addresses accepted; empty accepts any source. */
  allowedSources?: string[];
}

/** A linkUp / linkDown notification (v1 generic-trap 2/3 or v2c snmpTrapOID linkDown/linkUp). */
export interface LinkTrap {
  kind: "link-up" | "link-down";
  ifIndex: number;
  source: string;
  at: Date;
}

export interface TrapSubscriber {
  onLink(trap: LinkTrap): void;
  /** A trap was dropped: unknown source, wrong community, malformed. */
  onRejected(error: FactoryError): void;
}

/**
 * Receives link traps from switches (net-snmp's notification receiver) and hands linkUp/linkDown
 * to its subscribers. One listener can be shared by several drivers (pass it in the options).
 */
export class TrapListener {
  private receiver: ReturnType<typeof snmp.createReceiver> | undefined;
  private readonly subscribers = new Set<TrapSubscriber>();
  private starting: Promise<void> | undefined;
  private readonly allowed: ReadonlySet<string>;

  constructor(
    private readonly options: TrapListenerOptions,
    private readonly logger: Logger = noopLogger,
  ) {
    const port = options.port ?? 162;
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      throw procurveError(ErrorCodes.INVALID_ARGUMENT, `Trap port ${String(options.port)} is not a UDP port`);
    }
    this.allowed = new Set((options.allowedSources ?? []).map(plainAddress));
  }

  get port(): number {
    return this.options.port ?? 162;
  }

  /** Binds the socket (once). Rejects with `PORT_BUSY` when the port is taken or not allowed. */
  start(): Promise<void> {
    this.starting ??= new Promise<void>((resolve, reject) => {
      const receiver = snmp.createReceiver(
        {
          port: this.port,
          address: this.options.address ?? "0.0.0.0",
          disableAuthorization: false,
          includeAuthentication: true,
          transport: (this.options.address ?? "").includes(":") ? "udp6" : "udp4",
        },
        (error: (Error & { rinfo?: { address: string } }) | null, notification: Notification | null) =>
          this.onNotification(error, notification),
      );
      const authorizer = receiver.getAuthorizer();
      for (const c of this.options.communities) authorizer.addCommunity(c);
      this.receiver = receiver;
      const sockets = Object.values(
        (receiver as { listener?: { sockets?: Record<string, Socket> } }).listener?.sockets ?? {},
      );
      if (sockets.length === 0) return resolve();
      const socket = sockets[0]!;
      socket.once("listening", () => resolve());
      socket.once("error", (error) => {
        this.starting = undefined;
        this.close();
        reject(
          procurveError(
            ErrorCodes.PORT_BUSY,
            `Cannot listen for traps on UDP ${this.port}: ${error.message}`,
            {
              cause: error,
              details: { port: this.port },
            },
          ),
        );
      });
    });
    return this.starting;
  }

  subscribe(subscriber: TrapSubscriber): () => void {
    this.subscribers.add(subscriber);
    return () => this.subscribers.delete(subscriber);
  }

  close(): void {
    const r = this.receiver;
    this.receiver = undefined;
    this.starting = undefined;
    try {
      r?.close();
    } catch {
      // Already closed.
    }
  }

  private onNotification(
    error: (Error & { rinfo?: { address: string } }) | null,
    n: Notification | null,
  ): void {
    if (error) {
      if (!error.rinfo) return; // socket errors are handled in start()
      this.reject(`Dropped a trap from ${error.rinfo.address}: ${error.message}`, {
        source: error.rinfo.address,
      });
      return;
    }
    if (!n) return;
    const source = plainAddress(n.rinfo.address);
    if (this.allowed.size > 0 && !this.allowed.has(source)) {
      this.reject(`Dropped a trap from ${source}: not one of the configured switches`, { source });
      return;
    }
    const parsed = parseLinkTrap(n.pdu);
    if (parsed === "other") return; // coldStart, authenticationFailure…: not ours
    if (!parsed) {
      this.reject(`Dropped a malformed link trap from ${source}: no ifIndex varbind`, { source });
      return;
    }
    const trap: LinkTrap = { ...parsed, source, at: new Date() };
    this.logger.debug("link trap", { kind: trap.kind, ifIndex: trap.ifIndex, source });
    for (const s of this.subscribers) s.onLink(trap);
  }

  private reject(message: string, details: Record<string, unknown>): void {
    const error = procurveError(ProcurveErrorCodes.TRAP_REJECTED, message, { details, retryable: false });
    this.logger.warn(message, details);
    for (const s of this.subscribers) s.onRejected(error);
  }
}

interface Notification {
  pdu: {
    type: number;
    varbinds?: Array<{ oid: string; type?: number; value?: unknown }>;
    generic?: number;
    enterprise?: string;
  };
  rinfo: { address: string; port: number };
}

/** linkUp/linkDown with its ifIndex; `"other"` for other traps; undefined when malformed. */
export function parseLinkTrap(
  pdu: Notification["pdu"],
): { kind: LinkTrap["kind"]; ifIndex: number } | "other" | undefined {
  const varbinds = pdu.varbinds ?? [];
  let kind: LinkTrap["kind"] | undefined;
  if (pdu.type === snmp.PduType.Trap) {
    if (pdu.generic === 2) kind = "link-down";
    else if (pdu.generic === 3) kind = "link-up";
  } else {
    const trapOid = varbinds.find((v) => v.oid === Oid.snmpTrapOID)?.value;
    if (trapOid === Oid.linkDown) kind = "link-down";
    else if (trapOid === Oid.linkUp) kind = "link-up";
  }
  if (!kind) return "other";
  const ifIndexVb = varbinds.find((v) => v.oid.startsWith(`${Oid.ifIndex}.`));
  const fromValue = typeof ifIndexVb?.value === "number" ? ifIndexVb.value : undefined;
  const fromOid = ifIndexVb ? Number(ifIndexVb.oid.slice(Oid.ifIndex.length + 1)) : undefined;
  const ifIndex = fromValue ?? fromOid;
  if (ifIndex === undefined || !Number.isInteger(ifIndex) || ifIndex <= 0) {
    // Some agents send only ifOperStatus.<n>; take the index from that OID.
    const oper = varbinds.find((v) => v.oid.startsWith(`${Oid.ifOperStatus}.`));
    const n = oper ? Number(oper.oid.slice(Oid.ifOperStatus.length + 1)) : Number.NaN;
    return Number.isInteger(n) && n > 0 ? { kind, ifIndex: n } : undefined;
  }
  return { kind, ifIndex };
}

function plainAddress(address: string): string {
  return address.startsWith("::ffff:") ? address.slice(7) : address;
}
