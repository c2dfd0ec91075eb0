import { describe, expect, it } from "vitest";
import type { SwitchEvent } from "../contracts/switch-driver";
import { createError, isFactoryError } from "../errors";
import { createFakeSwitch } from "./fake-switch";
import { describeSwitchDriverConformance } from "./switch-conformance";

const UPLINK_MAC = "02:00:00:00:99:01";

describeSwitchDriverConformance("fake switch", async () => {
  const sw = createFakeSwitch({ ports: ["21", "22", { name: "24", uplink: true }] });
  sw.learn(UPLINK_MAC, "24");
  sw.setArp("02:00:00:00:00:21", "10.0.0.21");
  return {
    driver: sw,
    port: "21",
    otherPort: "22",
    uplink: { port: "24", mac: UPLINK_MAC },
    learnMac: async (mac, port) => sw.learn(mac, port),
    forgetMac: async (mac) => sw.forget(mac),
    linkUp: async (port) => sw.linkUp(port),
    linkDown: async (port) => sw.linkDown(port),
  };
});

async function take(iterable: AsyncIterable<SwitchEvent>, n: number): Promise<SwitchEvent[]> {
  const out: SwitchEvent[] = [];
  for await (const e of iterable) {
    out.push(e);
    if (out.length >= n) break;
  }
  return out;
}

describe("FakeSwitch scripting", () => {
  it("flushes a port's MACs on link down and reports each as gone", async () => {
    const sw = createFakeSwitch();
    sw.learn("02:00:00:00:00:01", "5");
    sw.learn("02:00:00:00:00:02", "5");
    const events = take(sw.watch(), 4);
    await new Promise((r) => setTimeout(r, 10));
    sw.linkDown("5");
    expect((await events).map((e) => e.type)).toEqual(["health", "link-down", "mac-gone", "mac-gone"]);
    expect(await sw.macsOnPort("5")).toEqual([]);
  });

  it("never reports uplink MACs to an unfiltered watcher", async () => {
    const sw = createFakeSwitch();
    const events = take(sw.watch(), 2);
    await new Promise((r) => setTimeout(r, 10));
    sw.learn("02:00:00:00:00:03", "24");
    sw.learn("02:00:00:00:00:04", "3");
    expect(await events).toMatchObject([
      { type: "health", ok: true },
      { type: "mac-learned", port: "3" },
    ]);
  });

  it("fails the next calls with an injected error, then recovers", async () => {
    const sw = createFakeSwitch();
    sw.failNext("listPorts", createError("test", "SWITCH_AUTH_FAILED", "bad community"), 2);
    for (let i = 0; i < 2; i++) {
      const error = await sw.listPorts().catch((e: unknown) => e);
      expect(isFactoryError(error, "SWITCH_AUTH_FAILED")).toBe(true);
    }
    expect((await sw.listPorts()).length).toBe(24);
  });

  it("reports health to watchers while unreachable and rejects calls", async () => {
    const sw = createFakeSwitch();
    const events = take(sw.watch(), 3);
    await new Promise((r) => setTimeout(r, 10));
    sw.setUnreachable(true);
    const error = await sw.identify().catch((e: unknown) => e);
    expect(isFactoryError(error, "SWITCH_UNREACHABLE")).toBe(true);
    sw.setUnreachable(false);
    expect(await events).toMatchObject([
      { type: "health", ok: true },
      { type: "health", ok: false, error: { code: "SWITCH_UNREACHABLE" } },
      { type: "health", ok: true },
    ]);
    expect(sw.watcherCount).toBe(0);
  });

  it("keeps instances apart", async () => {
    const a = createFakeSwitch();
    const b = createFakeSwitch();
    a.learn("02:00:00:00:00:05", "1");
    expect(await b.findMac("02:00:00:00:00:05")).toBeUndefined();
    expect(a.calls).toEqual([]);
    await a.findMac("02:00:00:00:00:05");
    expect(a.calls).toEqual([{ method: "findMac", arg: "02:00:00:00:00:05" }]);
  });
});
