import { afterEach, describe, expect, it } from "vitest";
import type { Label } from "../contracts/label";
import type { UnitStore } from "../contracts/unit-store";
import { createFakePrinter } from "../testing/fake-printer";
import { FakeSwitch } from "../testing/fake-switch";
import { createMemoryUnitStore } from "../testing/memory-unit-store";
import { createLabelStation } from "./label-station";
import { createStoreLabelBackend } from "./store-backend";
import type { LabelBackend, LabelStationState, LabelStationStateKind } from "./types";

const A = {
  mac: "aa:bb:cc:00:00:01",
  serial: "a1b2c3d4-0000-4000-8000-000000000001",
  admin: "confett1-j0gging-App3NDix",
  web: "4ntENNAe-B4sil-mat3rnIty",
};
const B = {
  mac: "aa:bb:cc:00:00:02",
  serial: "b2c3d4e5-0000-4000-8000-000000000002",
  admin: "b4sket-M0nkey-tr1ang1E",
  web: "pl4net-Oc3an-w1ndow",
};

const template = (
  unit: { serial: string },
  credentials: { adminPassword: string; servicesPassword: string },
): Label => ({
  title: "PrivateBox",
  serial: unit.serial,
  fields: [
    { caption: "SSH", value: credentials.adminPassword, secret: true },
    { caption: "Web", value: credentials.servicesPassword, secret: true },
  ],
  qr: `https://privatebox.dk/setup?serial=${unit.serial}`,
  widthMm: 100,
  heightMm: 50,
});

const stops: AbortController[] = [];
afterEach(() => {
  for (const c of stops.splice(0)) c.abort();
});

async function report(store: UnitStore, u: typeof A, status: "ready" | "failed" = "ready") {
  if (status === "ready") {
    await store.recordReport({
      mac: u.mac,
      status,
      serial: u.serial,
      credentials: { adminPassword: u.admin, servicesPassword: u.web },
    });
  } else {
    await store.recordReport({ mac: u.mac, status, serial: u.serial, failedTests: ["adguard"] });
  }
}

async function setup(
  options: { backend?: (b: LabelBackend) => LabelBackend; askBeforePrint?: boolean } = {},
) {
  const store = createMemoryUnitStore();
  const sw = new FakeSwitch();
  const printer = createFakePrinter();
  const base = createStoreLabelBackend(store, { actor: "label-station-21" });
  const station = createLabelStation({
    switch: sw,
    port: "21",
    backend: options.backend ? options.backend(base) : base,
    printer,
    template,
    ...(options.askBeforePrint !== undefined && { askBeforePrint: options.askBeforePrint }),
    timeouts: { backend: 500, print: 500 },
  });
  const states: LabelStationState[] = [];
  station.onChange((s) => states.push(s));
  const controller = new AbortController();
  stops.push(controller);
  void station.run({ signal: controller.signal });
  await new Promise((r) => setTimeout(r, 5)); // let the watcher subscribe
  /** Resolves with the next state of `kind` (or the current one if it already is). */
  const reach = (kind: LabelStationStateKind) =>
    new Promise<LabelStationState>((resolve, reject) => {
      if (station.state.kind === kind) return resolve(station.state);
      const timer = setTimeout(
        () => reject(new Error(`never reached ${kind}; at ${station.state.kind}`)),
        2_000,
      );
      const off = station.onChange((s) => {
        if (s.kind === kind) {
          clearTimeout(timer);
          off();
          resolve(s);
        }
      });
    });
  const plug = (mac: string) => {
    sw.linkUp("21");
    sw.learn(mac, "21");
  };
  return { store, sw, printer, station, states, reach, plug };
}

const session = (s: LabelStationState) => ("session" in s ? s.session : -1);

