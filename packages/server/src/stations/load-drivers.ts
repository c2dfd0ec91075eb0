import {
  type DriverKind,
  isFactoryError,
  type Logger,
  loadDriverFactory,
  type Printer,
  type SwitchDriver,
} from "@factory/core";
import type { DriverRef } from "./config";

/**
 * Creates the switch driver or printer a station config names. The package is resolved from the
 * config's directory first (a plant's own install), then from the server's own dependencies.
 * A package that is not installed fails with `DRIVER_NOT_INSTALLED` and the command to fix it.
 */
export async function loadStationDriver<K extends Extract<DriverKind, "switch" | "printer">>(
  kind: K,
  ref: DriverRef,
  context: { baseDir: string; logger: Logger },
): Promise<K extends "switch" ? SwitchDriver : Printer> {
  const exportName = ref.export !== undefined ? { exportName: ref.export } : {};
  let factory: Awaited<ReturnType<typeof loadDriverFactory<K>>>;
  try {
    factory = await loadDriverFactory(kind, ref.driver, { baseDir: context.baseDir, ...exportName });
  } catch (error) {
    if (!isFactoryError(error, "DRIVER_NOT_INSTALLED")) throw error;
    factory = await loadDriverFactory(kind, ref.driver, {
      ...exportName,
      importer: (specifier) => import(/* @vite-ignore */ specifier),
    });
  }
  const driver = await factory.create(ref.options, context);
  return driver as K extends "switch" ? SwitchDriver : Printer;
}
