import path from "node:path";
import { fileURLToPath } from "node:url";
import { CHROMIUM_LAUNCH, CHROMIUM_PEER, requirePeer } from "@factory/core/testing";
import { renderZpl } from "@factory/printers";
import { ZplPrinterSimulator } from "@factory/printers/simulator";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from "vitest";
import { readStoreFiles, type SqliteUnitStore } from "../stores/sqlite-store";
import { startTestServer, type TestServer, TOKENS } from "../testing/harness";
import {
  type CupsPeer,
  decodeBarcodes,
  hasCups,
  pdfText,
  pdfToPng,
  SNMPSIM_PEER,
  startCups,
  zplToPng,
} from "../testing/peers";
import { type SwitchRig, startSwitchRig } from "../testing/switch-rig";
import { parseStationsConfig } from "./config";
import { labelTemplateFromConfig } from "./label-template";

const serverDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const isRoot = process.getuid?.() === 0;
const peers = requirePeer(SNMPSIM_PEER) && requirePeer(CHROMIUM_PEER) && hasCups() && isRoot;

const TEMPLATE = {
  title: "PrivateBox",
  qr: "https://privatebox.dk/setup?serial={serial}",
  footer: "privatebox.dk/setup",
  fields: [
    { caption: "SSH", value: "{admin_password}" },
    { caption: "Web", value: "{services_password}" },
  ],
  widthMm: 100,
  heightMm: 60,
};

interface Unit {
  mac: string;
  serial: string;
  admin: string;
  web: string;
}

/** Everything the end-to-end test asks for, with the printer given by `printer`. */
async function labelOneUnit(
  s: TestServer,
  rig: SwitchRig,
  browser: Browser,
  unit: Unit,
): Promise<{ page: Page; jobId: string; close: () => Promise<void> }> {
  const created = await s.call("POST", "/api/units", {
    token: "unit",
    body: {
      mac_wan: unit.mac,
      status: "ready",
      serial: unit.serial,
      admin_password: unit.admin,
      services_password: unit.web,
    },
  });
  expect(created.status).toBe(201);
  const context = await browser.newContext({ viewport: { width: 1024, height: 768 }, hasTouch: true });
  await context.addInitScript((token) => localStorage.setItem("factoryToken", token), TOKENS.operator);
  const page = await context.newPage();
  await page.goto(`${s.url}/station/label`);
  await page.locator("#live.on").waitFor({ timeout: 15_000 });
  rig.plug(unit.mac, "21");
  await page.locator("main[data-kind=confirm-print]").waitFor({ timeout: 45_000 });
  expect(await page.locator("#serial").textContent()).toBe(unit.serial);
  await page.locator("button[data-action=print]").tap();
  await page.locator("main[data-kind=confirm-printed]").waitFor({ timeout: 40_000 });
  const state = await s.call("GET", "/api/stations/label", { token: "operator" });
  return { page, jobId: state.json.state.jobId, close: () => context.close() };
}

async function confirmAndCheckGone(s: TestServer, page: Page, unit: Unit): Promise<void> {
  await page.locator("button[data-action=printed-ok]").tap();
  await page.locator("main[data-kind=done]").waitFor({ timeout: 15_000 });
  const after = await s.call("GET", `/api/units/${unit.mac}`, { token: "station" });
  expect(after.json).toMatchObject({ status: "labeled", has_credentials: false });
  expect(await page.content()).not.toContain(unit.admin);
  // No readable trace: not in the database file, the WAL, the logs.
  const files = readStoreFiles(s.store as SqliteUnitStore);
  expect(files.length).toBeGreaterThanOrEqual(1);
  for (const bytes of files) {
    for (const secret of [unit.admin, unit.web]) {
      expect(bytes.includes(Buffer.from(secret, "utf8"))).toBe(false);
      expect(bytes.includes(Buffer.from(secret, "utf16le"))).toBe(false);
    }
  }
  const logs = s.logLines.join("\n");
  expect(logs).toContain("label station: done");
  expect(logs).not.toContain(unit.admin);
  expect(logs).not.toContain(unit.web);
}

