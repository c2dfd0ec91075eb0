import {
  type BoardCapabilities,
  type BoardDriver,
  type BoardSession,
  noopLogger,
  type OpenOptions,
  type PortInfo,
  type PortRef,
  type ProbeResult,
  type SignalOptions,
  throwIfAborted,
} from "@factory/core";
import { tcpConnector } from "./connect";
import { LineErrorCodes, lineError, PKG } from "./errors";
import { type LineDriverOptions, readTimeouts } from "./options";
import { Command, FAMILY, parseIdReply, READY_LINE } from "./protocol";
import { LineSession } from "./session";
import { LineLink } from "./transport";

export const LINE_CAPABILITIES: BoardCapabilities = {
  compressedWrite: false,
  skipUnchanged: false,
  verify: "readback",
  console: true,
  uniqueId: "flash-uid",
  perDeviceData: true,
  resetModes: ["bootloader", "app"],
  imageFormats: ["bin"],
  enumerate: false,
};

/**
 * Creates the LP1 board driver. One session per port at a time; a second `open` is refused.
 *
 * @example
 * const driver = createLineDriver({ connect: (port) => openSerial(port.path) });
 * const session = await driver.open({ path: "/dev/ttyUSB0" }, { signal });
 */
export function createLineDriver(options: LineDriverOptions = {}): BoardDriver {
  const defaults = readTimeouts(options, "driver options");
  const connect = options.connect ?? tcpConnector;
  const baseLog = options.logger ?? noopLogger;
  const busy = new Set<string>();

  return {
    name: "line-protocol",
    families: [FAMILY],
    capabilities: LINE_CAPABILITIES,

    async list(): Promise<PortInfo[]> {
      throw lineError(
        LineErrorCodes.NOT_SUPPORTED,
        "The LP1 driver cannot enumerate ports; list them in the station config",
      );
    },

    async probe(port: PortRef, probeOptions?: SignalOptions): Promise<ProbeResult> {
      throwIfAborted(probeOptions?.signal, PKG);
      if (busy.has(port.path)) return { present: true, family: FAMILY };
      let link: LineLink | undefined;
      try {
        const stream = await connect(port, {
          signal: probeOptions?.signal,
          timeoutMs: defaults.probeTimeoutMs,
        });
        link = new LineLink(stream, port.path);
        await link.writeLine(Command.identify, probeOptions?.signal);
        const reply = await link.readLine(defaults.probeTimeoutMs, Command.identify, probeOptions?.signal);
        return parseIdReply(reply) ? { present: true, family: FAMILY } : { present: false };
      } catch (error) {
        throwIfAborted(probeOptions?.signal, PKG);
        baseLog.debug("Probe found nothing", { port: port.path, error: String(error) });
        return { present: false };
      } finally {
        await link?.close();
      }
    },

    async open(port: PortRef, openOptions: OpenOptions = {}): Promise<BoardSession> {
      throwIfAborted(openOptions.signal, PKG);
      const { replyTimeoutMs } = readTimeouts({ ...defaults, ...openOptions.settings }, "board settings");
      if (busy.has(port.path)) {
        throw lineError(LineErrorCodes.PORT_BUSY, `${port.path} already has an open session`, {
          details: { port: port.path },
        });
      }
      busy.add(port.path);
      const log = (openOptions.logger ?? baseLog).child({ port: port.path, driver: "line-protocol" });
      let link: LineLink | undefined;
      try {
        const stream = await connect(port, { signal: openOptions.signal, timeoutMs: replyTimeoutMs });
        link = new LineLink(stream, port.path);
        await link.writeLine(Command.reset, openOptions.signal);
        const banner = await link
          .readLine(replyTimeoutMs, Command.reset, openOptions.signal)
          .catch((error: unknown) => {
            if ((error as { code?: string }).code !== LineErrorCodes.TIMEOUT) throw error;
            throw lineError(
              LineErrorCodes.SYNC_FAILED,
              `No bootloader answers on ${port.path}: !RESET got no ${READY_LINE}`,
              {
                cause: error,
                details: { port: port.path },
              },
            );
          });
        if (banner !== READY_LINE) {
          throw lineError(
            LineErrorCodes.SYNC_FAILED,
            `${port.path} answered "${banner.slice(0, 40)}" instead of ${READY_LINE}`,
            {
              details: { port: port.path },
            },
          );
        }
        log.debug("Bootloader ready");
        const opened = link;
        return new LineSession(port, opened, LINE_CAPABILITIES, replyTimeoutMs, log, () =>
          busy.delete(port.path),
        );
      } catch (error) {
        await link?.close();
        busy.delete(port.path);
        throw error;
      }
    },
  };
}
