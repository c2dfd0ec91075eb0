import {
  type ArpEntry,
  ErrorCodes,
  type FdbEntry,
  isFactoryError,
  type Logger,
  noopLogger,
  normalizeMac,
  type SignalOptions,
  type SwitchCapabilities,
  type SwitchDriver,
  type SwitchEvent,
  type SwitchIdentity,
  type SwitchPort,
  throwIfAborted,
  type WatchOptions,
} from "@factory/core";
import { parseArpTable, parseInterfacesBrief, parseMacLocation, parseMacTable } from "./cli/parse";
import { parsePortListTable, portListArg } from "./cli/port-list";
import { ProcurveCli, type ProcurveCliOptions } from "./cli/session";
import { PKG, ProcurveErrorCodes, procurveError } from "./errors";
import { toProcurveMac } from "./mac";
import { DEFAULT_TIMING, type WatchTiming, watchSwitch } from "./watch/watcher";

export interface CliSwitchOptions {
  ssh: ProcurveCliOptions;
  /** Front-panel names of uplinks; trunks (`Trk1`…) always are. */
  uplinks?: string[];
  /** Watch timing; the CLI is polled (no traps). */
  timing?: Partial<WatchTiming>;
}

/**
 * A ProCurve switch read over its SSH CLI, for switches with SNMP disabled: `show interfaces
 * brief`, `show mac-address [port|mac]`, `show arp`. `watch()` polls: the whole table
 * (`show mac-address`) and the links every `pollIntervalMs`, and after a link up only that port
 * (`show mac-address <port>`, a few lines; ports that came up together in one
 * `show mac-address <port-list>`) at the arrival pace of `timing`.
 */
export class CliSwitch implements SwitchDriver {
  readonly name = "procurve";
  readonly capabilities: SwitchCapabilities = { traps: false, arp: true, cli: true };
  readonly cli: ProcurveCli;
  private readonly uplinks: ReadonlySet<string>;
  private readonly timing: WatchTiming;
  private readonly watchers = new Set<AbortController>();
  /** Whether `show mac-address <port-list>` is answered port by port; undefined until tried. */
  private portLists: boolean | undefined;
  private closed = false;

  constructor(
    options: CliSwitchOptions,
    private readonly logger: Logger = noopLogger,
  ) {
    this.cli = new ProcurveCli(options.ssh, logger);
    this.uplinks = new Set(options.uplinks ?? []);
    this.timing = { ...DEFAULT_TIMING, ...options.timing };
  }

  async identify(options: SignalOptions = {}): Promise<SwitchIdentity> {
    this.enter(options);
    await this.cli.connect(options);
    const banner = this.cli.banner;
    const model = /ProCurve\s+(J\w+\s+Switch\s+[\w-]+)/i.exec(banner)?.[1];
    const firmware = /(?:Software revision|revision)\s+([A-Z]{1,2}\.\d{2}\.\d{2})/i.exec(banner)?.[1];
    const line = banner
      .split("\n")
      .find((l) => /ProCurve|HP|Aruba/i.test(l))
      ?.trim();
    return {
      sysDescr: line || this.cli.hostname || "ProCurve (CLI)",
      ...(model ? { model } : {}),
      ...(firmware ? { firmware } : {}),
      fdbSource: "cli",
    };
  }

  async listPorts(options: SignalOptions = {}): Promise<SwitchPort[]> {
    this.enter(options);
    const rows = parseInterfacesBrief(await this.cli.run("show interfaces brief", options));
    if (rows.length === 0) {
      throw procurveError(ErrorCodes.PROTOCOL_ERROR, "show interfaces brief listed no ports", {
        details: { command: "show interfaces brief" },
      });
    }
    return rows.map((r, i) => ({
      name: r.name,
      ifIndex: /^\d+$/.test(r.name) ? Number(r.name) : 1000 + i,
      operStatus: r.operStatus,
      uplink: /^trk\d+$/i.test(r.name) || this.uplinks.has(r.name),
    }));
  }

  async macsOnPort(port: string, options: SignalOptions = {}): Promise<FdbEntry[]> {
    this.enter(options);
    checkPortName(port);
    const ports = await this.listPorts(options);
    if (!ports.some((p) => p.name === port)) {
      throw procurveError(ErrorCodes.PORT_NOT_FOUND, `The switch has no port "${port}"`, {
        details: { port, known: ports.map((p) => p.name) },
      });
    }
    return this.readPorts([port], options.signal);
  }

