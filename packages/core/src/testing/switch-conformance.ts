import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SwitchDriver, SwitchEvent, WatchOptions } from "../contracts/switch-driver";
import { isFactoryError } from "../errors";

/** What a switch implementation provides so that the shared suite can drive it. */
export interface SwitchConformanceHarness {
  driver: SwitchDriver;
  /** An access port units are plugged into (the labeling port, `21`). */
  port: string;
  /** A second access port, for MACs that move. */
  otherPort: string;
  /** An uplink and a MAC learned behind it; such MACs must never be reported as arrivals. */
  uplink?: { port: string; mac: string };
  /** Makes `mac` learned on `port`, as when a unit sends its first frame there. */
  learnMac(mac: string, port: string): Promise<void>;
  /** Ages `mac` out of the forwarding database. */
  forgetMac(mac: string): Promise<void>;
  /** Link up on `port`, reported the way this switch reports it (trap, or state seen by a poll). */
  linkUp(port: string): Promise<void>;
  linkDown(port: string): Promise<void>;
  /** Releases what the setup started (simulators, receivers); the suite closes the driver itself. */
  teardown?(): Promise<void>;
}

/** The cases of the suite, by name, so that an implementation can skip one with a reason. */
export type SwitchConformanceCase =
  | "identify"
  | "list-ports"
  | "learned-mac"
  | "unknown-mac"
  | "uplink-ignored"
  | "mac-moves"
  | "bad-mac"
  | "bad-port"
  | "aborted"
  | "arp"
  | "watch-arrival"
  | "watch-departure"
  | "watch-port-filter"
  | "watch-abort";

export interface SwitchConformanceOptions {
  /** Cases to skip, each with the reason shown in the test name. */
  skip?: Partial<Record<SwitchConformanceCase, string>>;
  /** How long an expected watch event may take, ms (default 5000). */
  eventTimeoutMs?: number;
  /** Extra options for every `watch()` (a short `pollIntervalMs` for polling drivers). */
  watch?: Omit<WatchOptions, "signal" | "ports">;
}

/**
 * The suite every {@link SwitchDriver} runs. `setup` runs once; the cases share its switch and
 * use a fresh MAC each, so a slow simulator starts only once.
 *
 * @example
 * describeSwitchDriverConformance("fake", async () => {
 *   const sw = createFakeSwitch({ ports: ["21", "22", { name: "24", uplink: true }] });
 *   sw.learn("02:00:00:00:99:01", "24");
 *   return { driver: sw, port: "21", otherPort: "22", uplink: { port: "24", mac: "02:00:00:00:99:01" },
 *     learnMac: async (m, p) => sw.learn(m, p), forgetMac: async (m) => sw.forget(m),
 *     linkUp: async (p) => sw.linkUp(p), linkDown: async (p) => sw.linkDown(p) };
 * });
 */
