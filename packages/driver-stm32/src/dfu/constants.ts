/** USB IDs of ST's DFU bootloader ("STM Device in DFU Mode"). */
export const ST_DFU_VENDOR_ID = 0x0483;
export const ST_DFU_PRODUCT_ID = 0xdf11;

/** DFU class requests (bRequest), sent to the interface. */
export const DfuRequest = {
  DETACH: 0,
  DNLOAD: 1,
  UPLOAD: 2,
  GETSTATUS: 3,
  CLRSTATUS: 4,
  GETSTATE: 5,
  ABORT: 6,
} as const;

/** DFU device states (bState). */
export const DfuState = {
  appIDLE: 0,
  appDETACH: 1,
  dfuIDLE: 2,
  dfuDNLOAD_SYNC: 3,
  dfuDNBUSY: 4,
  dfuDNLOAD_IDLE: 5,
  dfuMANIFEST_SYNC: 6,
  dfuMANIFEST: 7,
  dfuMANIFEST_WAIT_RESET: 8,
  dfuUPLOAD_IDLE: 9,
  dfuERROR: 10,
} as const;

/** DFU status codes (bStatus). */
export const DfuStatus = {
  OK: 0x00,
  errTARGET: 0x01,
  errFILE: 0x02,
  errWRITE: 0x03,
  errERASE: 0x04,
  errCHECK_ERASED: 0x05,
  errPROG: 0x06,
  errVERIFY: 0x07,
  errADDRESS: 0x08,
  errNOTDONE: 0x09,
  errFIRMWARE: 0x0a,
  errVENDOR: 0x0b,
  errUSBR: 0x0c,
  errPOR: 0x0d,
  errUNKNOWN: 0x0e,
  errSTALLEDPKT: 0x0f,
} as const;

/** DfuSe commands: the first byte of a DNLOAD with wBlockNum 0. */
export const DfuseCommand = {
  GET: 0x00,
  SET_ADDRESS: 0x21,
  ERASE: 0x41,
  READ_UNPROTECT: 0x92,
} as const;

const STATE_NAMES = Object.fromEntries(Object.entries(DfuState).map(([k, v]) => [v, k]));
const STATUS_NAMES = Object.fromEntries(Object.entries(DfuStatus).map(([k, v]) => [v, k]));

export function dfuStateName(state: number): string {
  return STATE_NAMES[state] ?? `state ${state}`;
}

export function dfuStatusName(status: number): string {
  return STATUS_NAMES[status] ?? `status ${status}`;
}

/** USB descriptor types used by the driver. */
export const DescriptorType = {
  DEVICE: 1,
  CONFIGURATION: 2,
  STRING: 3,
  INTERFACE: 4,
  DFU_FUNCTIONAL: 0x21,
} as const;

/** The standard GET_DESCRIPTOR request. */
export const GET_DESCRIPTOR = 6;
/** English (US), the language every ST bootloader string is in. */
export const LANGID_EN_US = 0x0409;
