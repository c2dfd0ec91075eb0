import type { ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { CHROMIUM_LAUNCH, CHROMIUM_PEER, requirePeer } from "@factory/core/testing";
import { type Browser, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { flashLine } from "./run-flash";
import { ADMIN_TOKEN, simPorts, simulatedDrivers, startServer, writeLine } from "./test-support";

describe.runIf(requirePeer(CHROMIUM_PEER))("the board-line page in real headless Chromium", () => {
  let dir: string;
  let server: { child: ChildProcess; url: string };
  let browser: Browser;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "board-line-page-"));
    server = await startServer(dir);
    browser = await chromium.launch(CHROMIUM_LAUNCH);
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    server?.child.kill("SIGTERM");
    rmSync(dir, { recursive: true, force: true });
  });

  it("shows a factory flash run live on a phone: ports appear and progress, a failed port says why, records follow", async () => {
    const context = await browser.newContext({
      viewport: { width: 390, height: 844 },
      isMobile: true,
      hasTouch: true,
    });
    const page = await context.newPage();
    await page.goto(`${server.url}/board-line`);
    // Signing in on the phone: the form is there, fits the screen, and opens the live stream.
    await page.locator("#token").fill(ADMIN_TOKEN);
    await page.locator("#login button").tap();
    await page.locator("#live.on").waitFor({ timeout: 15_000 });
    // Signed in: the sign-in form is gone (its CSS must not override the hidden attribute).
    expect(await page.locator("#login").isVisible()).toBe(false);
    expect(await page.locator("#stations").textContent()).toContain("No station has reported yet");
    // Everything the page shows over time: each port's states in order, and write progress seen.
    await page.evaluate(() => {
      const seen = { states: {} as Record<string, string[]>, partial: 0 };
      (window as unknown as { seen: typeof seen }).seen = seen;
      new MutationObserver(() => {
        for (const card of Array.from(document.querySelectorAll<HTMLElement>(".port"))) {
          const key = card.dataset.port ?? "";
          const list = seen.states[key] ?? [];
          seen.states[key] = list;
          const state = card.querySelector(".state")?.textContent ?? "";
          if (list.at(-1) !== state) list.push(state);
          const bar = card.querySelector("progress");
          if (bar && bar.value > 0 && bar.value < bar.max) seen.partial++;
        }
      }).observe(document.getElementById("stations")!, { childList: true, subtree: true });
    });

    const config = await writeLine(path.join(dir, "line"), {
      head: `
provisioning_service_url: "${server.url}"
registration: { token_env: FACTORY_STATION_TOKEN }
batch_id: "page-batch"`,
      stations: [{ id: "bed_a", ports: simPorts(0, 3) }],
      // 230400 baud: the write lasts seconds, so the 1 Hz port reports land mid-write.
      boards: {
        esp32: { settings: "{ connectAttempts: 2, baudRate: 230400, fallbackBaudRates: [115200] }" },
      },
    });
    // Wire-accurate simulators, so the run lasts long enough to be watched. Port 2 answers the
    // probe, then never syncs (a bad contact on the bed).
    const sim = simulatedDrivers(() => ({ timing: "real" }));
    const run = flashLine({
      config,
      mode: "batch",
      signal: new AbortController().signal,
      env: { FACTORY_STATION_TOKEN: ADMIN_TOKEN },
      drivers: sim.drivers,
      onEvent: (_station, e) => {
        if (e.type === "port-state" && e.state === "busy" && e.port.path === "sim:esp32-2")
          sim.sims.get("bed_a/sim:esp32-2")!.faults.noSync = true;
      },
    });

    // The station's ports appear while the run is on, and a port shows its write progressing.
    const bed = page.locator("section.station[data-station='bed_a']");
    await bed.waitFor({ timeout: 20_000 });
    await bed.locator(".port.busy progress").first().waitFor({ timeout: 20_000 });
    const result = await run;
    expect(result.batches[0]!.results.map((r) => r.status).sort()).toEqual(["failed", "passed", "passed"]);

    // Final states arrive over the same stream (no reload): passed ports, the failed one with its reason.
    const failed = bed.locator(".port.failed[data-port='sim:esp32-2']");
    await failed.waitFor({ timeout: 15_000 });
    expect(await failed.locator(".reason").textContent()).toMatch(/SYNC_FAILED/);
    await bed.locator(".port.passed").nth(1).waitFor({ timeout: 15_000 });
    expect(await bed.locator(".port.busy").count()).toBe(0);
    const seen = await page.evaluate(
      () => (window as unknown as { seen: { states: Record<string, string[]>; partial: number } }).seen,
    );
    // Each port was shown busy first, then its result, without a reload; some write mid-way.
    expect(seen.states["sim:esp32-0"]).toEqual(expect.arrayContaining(["busy", "passed"]));
    expect(seen.states["sim:esp32-0"]!.indexOf("busy")).toBeLessThan(
      seen.states["sim:esp32-0"]!.indexOf("passed"),
    );
    expect(seen.states["sim:esp32-2"]!.at(-1)).toBe("failed");
    expect(seen.partial).toBeGreaterThan(0);

    // The device records and the batch report the run sent to the server are listed below.
    const rows = page.locator("#records tr[data-port]");
    await expect.poll(() => rows.count(), { timeout: 15_000 }).toBe(3);
    const failedRow = page.locator("#records tr[data-port='sim:esp32-2']");
    expect(await failedRow.textContent()).toContain("SYNC_FAILED");
    // What a phone shows without scrolling the table: time, result, device.
    expect(await failedRow.locator("td").nth(1).textContent()).toBe("failed");
    const passed = result.batches[0]!.results.find((x) => x.port.path === "sim:esp32-0")!;
    const passedRow = page.locator("#records tr[data-port='sim:esp32-0']");
    expect(await passedRow.locator("td").nth(1).textContent()).toBe("passed");
    expect(await passedRow.locator("td").nth(2).textContent()).toBe(passed.deviceId);
    for (const r of result.batches[0]!.results.filter((x) => x.status === "passed")) {
      expect(await page.locator("#records").textContent()).toContain(r.deviceId);
    }
    await expect
      .poll(() => page.locator("#reports").textContent(), { timeout: 15_000 })
      .toContain("page-batch");

    // Usable on the phone: nothing is wider than the screen (tables scroll inside their own box),
    // and a port card is big enough to read and tap.
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    const card = await failed.boundingBox();
    expect(card!.width).toBeGreaterThan(300);
    expect(card!.x + card!.width).toBeLessThanOrEqual(390);
    await context.close();
  }, 120_000);
});
