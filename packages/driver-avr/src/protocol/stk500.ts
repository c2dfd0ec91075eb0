/** STK500v1 constants as optiboot and `avrdude -c arduino` use them (PROTOCOLS.md §3.1). */
export const Stk = {
  OK: 0x10,
  FAILED: 0x11,
  UNKNOWN: 0x12,
  NODEVICE: 0x13,
  INSYNC: 0x14,
  NOSYNC: 0x15,
  CRC_EOP: 0x20,
  GET_SYNC: 0x30,
  GET_SIGN_ON: 0x31,
  SET_PARAMETER: 0x40,
  GET_PARAMETER: 0x41,
  SET_DEVICE: 0x42,
  SET_DEVICE_EXT: 0x45,
  ENTER_PROGMODE: 0x50,
  LEAVE_PROGMODE: 0x51,
  CHIP_ERASE: 0x52,
  LOAD_ADDRESS: 0x55,
  UNIVERSAL: 0x56,
  PROG_PAGE: 0x64,
  READ_PAGE: 0x74,
  READ_SIGN: 0x75,
  /** Parameters of GET_PARAMETER. */
  SW_MAJOR: 0x81,
  SW_MINOR: 0x82,
  /** AVR serial-programming opcode "load extended address", sent inside UNIVERSAL above 128 KiB. */
  AVR_OP_LOAD_EXT_ADDR: 0x4d,
} as const;

/** Memory types of PROG_PAGE / READ_PAGE. */
export type MemoryType = "F" | "E";

export const encode = {
  getSync: (): Uint8Array => Uint8Array.of(Stk.GET_SYNC, Stk.CRC_EOP),
  getParameter: (param: number): Uint8Array => Uint8Array.of(Stk.GET_PARAMETER, param, Stk.CRC_EOP),
  enterProgmode: (): Uint8Array => Uint8Array.of(Stk.ENTER_PROGMODE, Stk.CRC_EOP),
  leaveProgmode: (): Uint8Array => Uint8Array.of(Stk.LEAVE_PROGMODE, Stk.CRC_EOP),
  readSign: (): Uint8Array => Uint8Array.of(Stk.READ_SIGN, Stk.CRC_EOP),
  /** `address` is the word address for flash (byte address / 2); bit 15 selects the upper 128 KiB. */
  loadAddress: (address: number): Uint8Array =>
    Uint8Array.of(Stk.LOAD_ADDRESS, address & 0xff, (address >> 8) & 0xff, Stk.CRC_EOP),
  universal: (a: number, b: number, c: number, d: number): Uint8Array =>
    Uint8Array.of(Stk.UNIVERSAL, a, b, c, d, Stk.CRC_EOP),
  /** PROG_PAGE: the length is big-endian, in bytes. */
  progPage: (memory: MemoryType, data: Uint8Array): Uint8Array => {
    const out = new Uint8Array(5 + data.length);
    out[0] = Stk.PROG_PAGE;
    out[1] = (data.length >> 8) & 0xff;
    out[2] = data.length & 0xff;
    out[3] = memory.charCodeAt(0);
    out.set(data, 4);
    out[4 + data.length] = Stk.CRC_EOP;
    return out;
  },
  readPage: (memory: MemoryType, length: number): Uint8Array =>
    Uint8Array.of(Stk.READ_PAGE, (length >> 8) & 0xff, length & 0xff, memory.charCodeAt(0), Stk.CRC_EOP),
};
