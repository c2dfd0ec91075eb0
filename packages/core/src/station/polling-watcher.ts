import { sleep } from "../abort";
import type { BoardDriver } from "../contracts/board-driver";
import type { PortRef } from "../contracts/port";
import type { PortChange, PortWatcher } from "../contracts/station";
import { isAbortError } from "../errors";

export interface PollingWatcherOptions {
  /** How often each idle port is probed, ms. */
  intervalMs?: number;
  /** Ports with a session open are not probed (a probe would fight the session for the port). */
  isBusy?: (port: PortRef) => boolean;
}

/**
 * A {@link PortWatcher} that probes every idle port with the driver at a fixed interval and
 * reports changes. A probe that throws counts as "absent" for that round.
 */
export function createPollingWatcher(driver: BoardDriver, options: PollingWatcherOptions = {}): PortWatcher {
  const intervalMs = options.intervalMs ?? 500;
  return {
    async *watch(ports: readonly PortRef[], { signal }): AsyncIterable<PortChange> {
      const present = new Map<string, boolean>();
      while (!signal?.aborted) {
        const rounds = await Promise.all(
          ports.map(async (port) => {
            if (options.isBusy?.(port)) return undefined;
            try {
              const probe = await driver.probe(port, { signal });
              return { port, present: probe.present };
            } catch (error) {
              if (isAbortError(error)) return undefined;
              return { port, present: false };
            }
          }),
        );
        for (const round of rounds) {
          if (!round || signal?.aborted) continue;
          const was = present.get(round.port.path) ?? false;
          if (round.present !== was) {
            present.set(round.port.path, round.present);
            yield { type: round.present ? "attached" : "detached", port: round.port };
          }
        }
        try {
          await sleep(intervalMs, signal);
        } catch {
          return;
        }
      }
    },
  };
}