export function describeSwitchDriverConformance(
  name: string,
  setup: () => Promise<SwitchConformanceHarness>,
  options: SwitchConformanceOptions = {},
): void {
  const timeout = options.eventTimeoutMs ?? 5000;
  let h: SwitchConformanceHarness;
  let serial = 0;
  const freshMac = (): string => {
    serial += 1;
    return `02:fc:${(Date.now() & 0xff).toString(16).padStart(2, "0")}:00:${(serial >> 8).toString(16).padStart(2, "0")}:${(serial & 0xff).toString(16).padStart(2, "0")}`;
  };
  const test = (id: SwitchConformanceCase, title: string, fn: () => Promise<void>): void => {
    const reason = options.skip?.[id];
    if (reason) it.skip(`${title} (skipped: ${reason})`, fn);
    else it(title, fn, timeout * 4 + 10_000);
  };
  const watchFor = (ports?: string[]) =>
    startWatch(h.driver, { ...options.watch, ...(ports ? { ports } : {}) }, timeout);

  describe(`SwitchDriver conformance: ${name}`, () => {
    beforeAll(async () => {
      h = await setup();
    });
    afterAll(async () => {
      if (!h) return;
      await h.driver.close();
      await h.driver.close(); // closing twice is harmless
      await h.teardown?.();
    });

    test("identify", "identifies the switch", async () => {
      const id = await h.driver.identify();
      expect(typeof id.sysDescr).toBe("string");
      expect(id.sysDescr.length).toBeGreaterThan(0);
    });

    test("list-ports", "lists front-panel ports with their uplink flag", async () => {
      const ports = await h.driver.listPorts();
      const byName = new Map(ports.map((p) => [p.name, p]));
      expect(byName.get(h.port)?.uplink).toBe(false);
      expect(byName.get(h.otherPort)?.uplink).toBe(false);
      if (h.uplink) expect(byName.get(h.uplink.port)?.uplink).toBe(true);
      expect(new Set(ports.map((p) => p.name)).size).toBe(ports.length);
      for (const p of ports) expect(["up", "down", "unknown"]).toContain(p.operStatus);
    });

    test("learned-mac", "reports a learned MAC on its port, whatever the MAC spelling", async () => {
      const mac = freshMac();
      await h.learnMac(mac, h.port);
      const onPort = await h.driver.macsOnPort(h.port);
      expect(onPort.map((e) => e.mac)).toContain(mac);
      for (const e of onPort) expect(e.port).toBe(h.port);
      const found = await h.driver.findMac(mac.toUpperCase().replaceAll(":", "-"));
      expect(found).toMatchObject({ mac, port: h.port });
    });

    test("unknown-mac", "finds nothing for a MAC the switch never saw", async () => {
      expect(await h.driver.findMac("02:fd:00:00:00:01")).toBeUndefined();
    });

    test("uplink-ignored", "never reports a MAC behind an uplink as found", async () => {
      if (!h.uplink) throw new Error("the harness names no uplink; skip this case with a reason");
      expect(await h.driver.findMac(h.uplink.mac)).toBeUndefined();
    });

    test("mac-moves", "follows a MAC that moves to another port", async () => {
      const mac = freshMac();
      await h.learnMac(mac, h.port);
      expect((await h.driver.findMac(mac))?.port).toBe(h.port);
      await h.learnMac(mac, h.otherPort);
      expect((await h.driver.findMac(mac))?.port).toBe(h.otherPort);
      expect((await h.driver.macsOnPort(h.port)).map((e) => e.mac)).not.toContain(mac);
    });

    test("bad-mac", "rejects a malformed MAC with INVALID_ARGUMENT", async () => {
      await expectCode(h.driver.findMac("not-a-mac"), "INVALID_ARGUMENT");
      await expectCode(h.driver.findMac("aa:bb:cc:dd:ee"), "INVALID_ARGUMENT");
    });

    test("bad-port", "rejects an unknown port with PORT_NOT_FOUND", async () => {
      await expectCode(h.driver.macsOnPort("no-such-port-99"), "PORT_NOT_FOUND");
    });

    test("aborted", "rejects with ABORTED when the signal has already fired", async () => {
      const signal = AbortSignal.abort();
      await expectCode(h.driver.identify({ signal }), "ABORTED");
      await expectCode(h.driver.listPorts({ signal }), "ABORTED");
      await expectCode(h.driver.findMac("02:fd:00:00:00:02", { signal }), "ABORTED");
    });

    test("arp", "reads the ARP table, or says NOT_SUPPORTED", async () => {
      if (!h.driver.capabilities.arp) {
        await expectCode(h.driver.arp(), "NOT_SUPPORTED");
        return;
      }
      const entries = await h.driver.arp();
      for (const e of entries) {
        expect(e.mac).toMatch(/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/);
        expect(e.ip).toMatch(/^[0-9a-f.:]+$/i);
      }
    });

    test("watch-arrival", "watch() reports link up and the unit's MAC on the port", async () => {
      const mac = freshMac();
      await h.linkDown(h.port); // the unit arrives on a port whose link was down
      const w = watchFor();
      try {
        await w.ready();
        await h.learnMac(mac, h.port);
        await h.linkUp(h.port);
        await w.waitFor((e) => e.type === "link-up" && e.port === h.port, timeout);
        const learned = await w.waitFor((e) => e.type === "mac-learned" && e.mac === mac, timeout);
        expect(learned).toMatchObject({ port: h.port, mac });
        expect(learned.at).toBeInstanceOf(Date);
      } finally {
        await w.stop();
      }
    });

    test("watch-departure", "watch() reports the MAC gone and link down", async () => {
      const mac = freshMac();
      await h.learnMac(mac, h.port);
      await h.linkUp(h.port);
      const w = watchFor();
      try {
        await w.ready();
        await h.forgetMac(mac);
        await h.linkDown(h.port);
        await w.waitFor((e) => e.type === "link-down" && e.port === h.port, timeout);
        const gone = await w.waitFor((e) => e.type === "mac-gone" && e.mac === mac, timeout);
        expect(gone).toMatchObject({ port: h.port });
      } finally {
        await w.stop();
      }
    });

    test("watch-port-filter", "watch({ ports }) reports only the ports asked for", async () => {
      const elsewhere = freshMac();
      const wanted = freshMac();
      const w = watchFor([h.otherPort]);
      try {
        await w.ready();
        await h.learnMac(elsewhere, h.port);
        await h.learnMac(wanted, h.otherPort);
        await h.linkUp(h.otherPort);
        await w.waitFor((e) => e.type === "mac-learned" && e.mac === wanted, timeout);
        const ports = w.events.flatMap((e) => ("port" in e ? [e.port] : []));
        expect(ports.every((p) => p === h.otherPort)).toBe(true);
      } finally {
        await w.stop();
      }
    });

    test("watch-abort", "watch() starts with a health event and ends when its signal fires", async () => {
      const w = watchFor();
      await w.ready();
      expect(w.events[0]).toMatchObject({ type: "health", ok: true });
      const ended = await w.stop();
      expect(ended).toBe(true);
    });
  });
}

