import { ErrorCodes, type Logger } from "@factory/core";
import type { BindingInterface } from "@factory/serial";
import { AVR_BOARDS, type AvrBoard, bootStart, UNSUPPORTED_BOARDS } from "../boards";
import { avrError } from "../errors";

/** Where the unit's serial number is kept, and so where {@link DeviceIdentity.uniqueId} comes from. */
export interface SerialNumberRegion {
  /** Byte address in flash. Default: the last 16 bytes below the bootloader. */
  offset: number;
  /** Bytes. Default 16. */
  length: number;
  /** `ascii`: printable text, NUL/0xFF-terminated (lower-cased for the id). `hex`: raw bytes as hex. */
  encoding: "ascii" | "hex";
}

/** Driver options (`board_configs.*.driver_options` in the station config). */
export interface AvrDriverOptions {
  /** Board type: `uno` (default), `nano`, `nano-optiboot`, `mega2560-optiboot`, or a custom board. */
  board?: string | AvrBoard;
  /** Bootloader baud rate; default the board's (115200 optiboot, 57600 old Nano). */
  baudRate?: number;
  /** `dtr` (default): avrdude's DTR/RTS pulse; `none`: the board is already in its bootloader. */
  reset?: "dtr" | "none";
  /** Where the serial number lives; `false` for none. */
  serialNumber?: Partial<SerialNumberRegion> | false;
  /** GET_SYNC attempts after a reset. Default 10 (avrdude's MAX_SYNC_ATTEMPTS). */
  syncAttempts?: number;
  /** Baud of the sketch's console. Default 115200. */
  consoleBaudRate?: number;
  /** The serial binding (the simulator's in tests); default the native one. */
  binding?: BindingInterface;
  logger?: Logger;
  /** Reset timing (ms): lines released before the pulse, and settle time after. Defaults 250 / 100 (avrdude). */
  resetTimings?: { releaseMs?: number; settleMs?: number };
}

export interface ResolvedOptions {
  board: AvrBoard;
  baudRate: number;
  reset: "dtr" | "none";
  serialNumber: SerialNumberRegion | undefined;
  syncAttempts: number;
  consoleBaudRate: number;
  releaseMs: number;
  settleMs: number;
}

/** Merges driver options with per-session settings and checks them (`CONFIG_INVALID`). */
export function resolveOptions(
  base: AvrDriverOptions,
  settings: Record<string, unknown> = {},
): ResolvedOptions {
  const o = { ...base, ...(settings as Partial<AvrDriverOptions>) };
  const board = resolveBoard(o.board ?? "uno");
  const sn = o.serialNumber;
  let serialNumber: SerialNumberRegion | undefined;
  if (sn !== false) {
    const length = sn?.length ?? 16;
    serialNumber = {
      offset: sn?.offset ?? bootStart(board) - length,
      length,
      encoding: sn?.encoding ?? "ascii",
    };
    if (
      !Number.isInteger(serialNumber.offset) ||
      !Number.isInteger(length) ||
      length < 1 ||
      length > 256 ||
      serialNumber.offset < 0 ||
      serialNumber.offset + length > bootStart(board)
    ) {
      throw avrError(
        ErrorCodes.CONFIG_INVALID,
        `serialNumber region ${serialNumber.offset}+${length} must lie in application flash (below 0x${bootStart(board).toString(16)}) and hold 1–256 bytes`,
        { retryable: false },
      );
    }
  }
  const baudRate = o.baudRate ?? board.baudRate;
  if (!Number.isInteger(baudRate) || baudRate <= 0) {
    throw avrError(ErrorCodes.CONFIG_INVALID, `Invalid baudRate ${String(baudRate)}`, { retryable: false });
  }
  if (o.reset !== undefined && o.reset !== "dtr" && o.reset !== "none") {
    throw avrError(ErrorCodes.CONFIG_INVALID, `reset must be "dtr" or "none", not ${String(o.reset)}`, {
      retryable: false,
    });
  }
  return {
    board,
    baudRate,
    reset: o.reset ?? "dtr",
    serialNumber,
    syncAttempts: o.syncAttempts ?? 10,
    consoleBaudRate: o.consoleBaudRate ?? 115200,
    releaseMs: o.resetTimings?.releaseMs ?? 250,
    settleMs: o.resetTimings?.settleMs ?? 100,
  };
}

function resolveBoard(board: string | AvrBoard): AvrBoard {
  if (typeof board !== "string") return board;
  const known = AVR_BOARDS[board];
  if (known) return known;
  const why = UNSUPPORTED_BOARDS[board];
  if (why)
    throw avrError(ErrorCodes.NOT_SUPPORTED, `Board ${board} is not supported: ${why}`, { retryable: false });
  throw avrError(
    ErrorCodes.CONFIG_INVALID,
    `Unknown AVR board "${board}"; known boards: ${Object.keys(AVR_BOARDS).join(", ")}`,
    { retryable: false },
  );
}
