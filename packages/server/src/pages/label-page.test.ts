import { CHROMIUM_PEER, createFakePrinter, createFakeSwitch, requirePeer } from "@factory/core/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer, TOKENS } from "../testing/harness";
import { openSignedIn, signInWithForm, useChromium } from "../testing/page-session";

const A = {
  mac: "aa:bb:cc:00:21:0a",
  serial: "0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9",
  admin: "k1tten-Ov3n-l4mp",
  web: "r1ver-B0ld-c4ndle",
};
const B = {
  mac: "aa:bb:cc:00:21:0b",
  serial: "9a8b7c6d-5e4f-4321-8fed-cba987654321",
  admin: "s4lt-Pep9er-m1ll",
  web: "gr4pe-V1ne-s0il",
};

describe.runIf(requirePeer(CHROMIUM_PEER))("label station page in real headless Chromium", () => {
  let s: TestServer;
  const browser = useChromium();
  const sw = createFakeSwitch();
  const printer = createFakePrinter();
  beforeAll(async () => {
    s = await startTestServer({
      stations: {
        switch: { driver: "injected" },
        label: {
          port: "21",
          printer: { driver: "injected" },
          template: { qr: "https://privatebox.dk/setup?serial={serial}" },
        },
      },
      stationDrivers: { switch: sw, printer },
    });
  });
  afterAll(async () => {
    await s?.stop();
  });

  const report = (u: typeof A) =>
    s.call("POST", "/api/units", {
      token: "unit",
      body: {
        mac_wan: u.mac,
        status: "ready",
        serial: u.serial,
        admin_password: u.admin,
        services_password: u.web,
      },
    });

  it("walks a unit through print, misprint, reprint and confirmation on a tablet, live over SSE", async () => {
    const { context, page } = await openSignedIn(browser(), { screen: "tablet", token: TOKENS.operator });
    await page.goto(`${s.url}/station/label`);
    await page.locator("#live.on").waitFor({ timeout: 15_000 });
    await page.locator("main[data-kind=idle]").waitFor();
    // Idle, the page says what to do; the hint goes once a unit is there.
    expect(await page.locator("#hint").isVisible()).toBe(true);
    // Signed in: the sign-in form is gone (its CSS must not override the hidden attribute).
    expect(await page.locator("#login").isVisible()).toBe(false);

    await report(A);
    sw.linkUp("21");
    sw.learn(A.mac, "21");
    await page.locator("main[data-kind=confirm-print]").waitFor({ timeout: 15_000 });
    expect(await page.locator("#serial").textContent()).toBe(A.serial);
    expect(await page.locator("#message").textContent()).toBe(`Print label for unit ${A.serial}?`);
    expect(await page.locator("#hint").isVisible()).toBe(false);
    // Big touch targets, the serial large.
    const button = await page.locator("button[data-action=print]").boundingBox();
    expect(button!.height).toBeGreaterThanOrEqual(80);
    const serialSize = await page
      .locator("#serial")
      .evaluate((e) => Number.parseFloat(getComputedStyle(e).fontSize));
    expect(serialSize).toBeGreaterThanOrEqual(32);
    const colour = await page.locator("main").evaluate((e) => getComputedStyle(e).backgroundColor);

    await page.locator("button[data-action=print]").tap();
    await page.locator("main[data-kind=confirm-printed]").waitFor({ timeout: 15_000 });
    expect(printer.jobs).toHaveLength(1);
    expect(printer.jobs[0]!.label.serial).toBe(A.serial);
    expect(await page.locator("#message").textContent()).toBe("Label printed successfully?");

    await page.locator("button[data-action=printed-bad]").tap();
    await page.locator("main[data-kind=misprint]").waitFor({ timeout: 15_000 });
    const red = await page.locator("main").evaluate((e) => getComputedStyle(e).backgroundColor);
    expect(red).not.toBe(colour);
    await page.locator("button[data-action=reprint]").tap();
    await page.locator("main[data-kind=confirm-print]").waitFor({ timeout: 15_000 });
    expect(await page.locator("#message").textContent()).toBe(`Reprint label for unit ${A.serial}?`);
    await page.locator("button[data-action=print]").tap();
    await page.locator("main[data-kind=confirm-printed]").waitFor({ timeout: 15_000 });
    expect(printer.jobs).toHaveLength(2);
    await page.locator("button[data-action=printed-ok]").tap();
    await page.locator("main[data-kind=done]").waitFor({ timeout: 15_000 });
    const green = await page.locator("main").evaluate((e) => getComputedStyle(e).backgroundColor);
    expect(new Set([colour, red, green]).size).toBe(3);

    const unit = await s.call("GET", `/api/units/${A.mac}`, { token: "station" });
    expect(unit.json).toMatchObject({ status: "labeled", has_credentials: false, reprints: 1 });
    const html = await page.content();
    expect(html).not.toContain(A.admin);
    expect(html).not.toContain(A.web);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);

    sw.linkDown("21");
    await context.close();
  }, 90_000);

  it("a click on a question that moved on to another unit prints nothing for either", async () => {
    const { context, page } = await openSignedIn(browser(), { screen: "phone", token: TOKENS.operator });
    await page.goto(`${s.url}/station/label`);
    await page.locator("#live.on").waitFor({ timeout: 15_000 });
    await report(B);
    const before = printer.jobs.length;
    sw.linkUp("21");
    sw.learn(B.mac, "21");
    await page.locator("main[data-kind=confirm-print]").waitFor({ timeout: 15_000 });
    const session = await page.locator("main").getAttribute("data-session");
    // Another unit is plugged in beside it before the operator taps: the station shows a conflict.
    await report(A).catch(() => {});
    sw.learn("aa:bb:cc:00:21:0c", "21");
    await page.locator("main[data-kind=conflict]").waitFor({ timeout: 15_000 });
    const stale = await s.call("POST", "/api/stations/label/answers", {
      token: "operator",
      body: { session: Number(session), action: "print" },
    });
    expect(stale.status).toBe(409);
    expect(await page.locator("button[data-action]").count()).toBe(0);
    expect(printer.jobs.length).toBe(before);
    await context.close();
  }, 60_000);

  it("asks for the token when none is stored", async () => {
    const page = await browser().newPage();
    await page.goto(`${s.url}/station/label`);
    await signInWithForm(page, TOKENS.operator);
    // Signed in: the sign-in form is gone (its CSS must not override the hidden attribute).
    expect(await page.locator("#login").isVisible()).toBe(false);
    await page.close();
  }, 30_000);
});
