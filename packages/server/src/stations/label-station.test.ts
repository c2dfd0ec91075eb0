import { createHttpLabelBackend } from "@factory/core";
import {
  createFakePrinter,
  createFakeSwitch,
  type FakePrinter,
  type FakeSwitch,
} from "@factory/core/testing";
import { afterEach, describe, expect, it } from "vitest";
import { startTestServer, type TestServer, TOKENS } from "../testing/harness";
import type { LabelStateView } from "./label-runner";

const UNIT = {
  mac: "aa:bb:cc:00:21:01",
  serial: "a1b2c3d4-5678-40ab-8def-1234567890ab",
  admin: "confett1-j0gging-App3NDix",
  web: "4ntENNAe-B4sil-mat3rnIty",
};

const STATIONS = {
  switch: { driver: "injected" },
  label: {
    name: "label-21",
    port: "21",
    printer: { driver: "injected" },
    template: {
      title: "PrivateBox",
      qr: "https://privatebox.dk/setup?serial={serial}",
      footer: "privatebox.dk/setup",
    },
  },
};

let s: TestServer | undefined;
afterEach(async () => {
  await s?.stop();
  s = undefined;
});

async function start(): Promise<{ s: TestServer; sw: FakeSwitch; printer: FakePrinter }> {
  const sw = createFakeSwitch();
  const printer = createFakePrinter();
  s = await startTestServer({ stations: STATIONS, stationDrivers: { switch: sw, printer } });
  return { s, sw, printer };
}

async function report(server: TestServer, u = UNIT) {
  const r = await server.call("POST", "/api/units", {
    token: "unit",
    body: {
      mac_wan: u.mac,
      status: "ready",
      serial: u.serial,
      admin_password: u.admin,
      services_password: u.web,
    },
  });
  expect(r.status).toBe(201);
}

async function waitState(server: TestServer, kind: string): Promise<LabelStateView> {
  for (let i = 0; i < 200; i++) {
    const r = await server.call("GET", "/api/stations/label", { token: "operator" });
    if (r.json.state.kind === kind) return r.json.state;
    await new Promise((res) => setTimeout(res, 25));
  }
  throw new Error(`label station never reached ${kind}`);
}

describe("label station in the server (fake switch and printer, real SQLite server)", () => {
  it("prints the unit's label once the operator says yes, deletes the passwords after 'printed ok'", async () => {
    const { s, sw, printer } = await start();
    await report(s);
    sw.linkUp("21");
    sw.learn(UNIT.mac, "21");
    const ask = await waitState(s, "confirm-print");
    expect(ask).toMatchObject({ serial: UNIT.serial, mac: UNIT.mac, actions: ["print", "skip"] });
    expect(ask.message).toBe(`Print label for unit ${UNIT.serial}?`);
    expect(printer.jobs).toHaveLength(0);
    expect(JSON.stringify(ask)).not.toContain(UNIT.admin);

    const printed = await s.call("POST", "/api/stations/label/answers", {
      token: "operator",
      body: { session: ask.session, action: "print" },
    });
    expect(printed.status).toBe(200);
    expect(printed.json.state.kind).toBe("confirm-printed");
    expect(printer.jobs).toHaveLength(1);
    const label = printer.jobs[0]!.label;
    expect(label.serial).toBe(UNIT.serial);
    expect(label.qr).toBe(`https://privatebox.dk/setup?serial=${UNIT.serial}`);
    expect(label.fields).toEqual([
      { caption: "SSH", value: UNIT.admin, secret: true, monospace: true },
      { caption: "Web", value: UNIT.web, secret: true, monospace: true },
    ]);
    expect(JSON.stringify(printed.json)).not.toContain(UNIT.admin);

    // A second click on the old "print" question is stale.
    const stale = await s.call("POST", "/api/stations/label/answers", {
      token: "operator",
      body: { session: ask.session, action: "print" },
    });
    expect(stale.status).toBe(409);
    expect(stale.json.error.code).toBe("STALE_SESSION");
    expect(printer.jobs).toHaveLength(1);

    const ok = await s.call("POST", "/api/stations/label/answers", {
      token: "operator",
      body: { session: ask.session, action: "printed-ok" },
    });
    expect(ok.json.state.kind).toBe("done");
    const unit = await s.call("GET", `/api/units/${UNIT.mac}`, { token: "station" });
    expect(unit.json).toMatchObject({ status: "labeled", has_credentials: false });
    expect(unit.json.admin_password).toBeUndefined();
    const audit = await s.call("GET", `/api/audit?mac=${UNIT.mac}`, { token: "admin" });
    const actions = audit.json.events.map((e: { action: string; actor: string }) => `${e.actor}:${e.action}`);
    expect(actions).toEqual(
      expect.arrayContaining([
        "label-21:credentials.read",
        "label-21:label.printed",
        "label-21:label.confirmed",
        "label-21:credentials.deleted",
      ]),
    );
  });

  it("keeps the record after 'printed bad' and prints again on reprint", async () => {
    const { s, sw, printer } = await start();
    await report(s);
    sw.linkUp("21");
    sw.learn(UNIT.mac, "21");
    const ask = await waitState(s, "confirm-print");
    await s.call("POST", "/api/stations/label/answers", {
      token: "operator",
      body: { session: ask.session, action: "print" },
    });
    const bad = await s.call("POST", "/api/stations/label/answers", {
      token: "station",
      body: { session: ask.session, action: "printed-bad" },
    });
    expect(bad.json.state).toMatchObject({ kind: "misprint", actions: ["reprint"] });
    expect((await s.call("GET", `/api/units/${UNIT.mac}`, { token: "station" })).json.admin_password).toBe(
      UNIT.admin,
    );
    const again = await s.call("POST", "/api/stations/label/answers", {
      token: "operator",
      body: { session: ask.session, action: "reprint" },
    });
    expect(again.json.state).toMatchObject({ kind: "confirm-print", reprint: true });
    expect(again.json.state.message).toBe(`Reprint label for unit ${UNIT.serial}?`);
    await s.call("POST", "/api/stations/label/answers", {
      token: "operator",
      body: { session: again.json.state.session, action: "print" },
    });
    expect(printer.jobs).toHaveLength(2);
    const unit = await s.call("GET", `/api/units/${UNIT.mac}`, { token: "operator" });
    expect(unit.json.reprints).toBe(1);
  });

  it("refuses bad answers and callers without a role, and says when no station runs", async () => {
    const { s: server } = await start();
    const bad = await server.call("POST", "/api/stations/label/answers", {
      token: "operator",
      body: { session: 1, action: "delete-everything" },
    });
    expect(bad.status).toBe(400);
    expect((await server.call("GET", "/api/stations/label")).status).toBe(401);
    expect(
      (
        await server.call("POST", "/api/stations/label/answers", {
          token: "unit",
          body: { session: 1, action: "print" },
        })
      ).status,
    ).toBe(403);
    await server.stop();
    const plain = await startTestServer();
    s = plain;
    const none = await plain.call("GET", "/api/stations/label", { token: "operator" });
    expect(none.status).toBe(404);
  });

  it("never logs the passwords, and the state stream carries none", async () => {
    const { s, sw } = await start();
    await report(s);
    const events = await fetch(`${s.url}/api/stations/label/events`, {
      headers: { authorization: `Bearer ${TOKENS.operator}` },
    });
    sw.linkUp("21");
    sw.learn(UNIT.mac, "21");
    const ask = await waitState(s, "confirm-print");
    await s.call("POST", "/api/stations/label/answers", {
      token: "operator",
      body: { session: ask.session, action: "print" },
    });
    await s.call("POST", "/api/stations/label/answers", {
      token: "operator",
      body: { session: ask.session, action: "printed-ok" },
    });
    const reader = events.body!.getReader();
    let text = "";
    while (!text.includes('"kind":"done"')) text += new TextDecoder().decode((await reader.read()).value);
    await reader.cancel();
    for (const kind of ["idle", "fetching", "confirm-print", "printing", "confirm-printed", "done"])
      expect(text).toContain(`"kind":"${kind}"`);
    expect(text).not.toContain(UNIT.admin);
    expect(s.logLines.join("\n")).not.toContain(UNIT.admin);
    expect(s.logLines.join("\n")).not.toContain(UNIT.web);
  });
});

