/**
 * The label printed on a unit's box: one model, rendered by each printer to its own format
 * (ZPL, PDF, PNG). Secrets on a label are marked so that no log or preview keeps them.
 */
export interface LabelField {
  /** Caption printed before the value: `Serial`, `SSH`, `Web`. */
  caption: string;
  value: string;
  /** A password or other secret: printed, never logged, hidden in previews. */
  secret?: boolean;
  /** Print in the unambiguous monospace face (passwords people will type). */
  monospace?: boolean;
}

export interface Label {
  /** Product name at the top: `PrivateBox`. */
  title: string;
  /** The unit's serial; printed large. */
  serial: string;
  fields: LabelField[];
  /** Content of the QR code, e.g. the setup URL with the serial. */
  qr?: string;
  /** Footer line, e.g. `privatebox.dk/setup`. */
  footer?: string;
  /** Physical size in millimetres. Printers reject sizes they cannot print. */
  widthMm: number;
  heightMm: number;
}
