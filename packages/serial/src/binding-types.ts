/**
 * The `@serialport/bindings-interface` contract, restated structurally. That package ships its
 * types without an `exports` entry for them, so TypeScript's Bundler resolution cannot see them.
 * Every serialport binding (bindings-cpp, binding-mock, {@link SimBinding}) satisfies these shapes.
 */

export interface OpenOptions {
  path: string;
  baudRate: number;
  dataBits?: 5 | 6 | 7 | 8;
  lock?: boolean;
  stopBits?: 1 | 1.5 | 2;
  parity?: string;
  rtscts?: boolean;
  xon?: boolean;
  xoff?: boolean;
  xany?: boolean;
  hupcl?: boolean;
}

export interface UpdateOptions {
  baudRate: number;
}

export interface SetOptions {
  brk?: boolean;
  cts?: boolean;
  dsr?: boolean;
  dtr?: boolean;
  rts?: boolean;
}

export interface PortStatus {
  cts: boolean;
  dsr: boolean;
  dcd: boolean;
}

export interface BindingPortInfo {
  path: string;
  manufacturer: string | undefined;
  serialNumber: string | undefined;
  pnpId: string | undefined;
  locationId: string | undefined;
  productId: string | undefined;
  vendorId: string | undefined;
}

/** One open port of a binding. Reads in progress reject with `canceled: true` when it closes. */
export interface BindingPortInterface {
  readonly openOptions: Required<OpenOptions>;
  isOpen: boolean;
  close(): Promise<void>;
  read(buffer: Buffer, offset: number, length: number): Promise<{ buffer: Buffer; bytesRead: number }>;
  write(buffer: Buffer): Promise<void>;
  update(options: UpdateOptions): Promise<void>;
  set(options: SetOptions): Promise<void>;
  get(): Promise<PortStatus>;
  getBaudRate(): Promise<{ baudRate: number }>;
  flush(): Promise<void>;
  drain(): Promise<void>;
}

/** A serialport binding: lists and opens ports. */
export interface BindingInterface<T extends BindingPortInterface = BindingPortInterface> {
  list(): Promise<BindingPortInfo[]>;
  open(options: OpenOptions): Promise<T>;
}