async function expectCode(promise: Promise<unknown>, code: string): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, `expected a rejection with ${code}`).toBeDefined();
  expect(isFactoryError(error) ? error.code : error).toBe(code);
}

interface RunningWatch {
  events: SwitchEvent[];
  /** Resolves on the watcher's first `health` event: it is subscribed and has its baseline. */
  ready(): Promise<void>;
  waitFor(predicate: (e: SwitchEvent) => boolean, timeoutMs: number): Promise<SwitchEvent & { at: Date }>;
  /** Aborts and resolves true when the iteration ended within 5 s. */
  stop(): Promise<boolean>;
}

function startWatch(
  driver: SwitchDriver,
  options: Omit<WatchOptions, "signal">,
  readyTimeoutMs: number,
): RunningWatch {
  const controller = new AbortController();
  const events: SwitchEvent[] = [];
  const waiters = new Set<() => void>();
  let failure: unknown;
  const done = (async () => {
    try {
      for await (const event of driver.watch({ ...options, signal: controller.signal })) {
        events.push(event);
        for (const w of waiters) w();
      }
    } catch (error) {
      if (!controller.signal.aborted) failure = error;
    } finally {
      for (const w of waiters) w();
    }
  })();
  return {
    events,
    ready: async () => {
      const start = Date.now();
      while (!events.some((e) => e.type === "health") && Date.now() - start < readyTimeoutMs) {
        if (failure) throw failure;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      if (!events.some((e) => e.type === "health")) {
        throw new Error(`watch() gave no first health event within ${readyTimeoutMs} ms`);
      }
    },
    waitFor: (predicate, timeoutMs) =>
      new Promise((resolve, reject) => {
        const check = (): void => {
          const hit = events.find(predicate);
          if (hit) {
            cleanup();
            resolve(hit as SwitchEvent & { at: Date });
          } else if (failure) {
            cleanup();
            reject(failure);
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`no matching event within ${timeoutMs} ms; saw ${JSON.stringify(events)}`));
        }, timeoutMs);
        const cleanup = (): void => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      }),
    stop: async () => {
      controller.abort();
      const ended = await Promise.race([
        done.then(() => true),
        new Promise<boolean>((r) => setTimeout(() => r(false), 5000)),
      ]);
      if (failure) throw failure;
      return ended;
    },
  };
}
