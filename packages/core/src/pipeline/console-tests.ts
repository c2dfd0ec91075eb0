import { throwIfAborted } from "../abort";
import type { LineConsole } from "../contracts/board-driver";
import type { TestResult } from "../contracts/records";
import { isFactoryError, toFactoryError } from "../errors";

/** One console test from the seed's `testing.tests`: send `command`, expect `expect` within `timeoutMs`. */
export interface ConsoleTest {
  name: string;
  command: string;
  expect: string | RegExp;
  timeoutMs: number;
}

/**
 * Runs the tests in order on an open console and returns one result per test. A test that
 * times out or sees the wrong answer fails; the run goes on so the record shows every test.
 * Cancellation ends the run with `ABORTED`.
 */
export async function runConsoleTests(
  console: LineConsole,
  tests: readonly ConsoleTest[],
  options: { signal?: AbortSignal; onResult?: (result: TestResult) => void } = {},
): Promise<TestResult[]> {
  const results: TestResult[] = [];
  for (const test of tests) {
    throwIfAborted(options.signal);
    const started = performance.now();
    let result: TestResult;
    try {
      await console.writeLine(test.command, { signal: options.signal });
      const line = await console.expect(test.expect, { timeoutMs: test.timeoutMs, signal: options.signal });
      result = { name: test.name, passed: true, output: line, durationMs: performance.now() - started };
    } catch (error) {
      if (isFactoryError(error, "ABORTED")) throw error;
      const coded = toFactoryError(error);
      result = {
        name: test.name,
        passed: false,
        output: console.backlog.slice(-5).join("\n"),
        durationMs: performance.now() - started,
        errorCode: coded.code,
      };
    }
    results.push(result);
    options.onResult?.(result);
  }
  return results;
}
