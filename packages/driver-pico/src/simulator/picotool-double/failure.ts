/** picotool's return codes (errors.h). */
export const RC = {
  ARGS: -1,
  FORMAT: -2,
  INCOMPATIBLE: -3,
  USB: -6,
  NO_DEVICE: -7,
  NOT_POSSIBLE: -8,
  CONNECTION: -9,
  CANCELLED: -10,
  VERIFY: -11,
  UNKNOWN: -99,
};

/** A failure the double reports as picotool would: `ERROR: <message>` (or bare) and an rc. */
export class Failure extends Error {
  constructor(
    readonly rc: number,
    message: string,
    readonly prefixed = true,
  ) {
    super(message);
  }
}

export const FLASH_BASE = 0x1000_0000;
