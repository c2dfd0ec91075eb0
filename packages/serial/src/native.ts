import type { BindingInterface } from "./binding-types";

let nativeBinding: Promise<BindingInterface> | undefined;

/**
 * The platform's native serial binding (from the `serialport` package), loaded on first use so
 * that simulator-only users never load the native addon.
 */
export function loadNativeBinding(): Promise<BindingInterface> {
  nativeBinding ??= import("serialport").then((m) => m.SerialPort.binding as unknown as BindingInterface);
  return nativeBinding;
}
