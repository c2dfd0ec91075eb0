import { type FdbEntry, noopLogger, type SwitchEvent, type SwitchPort } from "@factory/core";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { DEFAULT_TIMING, type WatchSource, type WatchTiming, watchSwitch } from "./watcher";

const UNIT = "00:1a:2b:3c:4d:5e";
const PORTS: SwitchPort[] = [
  { name: "21", ifIndex: 21, operStatus: "down", uplink: false },
  { name: "5", ifIndex: 5, operStatus: "up", uplink: false },
  { name: "Trk1", ifIndex: 289, operStatus: "up", uplink: true },
];

/** A scripted switch: its FDB and links are plain data; every read is recorded with its time. */
function fakeSwitch(options: { portReads?: boolean } = {}) {
  const fdb: FdbEntry[] = [{ mac: "00:1a:2b:00:00:05", port: "5", vlan: 100 }];
  const links = new Map<string, SwitchPort["operStatus"]>([
    ["21", "down"],
    ["5", "up"],
  ]);
  const reads = { whole: [] as number[], ports: [] as Array<{ at: number; ports: string[] }> };
  let onLink: ((port: string, up: boolean) => void) | undefined;
  const source: WatchSource = {
    ports: async () => PORTS,
    readFdb: async () => {
      reads.whole.push(Date.now());
      return fdb.map((e) => ({ ...e }));
    },
    readLinks: async () => new Map(links),
    subscribeLinks: async (link) => {
      onLink = link;
      return () => {
        onLink = undefined;
      };
    },
  };
  if (options.portReads !== false) {
    source.readPortFdb = async (ports) => {
      reads.ports.push({ at: Date.now(), ports: [...ports] });
      return fdb.filter((e) => ports.includes(e.port)).map((e) => ({ ...e }));
    };
  }
  return {
    source,
    fdb,
    reads,
    /** The unit's link comes up (trap); `learned` puts its MAC in the FDB too. */
    plug(learned: boolean): void {
      links.set("21", "up");
      if (learned) fdb.push({ mac: UNIT, port: "21", vlan: 100 });
      onLink?.("21", true);
    },
    learn(): void {
      fdb.push({ mac: UNIT, port: "21", vlan: 100 });
    },
    unplug(): void {
      links.set("21", "down");
      const i = fdb.findIndex((e) => e.mac === UNIT);
      if (i >= 0) fdb.splice(i, 1);
      onLink?.("21", false);
    },
  };
}

function watch(source: WatchSource, timing: Partial<WatchTiming> = {}) {
  const controller = new AbortController();
  const events: SwitchEvent[] = [];
  const iterable = watchSwitch(
    source,
    { ports: ["21", "5"], signal: controller.signal },
    { ...DEFAULT_TIMING, pollIntervalMs: 60_000, ...timing },
    noopLogger,
  );
  const done = (async () => {
    for await (const e of iterable) events.push(e);
  })();
  return {
    events,
    kinds: () => events.filter((e) => e.type !== "health").map((e) => `${e.type} ${e.port}`),
    stop: async () => {
      controller.abort();
      await done;
    },
  };
}