describe("labeling station", () => {
  it("prints the unit's own label and deletes its credentials after the operator confirms", async () => {
    const t = await setup();
    await report(t.store, A);
    t.plug(A.mac);
    const ask = await t.reach("confirm-print");
    expect(ask).toMatchObject({ mac: A.mac, serial: A.serial, reprint: false });
    expect(t.printer.jobs).toHaveLength(0); // nothing before the operator says yes
    expect(await t.station.answer(session(ask), "print")).toBe(true);
    const printed = await t.reach("confirm-printed");
    expect(t.printer.jobs).toHaveLength(1);
    const label = t.printer.jobs[0]!.label;
    expect(label.serial).toBe(A.serial);
    expect(label.fields.map((f) => f.value)).toEqual([A.admin, A.web]);
    expect(await t.store.getCredentials(A.mac)).toBeDefined(); // not yet: the label is not confirmed
    expect(await t.station.answer(session(printed), "printed-ok")).toBe(true);
    expect(t.station.state).toMatchObject({ kind: "done", mac: A.mac });
    expect(await t.store.getCredentials(A.mac)).toBeUndefined();
    expect((await t.store.getUnit(A.mac))?.status).toBe("labeled");
    const audit = (await t.store.listAudit({ mac: A.mac })).map((e) => [e.action, e.actor]);
    expect(audit).toEqual(
      expect.arrayContaining([
        ["credentials.read", "label-station-21"],
        ["label.printed", "label-station-21"],
        ["label.confirmed", "label-station-21"],
        ["credentials.deleted", "label-station-21"],
      ]),
    );
    // Nothing the UI sees carries a password.
    expect(JSON.stringify(t.states)).not.toContain(A.admin);
  });

  it("shows a failed or unknown unit as such and prints nothing", async () => {
    const t = await setup();
    await report(t.store, A, "failed");
    t.plug(A.mac);
    const failed = await t.reach("not-ready");
    expect(failed).toMatchObject({ reason: "failed", serial: A.serial });
    expect(await t.station.answer(session(failed), "print")).toBe(false);
    t.sw.forget(A.mac);
    await t.reach("idle");
    t.plug(B.mac);
    await t.reach("fetching");
    expect(await t.reach("not-ready")).toMatchObject({ reason: "unknown", mac: B.mac });
    expect(t.printer.jobs).toHaveLength(0);
  });

  it("prints nothing while two units are on the port, then carries on with the one left", async () => {
    const t = await setup();
    await report(t.store, A);
    await report(t.store, B);
    t.plug(A.mac);
    const askA = await t.reach("confirm-print");
    t.sw.learn(B.mac, "21");
    expect(await t.reach("conflict")).toMatchObject({ macs: [A.mac, B.mac] });
    expect(await t.station.answer(session(askA), "print")).toBe(false);
    t.sw.forget(A.mac);
    const askB = await t.reach("confirm-print");
    expect(askB).toMatchObject({ mac: B.mac, serial: B.serial });
    await t.station.answer(session(askB), "print");
    await t.reach("confirm-printed");
    expect(t.printer.jobs.map((j) => j.label.serial)).toEqual([B.serial]);
    expect(t.printer.jobs[0]!.label.fields[0]!.value).toBe(B.admin);
  });

  it("never acts on a stale answer after the unit was swapped", async () => {
    const t = await setup();
    await report(t.store, A);
    await report(t.store, B);
    t.plug(A.mac);
    const askA = await t.reach("confirm-print");
    t.sw.forget(A.mac);
    await t.reach("idle");
    t.sw.learn(B.mac, "21");
    const askB = await t.reach("confirm-print");
    expect(await t.station.answer(session(askA), "print")).toBe(false);
    expect(t.printer.jobs).toHaveLength(0);
    await t.station.answer(session(askB), "print");
    expect(t.printer.jobs[0]!.label.serial).toBe(B.serial);
    expect(await t.store.getCredentials(A.mac)).toBeDefined();
  });

  it("keeps the question after a unit is pulled once its label was printed, and deletes only on yes", async () => {
    const t = await setup();
    await report(t.store, A);
    t.plug(A.mac);
    await t.station.answer(session(await t.reach("confirm-print")), "print");
    const printed = await t.reach("confirm-printed");
    t.sw.linkDown("21");
    await new Promise((r) => setTimeout(r, 20));
    expect(t.station.state.kind).toBe("confirm-printed");
    expect(await t.store.getCredentials(A.mac)).toBeDefined();
    await t.station.answer(session(printed), "printed-ok");
    expect(await t.store.getCredentials(A.mac)).toBeUndefined();
  });

  it("keeps everything on a printer error and prints once the printer is fixed", async () => {
    const t = await setup();
    await report(t.store, A);
    t.printer.setState("paper-out");
    t.plug(A.mac);
    await t.station.answer(session(await t.reach("confirm-print")), "print");
    const failed = await t.reach("print-failed");
    expect(failed).toMatchObject({ error: { code: "PRINTER_PAPER_OUT" } });
    expect(await t.store.getCredentials(A.mac)).toBeDefined();
    t.printer.setState("ready");
    expect(await t.station.answer(session(failed), "reprint")).toBe(true);
    const again = await t.reach("confirm-print");
    expect(again).toMatchObject({ reprint: false });
    await t.station.answer(session(again), "print");
    await t.reach("confirm-printed");
    expect(t.printer.jobs).toHaveLength(1);
  });

  it("a silent printer is bounded: the print fails with a coded error and nothing is deleted", async () => {
    const t = await setup();
    await report(t.store, A);
    t.printer.hangNext();
    t.plug(A.mac);
    await t.station.answer(session(await t.reach("confirm-print")), "print");
    expect(await t.reach("print-failed")).toMatchObject({ error: { code: "TIMEOUT" } });
    expect(await t.store.getCredentials(A.mac)).toBeDefined();
  });

  it("recovers a misprint by replugging: the record is kept and the label printed again", async () => {
    const t = await setup();
    await report(t.store, A);
    t.plug(A.mac);
    await t.station.answer(session(await t.reach("confirm-print")), "print");
    await t.station.answer(session(await t.reach("confirm-printed")), "printed-bad");
    expect(t.station.state.kind).toBe("misprint");
    expect(await t.store.getCredentials(A.mac)).toBeDefined();
    t.sw.forget(A.mac);
    await t.reach("idle");
    t.sw.learn(A.mac, "21");
    const again = await t.reach("confirm-print");
    expect(again).toMatchObject({ reprint: true });
    await t.station.answer(session(again), "print");
    await t.station.answer(session(await t.reach("confirm-printed")), "printed-ok");
    expect(t.printer.jobs).toHaveLength(2);
    expect((await t.store.getUnit(A.mac))?.reprints).toBe(1);
    expect((await t.store.listAudit({ mac: A.mac })).some((e) => e.action === "label.rejected")).toBe(true);
  });

  it("a unit pulled while its label printed and replugged after the misprint answer is asked about again", async () => {
    const t = await setup();
    await report(t.store, A);
    t.plug(A.mac);
    await t.station.answer(session(await t.reach("confirm-print")), "print");
    const printed = await t.reach("confirm-printed");
    t.sw.linkDown("21"); // pulled with the label in hand: the question stays
    await new Promise((r) => setTimeout(r, 20));
    expect(await t.station.answer(session(printed), "printed-bad")).toBe(true);
    expect(t.station.state.kind).toBe("misprint");
    // Not on the port: a reprint cannot be asked for it …
    expect(await t.station.answer(session(t.station.state), "reprint")).toBe(false);
    // … until it is plugged in again, which starts over.
    t.plug(A.mac);
    const again = await t.reach("confirm-print");
    expect(again).toMatchObject({ reprint: true, mac: A.mac });
    expect(session(again)).toBeGreaterThan(session(printed));
    await t.station.answer(session(again), "print");
    await t.station.answer(session(await t.reach("confirm-printed")), "printed-ok");
    expect(t.printer.jobs).toHaveLength(2);
    expect(await t.store.getCredentials(A.mac)).toBeUndefined();
  });

  it("shows a server error and retries the fetch on request", async () => {
    let down = true;
    const t = await setup({
      backend: (b) => ({
        ...b,
        fetch: async (mac, o) => {
          if (down) throw Object.assign(new Error("ECONNREFUSED"), { code: "ECONNREFUSED" });
          return b.fetch(mac, o);
        },
      }),
    });
    await report(t.store, A);
    t.plug(A.mac);
    const error = await t.reach("error");
    down = false;
    expect(await t.station.answer(session(error), "retry")).toBe(true);
    expect(t.station.state).toMatchObject({ kind: "confirm-print", serial: A.serial });
  });

  it("prints without asking when configured, still deleting only after confirmation", async () => {
    const t = await setup({ askBeforePrint: false });
    await report(t.store, A);
    t.plug(A.mac.toUpperCase().replaceAll(":", "-"));
    await t.reach("confirm-printed");
    expect(t.printer.jobs).toHaveLength(1);
    expect(await t.store.getCredentials(A.mac)).toBeDefined();
  });

  it("picks up a unit that was already on the port when the station started", async () => {
    const store = createMemoryUnitStore();
    await report(store, A);
    const sw = new FakeSwitch();
    sw.linkUp("21");
    sw.learn(A.mac, "21");
    const station = createLabelStation({
      switch: sw,
      port: "21",
      backend: createStoreLabelBackend(store, { actor: "t" }),
      printer: createFakePrinter(),
      template,
    });
    const controller = new AbortController();
    stops.push(controller);
    void station.run({ signal: controller.signal });
    await new Promise((r) => setTimeout(r, 30));
    expect(station.state).toMatchObject({ kind: "confirm-print", mac: A.mac });
  });
});
