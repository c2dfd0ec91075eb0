import type { Context } from "hono";
import { streamSSE } from "hono/streaming";

/**
 * Streams `initial` and then every value `subscribe` delivers as SSE events named `event`, with
 * a keep-alive comment every 15 s, until the client goes away. Only the newest 100 values wait
 * for a slow client (older ones are dropped: each value is a full state, not a delta).
 */
export function streamValues<T>(
  c: Context,
  event: string,
  initial: () => T,
  subscribe: (push: (value: T) => void) => () => void,
): Response {
  return streamSSE(c, async (stream) => {
    const queue: T[] = [];
    let wake: (() => void) | undefined;
    const off = subscribe((value) => {
      queue.push(value);
      if (queue.length > 100) queue.shift();
      wake?.();
    });
    stream.onAbort(() => {
      off();
      wake?.();
    });
    await stream.writeSSE({ event, data: JSON.stringify(initial()) });
    while (!stream.aborted && !stream.closed) {
      const value = queue.shift();
      if (value !== undefined) {
        await stream.writeSSE({ event, data: JSON.stringify(value) });
        continue;
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 15_000);
        wake = () => {
          clearTimeout(timer);
          wake = undefined;
          resolve();
        };
      });
      if (queue.length === 0 && !stream.aborted) await stream.write(": keep-alive\n\n");
    }
    off();
  });
}
