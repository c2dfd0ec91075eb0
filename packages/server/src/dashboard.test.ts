import { CHROMIUM_PEER, requirePeer } from "@factory/core/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer, TOKENS } from "./testing/harness";
import { openSignedIn, signInWithForm, useChromium } from "./testing/page-session";

describe.runIf(requirePeer(CHROMIUM_PEER))("dashboard in real headless Chromium", () => {
  let s: TestServer;
  const browser = useChromium();
  beforeAll(async () => {
    s = await startTestServer();
  });
  afterAll(async () => {
    await s?.stop();
  });

  it("shows builds per port and updates live over SSE on a phone-sized screen", async () => {
    const { context, page } = await openSignedIn(browser(), { screen: "phone", token: TOKENS.operator });
    await s.call("POST", "/api/heartbeat", {
      token: "unit",
      body: {
        mac_wan: "aa:bb:cc:dd:ee:01",
        status: "building",
        stage: "deploying_services",
        port: "1",
        timestamp: new Date().toISOString(),
      },
    });
    await page.goto(s.url);
    const building = page.locator("#building li", { hasText: "Port 1" });
    await building.waitFor({ timeout: 15_000 });
    expect(await building.textContent()).toContain("Building… (Stage: deploying_services)");
    expect(await building.textContent()).toMatch(/\[\d+s\]|\[\d+m \d+s\]/);
    await page.locator("#live.on").waitFor({ timeout: 15_000 });
    // Signed in: the sign-in form is gone (its CSS must not override the hidden attribute).
    expect(await page.locator("#login").isVisible()).toBe(false);

    await s.call("POST", "/api/heartbeat", {
      token: "unit",
      body: {
        mac_wan: "aa:bb:cc:dd:ee:02",
        status: "building",
        stage: "self_test",
        port: "2",
        timestamp: new Date().toISOString(),
      },
    });
    await page.locator("#building li", { hasText: "Port 2" }).waitFor({ timeout: 15_000 });
    await s.call("POST", "/api/units", {
      token: "unit",
      body: {
        mac_wan: "aa:bb:cc:dd:ee:01",
        status: "ready",
        serial: "SER-1",
        admin_password: "pw-admin-xyz",
        services_password: "pw-svc-xyz",
      },
    });
    await page.locator("#ready li", { hasText: "Port 1" }).waitFor({ timeout: 15_000 });
    await s.call("POST", "/api/units", {
      token: "unit",
      body: { mac_wan: "aa:bb:cc:dd:ee:02", status: "failed", failed_tests: ["adguard"] },
    });
    await page.locator("#failed li", { hasText: "adguard failed" }).waitFor({ timeout: 15_000 });
    await s.call("DELETE", "/api/units/aa:bb:cc:dd:ee:01", { token: "station" });
    await page.locator("#labeled li", { hasText: "aa:bb:cc:dd:ee:01" }).waitFor({ timeout: 15_000 });
    expect(await page.locator("#ready .n").textContent()).toBe("0 units");

    const html = await page.content();
    expect(html).not.toContain("pw-admin-xyz");
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await context.close();
  }, 60_000);

  it("asks for a token when none is stored", async () => {
    const page = await browser().newPage();
    await page.goto(s.url);
    await signInWithForm(page, TOKENS.operator);
    // Signed in: the sign-in form is gone (its CSS must not override the hidden attribute).
    expect(await page.locator("#login").isVisible()).toBe(false);
    await page.close();
  }, 30_000);
});
