import { createSocket, type RemoteInfo, type Socket } from "node:dgram";
import { isIPv6 } from "node:net";
import { ErrorCodes, type Logger, noopLogger } from "@factory/core";
import { procurveError } from "../errors";
import { decodeRequest } from "./message";
import type { MibStore } from "./mib-store";
import { type ResponderLimits, respond, type SnmpResponse } from "./responder";

export interface SnmpAgentOptions {
  host: string;
  /** 0 = a free port. */
  port: number;
  /** The read-only community (a secret: never logged). */
  community: string;
  mib: MibStore;
  limits?: Partial<ResponderLimits>;
  logger?: Logger;
}

/** Counters in the spirit of the SNMP group (snmpInPkts, snmpInBadCommunityNames, …). */
export interface SnmpAgentStats {
  inPackets: number;
  outPackets: number;
  /** Bytes of all responses sent. */
  outBytes: number;
  /** Varbinds in all responses sent: the OIDs served, a measure of how much a client read. */
  outVarbinds: number;
  badCommunity: number;
  malformed: number;
  unanswered: number;
}

/** Largest UDP payload over IPv4. */
const UDP_MAX = 65_507;
export const DEFAULT_LIMITS: ResponderLimits = { maxMessageSize: UDP_MAX, maxBulkVarbinds: 2048 };

/**
 * An SNMPv1/v2c agent on one UDP socket. Requests with another community get no answer (as on a
 * real switch); datagrams that are not SNMP are counted and dropped.
 */
export class SnmpAgent {
  readonly stats: SnmpAgentStats = {
    inPackets: 0,
    outPackets: 0,
    outBytes: 0,
    outVarbinds: 0,
    badCommunity: 0,
    malformed: 0,
    unanswered: 0,
  };
  private readonly community: Buffer;
  private readonly limits: ResponderLimits;
  private readonly logger: Logger;
  private closed = false;

  private constructor(
    private readonly socket: Socket,
    private readonly options: SnmpAgentOptions,
  ) {
    this.community = Buffer.from(options.community, "utf8");
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
    this.logger = options.logger ?? noopLogger;
    socket.on("message", (msg, rinfo) => this.onMessage(msg, rinfo));
    socket.on("error", (error) => this.logger.warn("SNMP simulator socket error", { error: error.message }));
  }

  /** Binds the socket. Rejects with `PORT_BUSY` when the port is taken or not allowed. */
  static start(options: SnmpAgentOptions): Promise<SnmpAgent> {
    const socket = createSocket({ type: isIPv6(options.host) ? "udp6" : "udp4" });
    return new Promise((resolve, reject) => {
      const onError = (error: Error): void => {
        socket.close();
        reject(
          procurveError(
            ErrorCodes.PORT_BUSY,
            `The switch simulator cannot listen on UDP ${options.host}:${options.port}: ${error.message}`,
            { cause: error, details: { host: options.host, port: options.port } },
          ),
        );
      };
      socket.once("error", onError);
      socket.bind(options.port, options.host, () => {
        socket.off("error", onError);
        resolve(new SnmpAgent(socket, options));
      });
    });
  }

  get port(): number {
    return this.socket.address().port;
  }

  get host(): string {
    return this.options.host;
  }

  /** Sends a datagram (a trap) from the agent's socket; errors are logged, never thrown. */
  send(message: Buffer, host: string, port: number): void {
    if (this.closed) return;
    this.socket.send(message, port, host, (error) => {
      if (error)
        this.logger.warn("could not send a trap", { target: `${host}:${port}`, error: error.message });
    });
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }

  private onMessage(msg: Buffer, rinfo: RemoteInfo): void {
    this.stats.inPackets++;
    let response: SnmpResponse | undefined;
    try {
      const req = decodeRequest(msg);
      if (!req.community.equals(this.community)) {
        this.stats.badCommunity++;
        this.logger.debug("SNMP request with a wrong community dropped", { from: rinfo.address });
        return;
      }
      response = respond(req, this.options.mib, this.limits);
    } catch (error) {
      this.stats.malformed++;
      this.logger.debug("malformed SNMP datagram dropped", {
        from: rinfo.address,
        bytes: msg.length,
        error: (error as Error).message,
      });
      return;
    }
    if (!response) {
      this.stats.unanswered++;
      return;
    }
    if (this.closed) return;
    this.stats.outPackets++;
    this.stats.outBytes += response.message.length;
    this.stats.outVarbinds += response.varbinds;
    this.socket.send(response.message, rinfo.port, rinfo.address, (error) => {
      if (error) this.logger.debug("SNMP response not sent", { to: rinfo.address, error: error.message });
    });
  }
}
