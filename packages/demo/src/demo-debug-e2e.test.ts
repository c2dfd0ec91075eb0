import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { CHROMIUM_LAUNCH, CHROMIUM_PEER, requirePeer } from "@factory/core/testing";
import { type Browser, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningDemo, startDemo } from "./start-demo";

describe.runIf(requirePeer(CHROMIUM_PEER))(
  "the virtual factory in Chromium: move a failed unit to debug port 22, read its logs on the debug station page",
  () => {
    let dir: string;
    let demo: RunningDemo;
    let browser: Browser;
    beforeAll(async () => {
      dir = mkdtempSync(path.join(tmpdir(), "factory-demo-debug-e2e-"));
      // Port 1's unit fails its semaphore self-test within seconds; it then stays on its port for 6 s.
      demo = await startDemo({
        dir,
        units: 2,
        speed: 100,
        espPorts: 0,
        fate: (n) => (n === 0 ? { kind: "fail", test: "semaphore" } : { kind: "ready" }),
        headStart: (n) => (n === 0 ? 0.9 : 0),
      });
      browser = await chromium.launch(CHROMIUM_LAUNCH);
    });
    afterAll(async () => {
      await browser?.close();
      await demo?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it("the button moves the unit, port 22's tile follows the collection, the debug station page shows the logs", async () => {
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      const demoPage = await context.newPage();
      await demoPage.goto(demo.links.demo);
      const button = demoPage.locator("button.move.debug").first();
      await button.waitFor({ timeout: 30_000 });
      expect(await button.textContent()).toBe("Move to debug port 22");
      const mac = (await button.getAttribute("data-mac"))!;
      expect(demo.floor.units().find((u) => u.mac === mac)?.state).toBe("failed");
      await button.click();

      // The unit's tile moves to port 22 and says what the debug station did.
      const tile = demoPage.locator(`.port.debugport[data-mac='${mac}']`);
      await tile.waitFor({ timeout: 15_000 });
      await tile.locator(".dbg[data-debug=stored]").waitFor({ timeout: 30_000 });
      expect(await tile.locator(".dbg").textContent()).toBe("Logs stored (7 items): see them");

      // The debug station page lists the unit's run and its logs, as text.
      const debugPage = await context.newPage();
      await debugPage.goto(demo.links.debugStation);
      const run = debugPage.locator(`section.run[data-mac='${mac}'][data-status=stored]`);
      await run.waitFor({ timeout: 15_000 });
      await run.locator("details.log").first().waitFor({ timeout: 15_000 });
      const log = (name: string) => run.locator(`details[data-name='${name}'] pre`).textContent();
      expect(await log("systemctl --failed")).toMatch(/● semaphore\.service +loaded failed failed Semaphore/);
      expect(await log("journalctl -u semaphore.service")).toContain("Failed with result 'exit-code'.");
      expect(await log("/tmp/privatebox-bootstrap.log")).toContain("self-test semaphore: FAIL");
      expect(await log("ip addr show")).toContain(`link/ether ${mac}`);
      expect(await run.textContent()).toContain("address 127.0.0.1 (from its reports)");
      await context.close();
    }, 120_000);
  },
);
