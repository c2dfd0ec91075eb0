import { isFactoryError } from "../errors";

/**
 * Test support for the credential tests: the `code` of the factory error `fn` throws,
 * `"not-a-factory-error"` when it throws anything else, `undefined` when it returns.
 */
export function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return isFactoryError(e) ? e.code : "not-a-factory-error";
  }
  return undefined;
}