describe("watchSwitch arrival reads", () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("after a link-up trap reads only that port, at once, and reports the unit's MAC", async () => {
    const sw = fakeSwitch();
    const w = watch(sw.source);
    await vi.advanceTimersByTimeAsync(10);
    expect(sw.reads.whole).toHaveLength(1); // the baseline
    sw.plug(true);
    await vi.advanceTimersByTimeAsync(0);
    expect(w.kinds()).toEqual(["link-up 21", "mac-learned 21"]);
    expect(w.events.find((e) => e.type === "mac-learned")).toMatchObject({ mac: UNIT, vlan: 100 });
    expect(sw.reads.ports).toHaveLength(1);
    expect(sw.reads.ports[0]!.ports).toEqual(["21"]);
    expect(sw.reads.whole).toHaveLength(1); // no whole read for an arrival
    // Found: no more port reads until the next link up.
    await vi.advanceTimersByTimeAsync(5000);
    expect(sw.reads.ports).toHaveLength(1);
    await w.stop();
  });

  it("a link-up trap arriving after the first read keeps the departure of a unit that left meanwhile", async () => {
    const sw = fakeSwitch();
    // The unit is plugged and learned before the watch starts; its link-up trap comes late.
    sw.learn();
    const w = watch(sw.source);
    await vi.advanceTimersByTimeAsync(10);
    expect(sw.reads.whole).toHaveLength(1); // the baseline saw the unit on 21
    sw.unplug(); // it leaves (FDB and link) …
    sw.plug(false); // … and only then does the late link-up trap land
    await vi.advanceTimersByTimeAsync(0);
    // The unit the watcher knew on 21 is reported gone, not silently forgotten.
    expect(w.kinds().slice(0, 3)).toEqual(["link-down 21", "link-up 21", "mac-gone 21"]);
    expect(w.events.find((e) => e.type === "mac-gone")).toMatchObject({ mac: UNIT });
    expect(w.kinds()).not.toContain("mac-learned 21");
    await w.stop();
  });

  it("a late link-up trap for a unit that is still there reports nothing about it", async () => {
    const sw = fakeSwitch();
    sw.learn();
    const w = watch(sw.source);
    await vi.advanceTimersByTimeAsync(10);
    sw.plug(false); // the trap of the plug the baseline already saw
    await vi.advanceTimersByTimeAsync(5000);
    // The unit never seemed to leave: a station asking the operator about it keeps its question.
    expect(w.kinds()).toEqual(["link-up 21"]);
    expect(sw.reads.ports.length).toBeGreaterThanOrEqual(1);
    await w.stop();
  });

  it("a unit swapped while its link-down trap was lost: the port read reports it gone, then the new one", async () => {
    const sw = fakeSwitch();
    sw.learn();
    const w = watch(sw.source);
    await vi.advanceTimersByTimeAsync(10);
    // The first unit leaves with no trap, another is plugged and learned: one link-up trap.
    sw.fdb.splice(
      sw.fdb.findIndex((e) => e.mac === UNIT),
      1,
      { mac: "00:1a:2b:3c:4d:99", port: "21", vlan: 100 },
    );
    sw.plug(false);
    await vi.advanceTimersByTimeAsync(0);
    expect(w.kinds()).toEqual(["link-up 21", "mac-gone 21", "mac-learned 21"]);
    expect(w.events.filter((e) => e.type === "mac-gone" || e.type === "mac-learned")).toMatchObject([
      { mac: UNIT },
      { mac: "00:1a:2b:3c:4d:99" },
    ]);
    expect(sw.reads.whole).toHaveLength(1); // the port read told it all
    await w.stop();
  });

  it("reads again while the bridge has not learned the MAC, doubling the wait up to the cap", async () => {
    const sw = fakeSwitch();
    const w = watch(sw.source, { arrivalPollMs: 10, arrivalMaxPollMs: 40, arrivalDeadlineMs: 300 });
    await vi.advanceTimersByTimeAsync(10);
    const t0 = Date.now();
    sw.plug(false);
    await vi.advanceTimersByTimeAsync(1000);
    const at = sw.reads.ports.map((r) => r.at - t0);
    expect(at).toEqual([0, 10, 30, 70, 110, 150, 190, 230, 270]);
    expect(w.kinds()).toEqual(["link-up 21"]);
    await w.stop();
  });

  it("reports a MAC learned a while after the link came up", async () => {
    const sw = fakeSwitch();
    const w = watch(sw.source);
    await vi.advanceTimersByTimeAsync(10);
    sw.plug(false);
    await vi.advanceTimersByTimeAsync(250);
    expect(w.kinds()).toEqual(["link-up 21"]);
    sw.learn();
    await vi.advanceTimersByTimeAsync(400); // reads at 0, 100, 300 (1st after learning), 700
    expect(w.kinds()).toEqual(["link-up 21", "mac-learned 21"]);
    expect(sw.reads.ports).toHaveLength(3);
    await w.stop();
  });

  it("stops reading the port when its link goes down, and reports the MAC gone from a whole read", async () => {
    const sw = fakeSwitch();
    const w = watch(sw.source, { arrivalDeadlineMs: 10_000 });
    await vi.advanceTimersByTimeAsync(10);
    sw.plug(true);
    await vi.advanceTimersByTimeAsync(0);
    sw.unplug();
    await vi.advanceTimersByTimeAsync(0);
    expect(w.kinds()).toEqual(["link-up 21", "mac-learned 21", "link-down 21", "mac-gone 21"]);
    expect(sw.reads.whole).toHaveLength(2); // baseline, then the read after the link down
    sw.plug(false);
    await vi.advanceTimersByTimeAsync(150); // reads at 0 and 100
    sw.unplug();
    await vi.advanceTimersByTimeAsync(20_000);
    expect(sw.reads.ports).toHaveLength(3);
    await w.stop();
  });

  it("a link down during a port read comes after the MAC it read, and the whole read then reports it gone", async () => {
    const sw = fakeSwitch();
    const read = sw.source.readPortFdb!;
    sw.source.readPortFdb = async (ports, signal) => {
      const entries = await read(ports, signal);
      sw.unplug(); // the trap arrives while the answer is on its way
      return entries;
    };
    const w = watch(sw.source);
    await vi.advanceTimersByTimeAsync(10);
    sw.plug(true);
    await vi.advanceTimersByTimeAsync(0);
    expect(w.kinds()).toEqual(["link-up 21", "mac-learned 21", "link-down 21", "mac-gone 21"]);
    await w.stop();
  });

  it("a MAC the port read cannot see (another VLAN) is found by the whole read, which ends the port reads", async () => {
    const sw = fakeSwitch();
    // The port read sees only the port's own VLAN; the unit talks in another one.
    sw.source.readPortFdb = async (ports) => {
      sw.reads.ports.push({ at: Date.now(), ports: [...ports] });
      return [];
    };
    const w = watch(sw.source, { pollIntervalMs: 1000, arrivalDeadlineMs: 10_000 });
    await vi.advanceTimersByTimeAsync(10);
    sw.plug(false);
    sw.fdb.push({ mac: UNIT, port: "21", vlan: 160 });
    await vi.advanceTimersByTimeAsync(1000); // the whole read comes at 1000 after the baseline
    expect(w.kinds()).toEqual(["link-up 21", "mac-learned 21"]);
    const portReads = sw.reads.ports.length;
    await vi.advanceTimersByTimeAsync(5000);
    expect(sw.reads.ports.length).toBe(portReads);
    expect(w.kinds()).toEqual(["link-up 21", "mac-learned 21"]);
    await w.stop();
  });

  it("finds the unit with whole reads, backing off the same way, when the source has no port read", async () => {
    const sw = fakeSwitch({ portReads: false });
    const w = watch(sw.source, { arrivalPollMs: 10, arrivalMaxPollMs: 40, arrivalDeadlineMs: 10_000 });
    await vi.advanceTimersByTimeAsync(10);
    const t0 = Date.now();
    sw.plug(false);
    await vi.advanceTimersByTimeAsync(75);
    sw.learn();
    await vi.advanceTimersByTimeAsync(1000);
    expect(sw.reads.whole.slice(1).map((t) => t - t0)).toEqual([0, 10, 30, 70, 110]);
    expect(w.kinds()).toEqual(["link-up 21", "mac-learned 21"]);
    await w.stop();
  });

  it("a link up seen by the regular poll (trap lost) starts the arrival reads too", async () => {
    const sw = fakeSwitch();
    sw.source.subscribeLinks = undefined;
    const w = watch(sw.source, { pollIntervalMs: 2000 });
    await vi.advanceTimersByTimeAsync(10);
    sw.fdb.push({ mac: UNIT, port: "21", vlan: 100 }); // not yet in the regular poll's read…
    const readFdb = sw.source.readFdb;
    let first = true;
    sw.source.readFdb = async (signal) => {
      const all = await readFdb(signal);
      if (!first) return all;
      first = false;
      return all.filter((e) => e.mac !== UNIT);
    };
    // …whose link read then sees port 21 up.
    (sw.source as { readLinks: WatchSource["readLinks"] }).readLinks = async () =>
      new Map([
        ["21", "up"],
        ["5", "up"],
      ]);
    await vi.advanceTimersByTimeAsync(2000);
    expect(w.kinds()).toEqual(["link-up 21", "mac-learned 21"]);
    expect(sw.reads.ports).toHaveLength(1);
    await w.stop();
  });
});
