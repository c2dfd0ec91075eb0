import { noopLogger } from "@factory/core";
import { describe, expect, it } from "vitest";
import { createEventBus, type EventBridge, type ServerEvent } from "./events";

type Stamped = ServerEvent & { source: string };

/** A bridge whose sends stay in flight until the test releases them. */
function heldBridge(withMany: boolean) {
  const sent: string[][] = [];
  const releases: (() => void)[] = [];
  const hold = (macs: string[]) =>
    new Promise<void>((resolve) => {
      sent.push(macs);
      releases.push(resolve);
    });
  const mac = (e: Stamped) => (e.type === "unit" ? e.mac : e.type);
  const bridge: EventBridge = {
    send: (e) => hold([mac(e)]),
    ...(withMany && { sendMany: (events: Stamped[]) => hold(events.map(mac)) }),
    start: async () => undefined,
    close: async () => undefined,
  };
  const releaseAll = async () => {
    while (releases.length > 0) {
      releases.shift()!();
      await new Promise((r) => setImmediate(r));
    }
  };
  return { bridge, sent, releaseAll };
}

const unit = (mac: string): ServerEvent => ({
  type: "unit",
  mac,
  status: "building",
  at: "2026-01-01T00:00:00Z",
});

describe("event bus", () => {
  it("tells local listeners at once and batches bridge sends while one is in flight, in order", async () => {
    const { bridge, sent, releaseAll } = heldBridge(true);
    const bus = await createEventBus({ bridge, logger: noopLogger });
    const heard: string[] = [];
    bus.subscribe((e) => heard.push(e.type === "unit" ? e.mac : e.type));
    bus.publish(unit("a"));
    bus.publish(unit("b"));
    bus.publish(unit("c"));
    expect(heard).toEqual(["a", "b", "c"]);
    // "a" left at once; "b" and "c" wait for it and then go together.
    expect(sent).toEqual([["a"]]);
    await releaseAll();
    expect(sent).toEqual([["a"], ["b", "c"]]);
    bus.publish(unit("d"));
    const closed = bus.close();
    await releaseAll();
    await closed;
    expect(sent).toEqual([["a"], ["b", "c"], ["d"]]);
  });

  it("sends one at a time, in order, through a bridge without sendMany", async () => {
    const { bridge, sent, releaseAll } = heldBridge(false);
    const bus = await createEventBus({ bridge, logger: noopLogger });
    for (const m of ["a", "b", "c"]) bus.publish(unit(m));
    await releaseAll();
    expect(sent).toEqual([["a"], ["b"], ["c"]]);
    await bus.close();
  });
});