describe("HTTP label backend against a real server", () => {
  it("reads the record with a station token, records prints, misprints and the deletion", async () => {
    s = await startTestServer();
    await report(s);
    const backend = createHttpLabelBackend({ url: s.url, token: TOKENS.station });
    const found = await backend.fetch(UNIT.mac.toUpperCase());
    expect(found?.unit).toMatchObject({
      mac: UNIT.mac,
      serial: UNIT.serial,
      status: "ready",
      hasCredentials: true,
    });
    expect(found?.credentials).toEqual({ adminPassword: UNIT.admin, servicesPassword: UNIT.web });
    expect(await backend.fetch("aa:bb:cc:ff:ff:ff")).toBeUndefined();
    await backend.printed(UNIT.mac, { jobId: "7" });
    await backend.reject(UNIT.mac);
    await backend.printed(UNIT.mac, { jobId: "8" });
    await backend.confirm(UNIT.mac);
    const after = await backend.fetch(UNIT.mac);
    expect(after?.unit).toMatchObject({ status: "labeled", reprints: 1, hasCredentials: false });
    expect(after?.credentials).toBeUndefined();
    const audit = await s.call("GET", `/api/audit?mac=${UNIT.mac}`, { token: "admin" });
    expect(audit.json.events.map((e: { action: string }) => e.action)).toContain("label.rejected");
    await expect(backend.confirm(UNIT.mac)).rejects.toMatchObject({ code: "NOT_FOUND" });

    const operator = createHttpLabelBackend({ url: s.url, token: TOKENS.operator });
    expect((await operator.fetch(UNIT.mac))?.credentials).toBeUndefined();
    await expect(operator.printed(UNIT.mac, { jobId: "9" })).rejects.toMatchObject({ code: "FORBIDDEN" });
    const wrong = createHttpLabelBackend({ url: s.url, token: "not-a-real-token-000000" });
    await expect(wrong.fetch(UNIT.mac)).rejects.toMatchObject({ code: "UNAUTHORIZED" });
  });

  it("bounds every call and rejects bad settings", async () => {
    const { createServer } = await import("node:http");
    const silent = createServer(() => {});
    await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
    const port = (silent.address() as { port: number }).port;
    const backend = createHttpLabelBackend({
      url: `http://127.0.0.1:${port}`,
      token: TOKENS.station,
      timeoutMs: 300,
    });
    await expect(backend.fetch(UNIT.mac)).rejects.toMatchObject({ code: "TIMEOUT" });
    silent.closeAllConnections();
    silent.close();
    await expect(
      createHttpLabelBackend({ url: "http://127.0.0.1:1", token: TOKENS.station }).fetch(UNIT.mac),
    ).rejects.toMatchObject({
      code: "STORE_ERROR",
    });
    expect(() => createHttpLabelBackend({ url: "ftp://x", token: TOKENS.station })).toThrow(/http/);
    expect(() => createHttpLabelBackend({ url: "http://x", token: "short" })).toThrow(/token/);
  });
});