  async findMac(mac: string, options: SignalOptions = {}): Promise<FdbEntry | undefined> {
    this.enter(options);
    const wanted = normalizeMac(mac);
    const text = await this.cli.run(`show mac-address ${toProcurveMac(wanted)}`, options);
    const port = parseMacLocation(text);
    if (!port) return undefined;
    if (/^trk\d+$/i.test(port) || this.uplinks.has(port)) return undefined;
    return { mac: wanted, port };
  }

  async arp(options: SignalOptions = {}): Promise<ArpEntry[]> {
    this.enter(options);
    return parseArpTable(await this.cli.run("show arp", options));
  }

  watch(options: WatchOptions = {}): AsyncIterable<SwitchEvent> {
    const own = new AbortController();
    const signal = options.signal ? AbortSignal.any([options.signal, own.signal]) : own.signal;
    const timing = options.pollIntervalMs
      ? { ...this.timing, pollIntervalMs: options.pollIntervalMs }
      : this.timing;
    const source = {
      ports: (s: AbortSignal) => this.listPorts({ signal: s }),
      readFdb: async (s: AbortSignal) => parseMacTable(await this.cli.run("show mac-address", { signal: s })),
      // Arrival reads after a link up: the port's own short table, not every MAC behind the uplinks.
      readPortFdb: (ports: readonly string[], s: AbortSignal) => this.readPorts(ports, s),
      readLinks: async (s: AbortSignal) =>
        new Map((await this.listPorts({ signal: s })).map((p) => [p.name, p.operStatus] as const)),
    };
    const iterable = watchSwitch(source, { ...options, signal }, timing, this.logger);
    if (this.closed) throw procurveError(ErrorCodes.INVALID_ARGUMENT, "The switch driver is closed");
    this.watchers.add(own);
    return iterable;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const w of this.watchers) w.abort();
    await this.cli.close();
  }

  /**
   * The learned MACs of `ports`, without the whole table: one port, `show mac-address <port>`;
   * several (a rack plugged at once), one `show mac-address <port-list>` (`1-4,7`) whose rows
   * name their port. When the switch refuses the list, or answers rows that cannot be told
   * apart, it reads them port by port, one command each, and (once port by port worked) no
   * longer sends lists to this switch.
   */
  private async readPorts(ports: readonly string[], signal: AbortSignal | undefined): Promise<FdbEntry[]> {
    for (const port of ports) checkPortName(port);
    const unique = [...new Set(ports)];
    let listFailed = false;
    if (unique.length > 1 && this.portLists !== false) {
      const command = `show mac-address ${portListArg(unique)}`;
      try {
        const rows = parsePortListTable(await this.cli.run(command, { signal }), unique);
        if (rows) {
          this.portLists = true;
          return rows;
        }
        this.logger.debug("port-list answer with rows of unknown ports; reading port by port", { command });
      } catch (error) {
        if (!isFactoryError(error, ProcurveErrorCodes.CLI_ERROR)) throw error;
        this.logger.debug("port list refused; reading port by port", { command });
      }
      listFailed = true;
    }
    const out: FdbEntry[] = [];
    for (const port of unique) {
      out.push(...parseMacTable(await this.cli.run(`show mac-address ${port}`, { signal }), port));
    }
    // Every port read alone: it was the list form this switch did not take.
    if (listFailed) this.portLists = false;
    return out;
  }

  private enter(options: SignalOptions): void {
    throwIfAborted(options.signal, PKG);
    if (this.closed) throw procurveError(ErrorCodes.INVALID_ARGUMENT, "The switch driver is closed");
  }
}

/** A front-panel port name (`21`, `A1`, `Trk1`): nothing else goes into a CLI command. */
function checkPortName(port: unknown): asserts port is string {
  if (typeof port !== "string" || !/^[\w/-]{1,16}$/.test(port)) {
    throw procurveError(ErrorCodes.PORT_NOT_FOUND, `"${String(port)}" is not a port name`, {
      details: { port },
    });
  }
}