describe.runIf(peers)(
  "labeling end to end: snmpsimd + snmptrap, real printer path, operator in Chromium",
  () => {
    let rig: SwitchRig;
    let browser: Browser;
    beforeAll(async () => {
      rig = await startSwitchRig();
      browser = await chromium.launch(CHROMIUM_LAUNCH);
    });
    afterAll(async () => {
      await browser?.close();
      await rig?.stop();
    });

    describe("through CUPS with a PDF queue", () => {
      let cups: CupsPeer;
      let s: TestServer;
      beforeAll(async () => {
        cups = await startCups("LABELS");
        s = await startTestServer({
          baseDir: serverDir,
          stations: {
            switch: rig.driverRef,
            label: {
              name: "label-21",
              port: "21",
              printer: { driver: "@factory/printers", export: "ipp", options: { url: cups.url, dpi: 300 } },
              template: TEMPLATE,
            },
          },
        });
      });
      afterAll(async () => {
        await s?.stop();
        await cups?.stop();
      });

      it("prints the unit's label: QR, serial and passwords on the spooled PDF; afterwards the passwords are gone", async () => {
        const unit: Unit = {
          mac: "00:1a:2b:3c:21:01",
          serial: "a1b2c3d4-5678-40ab-8def-1234567890ab",
          admin: "confett1-j0gging-App3NDix",
          web: "4ntENNAe-B4sil-mat3rnIty",
        };
        const { page, jobId, close } = await labelOneUnit(s, rig, browser, unit);
        onTestFinished(async () => {
          rig.unplug(unit.mac, "21");
          await close();
        });
        const pdf = await cups.printed(Number(jobId.split("#").pop()));
        const codes = await decodeBarcodes(await pdfToPng(pdf, 300));
        expect(codes).toEqual([`https://privatebox.dk/setup?serial=${unit.serial}`]);
        // Long values wrap onto the next line of the label: compare without the line breaks.
        const text = (await pdfText(pdf)).replace(/\s+/g, "");
        for (const expected of [unit.serial, unit.admin, unit.web, "PrivateBox"])
          expect(text).toContain(expected);
        await confirmAndCheckGone(s, page, unit);
      }, 120_000);
    });

    describe("through a ZPL printer on raw TCP", () => {
      let sim: ZplPrinterSimulator;
      let s: TestServer;
      beforeAll(async () => {
        sim = await ZplPrinterSimulator.start();
        s = await startTestServer({
          baseDir: serverDir,
          stations: {
            switch: rig.driverRef,
            label: {
              port: "21",
              printer: {
                driver: "@factory/printers",
                options: { type: "zpl", host: sim.host, port: sim.port },
              },
              template: TEMPLATE,
            },
          },
        });
      });
      afterAll(async () => {
        await s?.stop();
        await sim?.stop();
      });

      it("sends ZPL that renders to a label whose QR decodes to the setup URL; the passwords are gone after", async () => {
        const unit: Unit = {
          mac: "00:1a:2b:3c:21:02",
          serial: "b2c3d4e5-6789-41bc-9e0f-234567890abc",
          admin: "b4sket-M0nkey-tr1angle",
          web: "pl4net-Oc3an-w1ndow",
        };
        const { page, close } = await labelOneUnit(s, rig, browser, unit);
        onTestFinished(async () => {
          rig.unplug(unit.mac, "21");
          await close();
        });
        expect(sim.formats).toHaveLength(1);
        const zpl = sim.formats[0]!;
        const png = await zplToPng(zpl, TEMPLATE.widthMm, TEMPLATE.heightMm, 203);
        expect(await decodeBarcodes(png)).toEqual([`https://privatebox.dk/setup?serial=${unit.serial}`]);
        // Serial and title are ZPL text; the passwords are monospace graphics (^GFA). The format is
        // exactly this unit's label, passwords included, as the printer package renders it.
        const printedText = [...zpl.matchAll(/\^FD(?!QA,)(.*?)\^FS/g)].map((m) => m[1]).join("");
        expect(printedText.replace(/\s+/g, "")).toContain(unit.serial);
        const expected = labelTemplateFromConfig(
          parseStationsConfig({
            switch: rig.driverRef,
            label: { printer: { driver: "x" }, template: TEMPLATE },
          }).label!.template,
        )(
          {
            mac: unit.mac,
            serial: unit.serial,
            status: "ready",
            createdAt: new Date(),
            updatedAt: new Date(),
            reprints: 0,
            hasCredentials: true,
          },
          { adminPassword: unit.admin, servicesPassword: unit.web },
        );
        const flat = (z: string) => z.replace(/\s+/g, "");
        expect(flat(zpl)).toBe(flat(renderZpl(expected, { dpi: 203 })));
        const other = renderZpl(
          {
            ...expected,
            fields: expected.fields.map((f) => ({ ...f, value: f.value.replace("M0nkey", "Monkey") })),
          },
          { dpi: 203 },
        );
        expect(flat(zpl)).not.toBe(flat(other));
        await confirmAndCheckGone(s, page, unit);
      }, 120_000);
    });
  },
);
