import { ErrorCodes, type FactoryError } from "@factory/core";
import { PicoErrorCodes, picoError } from "../errors";

/** picotool's return codes (errors.h). A POSIX shell sees them modulo 256: −7 → 249. */
export const PICOTOOL_RC = {
  OK: 0,
  ARGS: -1,
  FORMAT: -2,
  INCOMPATIBLE: -3,
  READ_FAILED: -4,
  WRITE_FAILED: -5,
  USB: -6,
  NO_DEVICE: -7,
  NOT_POSSIBLE: -8,
  CONNECTION: -9,
  CANCELLED: -10,
  VERIFICATION_FAILED: -11,
  UNKNOWN: -99,
} as const;

/** picotool's rc from a process exit status (0…255). */
export function rcFromExitCode(exitCode: number): number {
  return exitCode > 127 ? exitCode - 256 : exitCode;
}

/** What picotool said when it found no device to talk to, or undefined. */
export function noDeviceMessage(output: string): string | undefined {
  const line = output
    .split(/\r?\n/)
    .find((l) => /^(Despite the reboot attempt, no|No) accessible RP\S* devices? in BOOTSEL mode/.test(l));
  return line?.trim();
}

const UDEV_HINT =
  "the station user cannot open the USB device: add a udev rule such as " +
  'SUBSYSTEM=="usb", ATTRS{idVendor}=="2e8a", MODE="0660", GROUP="plugdev" and add the user to plugdev';

const CODES: Readonly<Record<number, { code: string; retryable?: boolean }>> = {
  [PICOTOOL_RC.ARGS]: { code: ErrorCodes.INVALID_ARGUMENT },
  [PICOTOOL_RC.FORMAT]: { code: ErrorCodes.IMAGE_INVALID },
  [PICOTOOL_RC.INCOMPATIBLE]: { code: ErrorCodes.DEVICE_MISMATCH },
  [PICOTOOL_RC.READ_FAILED]: { code: ErrorCodes.FLASH_FAILED },
  [PICOTOOL_RC.WRITE_FAILED]: { code: ErrorCodes.FLASH_FAILED },
  [PICOTOOL_RC.USB]: { code: ErrorCodes.PORT_DISCONNECTED },
  [PICOTOOL_RC.NO_DEVICE]: { code: ErrorCodes.NO_DEVICE, retryable: true },
  [PICOTOOL_RC.NOT_POSSIBLE]: { code: ErrorCodes.INVALID_ARGUMENT },
  [PICOTOOL_RC.CONNECTION]: { code: ErrorCodes.PORT_DISCONNECTED },
  [PICOTOOL_RC.CANCELLED]: { code: ErrorCodes.ABORTED },
  [PICOTOOL_RC.VERIFICATION_FAILED]: { code: ErrorCodes.VERIFY_FAILED },
};

/**
 * Turns a failed picotool run into a coded error: −7 NO_DEVICE → `NO_DEVICE` (or `PORT_BUSY` when
 * picotool saw the device but could not open it), −8 → `INVALID_ARGUMENT` (several devices, none
 * targeted), −2 → `IMAGE_INVALID`, −3 → `DEVICE_MISMATCH`, −4/−5 → `FLASH_FAILED`, −6/−9 →
 * `PORT_DISCONNECTED`, −10 → `ABORTED`, −11 → `VERIFY_FAILED`, anything else `PICOTOOL_FAILED`.
 * The message quotes what picotool said; `details` keep the command line, rc and output.
 */
export function picotoolFailure(args: readonly string[], exitCode: number, output: string): FactoryError {
  const rc = rcFromExitCode(exitCode);
  const noDevice = noDeviceMessage(output);
  const errorLine = output
    .split(/\r?\n/)
    .map((l) => l.trim())
    .find((l) => l.startsWith("ERROR:"));
  const said =
    errorLine?.replace(/^ERROR:\s*/, "") ?? noDevice ?? lastLine(output) ?? `exit status ${exitCode}`;
  const details = { command: ["picotool", ...args].join(" "), rc, exitCode, output: output.slice(-2000) };
  const what = `picotool ${args[0] ?? ""}`.trim();
  if (rc === PICOTOOL_RC.NO_DEVICE && /unable to connect\. Maybe try 'sudo'/.test(output)) {
    return picoError(ErrorCodes.PORT_BUSY, `${what}: the device is in BOOTSEL mode but ${UDEV_HINT}`, {
      details,
      retryable: false,
    });
  }
  if (rc === PICOTOOL_RC.NO_DEVICE && /appears to have a USB serial connection/.test(output)) {
    return picoError(
      ErrorCodes.NO_DEVICE,
      `${what}: ${said} The board is running an application; send it to BOOTSEL first (1200-baud touch or reset("bootloader"))`,
      { details, retryable: true },
    );
  }
  const entry = CODES[rc] ?? { code: PicoErrorCodes.PICOTOOL_FAILED };
  return picoError(entry.code, `${what} failed: ${said}`, {
    details,
    ...(entry.retryable !== undefined ? { retryable: entry.retryable } : {}),
  });
}

function lastLine(output: string): string | undefined {
  const lines = output
    .split(/[\r\n]+/)
    .map((l) => l.trim())
    .filter(Boolean);
  return lines.at(-1);
}
