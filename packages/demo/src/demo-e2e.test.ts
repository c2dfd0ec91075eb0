import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { CHROMIUM_LAUNCH, CHROMIUM_PEER, findCommand, requirePeer } from "@factory/core/testing";
import { readStoreFiles, type SqliteUnitStore } from "@factory/server";
import { type Browser, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningDemo, startDemo } from "./start-demo";

const PDFTOTEXT = {
  name: "pdftotext (poppler-utils)",
  commands: ["pdftotext"],
  install: "apt-get install poppler-utils",
};
const peers = requirePeer(CHROMIUM_PEER) && requirePeer(PDFTOTEXT);

/** The unit's record with its credentials, as the seed's print server reads it (station token). */
async function unitCredentials(demo: RunningDemo, mac: string) {
  const res = await fetch(`${demo.url}/api/units/${mac}`, {
    headers: { authorization: `Bearer ${demo.tokens.station}` },
  });
  const json = (await res.json()) as { serial: string; admin_password: string; services_password: string };
  return { serial: json.serial, admin: json.admin_password, web: json.services_password };
}

describe.runIf(peers)(
  "the virtual factory in Chromium: watch units build, move one to port 21, label it",
  () => {
    let dir: string;
    let demo: RunningDemo;
    let browser: Browser;
    beforeAll(async () => {
      dir = mkdtempSync(path.join(tmpdir(), "factory-demo-e2e-"));
      // Fast enough for a test, slow enough that the dashboard sees a stage change (1.7–3.4 s each).
      demo = await startDemo({ dir, units: 4, speed: 100, espPorts: 1 });
      browser = await chromium.launch(CHROMIUM_LAUNCH);
    });
    afterAll(async () => {
      await browser?.close();
      await demo?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it("the dashboard shows stages changing live; the demo page moves a ready unit; the station page labels it; the credentials are gone", async () => {
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      // The demo page keeps the token from its URL fragment; the other pages then open signed in.
      const demoPage = await context.newPage();
      await demoPage.goto(demo.links.demo);
      expect(demoPage.url()).not.toContain("token=");
      await demoPage.locator(".port[data-mac]").first().waitFor({ timeout: 20_000 });
      expect(await demoPage.locator("#login").isVisible()).toBe(false);

      const dashboard = await context.newPage();
      await dashboard.goto(demo.links.dashboard);
      await dashboard.locator("#live.on").waitFor({ timeout: 15_000 });
      const first = dashboard.locator("#building li[data-mac]").first();
      await first.waitFor({ timeout: 20_000 });
      const mac = (await first.getAttribute("data-mac"))!;
      const stageOf = async () => {
        const [text] = await dashboard.locator(`#building li[data-mac='${mac}']`).allTextContents();
        return text === undefined ? undefined : /Stage: ([a-z_]+)/.exec(text)?.[1];
      };
      const seen = await stageOf();
      expect(seen).toMatch(/^[a-z_]+$/);
      // The stage changes without a reload: the page follows the server's event stream.
      await expect
        .poll(
          async () => {
            const now = await stageOf();
            return now !== undefined && now !== seen;
          },
          { timeout: 30_000, interval: 100 },
        )
        .toBe(true);

      const station = await context.newPage();
      await station.goto(demo.links.labelStation);
      await station.locator("#live.on").waitFor({ timeout: 15_000 });
      await station.locator("main[data-kind=idle]").waitFor({ timeout: 15_000 });

      // A unit becomes ready; move it from its build port to port 21 on the demo page.
      const move = demoPage.locator("button.move:not(.replug):not(.debug)").first();
      await move.waitFor({ timeout: 60_000 });
      const readyMac = (await move.getAttribute("data-mac"))!;
      const unit = await unitCredentials(demo, readyMac);
      expect(unit.admin.length).toBeGreaterThan(8);
      await move.click();
      await demoPage.locator(`.port.label[data-mac='${readyMac}']`).waitFor({ timeout: 30_000 });

      // Real link-up trap → the label station fetches the record and asks.
      await station.locator("main[data-kind=confirm-print]").waitFor({ timeout: 30_000 });
      expect(await station.locator("#serial").textContent()).toBe(unit.serial);
      expect(await station.locator("#message").textContent()).toContain(
        `Print label for unit ${unit.serial}`,
      );
      await station.locator("button[data-action=print]").click();
      await station.locator("main[data-kind=confirm-printed]").waitFor({ timeout: 30_000 });
      await station.locator("button[data-action=printed-ok]").click();
      await station.locator("main[data-kind=done]").waitFor({ timeout: 15_000 });

      // The label: a PDF in <dir>/labels holding the serial and both passwords.
      const pdfs = readdirSync(demo.labelsDir).filter((f) => f.endsWith(".pdf"));
      expect(pdfs).toHaveLength(1);
      const text = execFileSync(findCommand("pdftotext")!, [path.join(demo.labelsDir, pdfs[0]!), "-"], {
        encoding: "utf8",
      });
      // Long values wrap at their hyphens onto the next line of the label: compare without both.
      const flat = (v: string) => v.replace(/[\s-]+/g, "");
      for (const expected of ["PrivateBox", unit.serial, unit.admin, unit.web])
        expect(flat(text)).toContain(flat(expected));

      // The record says labeled, without credentials; no byte of the passwords is left in the database or its WAL.
      const res = await fetch(`${demo.url}/api/units/${readyMac}`, {
        headers: { authorization: `Bearer ${demo.tokens.station}` },
      });
      expect(await res.json()).toMatchObject({ status: "labeled", has_credentials: false });
      const files = readStoreFiles(demo.server.store as SqliteUnitStore);
      expect(files.length).toBeGreaterThanOrEqual(1);
      for (const bytes of files) {
        for (const secret of [unit.admin, unit.web]) {
          expect(bytes.includes(Buffer.from(secret, "utf8"))).toBe(false);
          expect(bytes.includes(Buffer.from(secret, "utf16le"))).toBe(false);
        }
      }
      // The dashboard lists it under "Last labeled".
      await dashboard.locator(`#labeled li:has-text("${readyMac}")`).waitFor({ timeout: 15_000 });
      await context.close();
    }, 180_000);
  },
);
