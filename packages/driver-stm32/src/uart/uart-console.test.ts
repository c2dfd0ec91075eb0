import { type BoardSession, type ConsoleTest, isFactoryError, runConsoleTests } from "@factory/core";
import { createSimBinding } from "@factory/serial";
import { describe, expect, it } from "vitest";
import { Stm32Driver } from "../driver/driver";
import type { Stm32DriverOptions } from "../driver/options";
import { An3155Simulator, type An3155SimulatorOptions } from "../simulator/an3155-device";
import { appImage } from "../simulator/app-image";

const BASE = 0x0800_0000;
const WIRING = { reset: "rts", boot0: "dtr" } as const;

function rig(sim: An3155SimulatorOptions = {}, options: Stm32DriverOptions = {}) {
  const binding = createSimBinding();
  const device = new An3155Simulator({ chip: { seed: 9 }, ...sim });
  const cable = binding.add("sim:stm32-app", device);
  const driver = new Stm32Driver({ transport: "uart", binding, ...options });
  return { device, cable, driver, port: { path: "sim:stm32-app" } };
}

const app = { regions: [{ name: "app", offset: BASE, data: appImage(2048, 3) }] };

/** Opens the rig's port, hands the session to `use`, and closes it whatever `use` did. */
async function onPort<T>(
  { driver, port }: ReturnType<typeof rig>,
  use: (session: BoardSession) => Promise<T>,
): Promise<T> {
  const session = await driver.open(port);
  try {
    return await use(session);
  } finally {
    await session.close();
  }
}

/** Flashes the test app, resets into it and opens its console, as the pipeline's test step does. */
async function startApp(session: BoardSession) {
  await session.flash(app);
  await session.reset("app");
  return session.openConsole();
}

describe("the application console over the UART, after the bootloader", () => {
  it("after Go, switches the link from 8E1 to the app's 8N1 and talks to the app", async () => {
    const r = rig();
    await onPort(r, async (session) => {
      const id = await session.identify();
      const console = await startApp(session);
      expect(await console.expect("ready", { timeoutMs: 2000 })).toBe("STM32 app STM32F40x/41x ready");
      await console.writeLine("info");
      expect(await console.expect(/^OK /, { timeoutMs: 2000 })).toBe(`OK STM32F40x/41x ${id.uniqueId}`);
      await console.writeLine("echo hello there");
      expect(await console.expect("hello", { timeoutMs: 2000 })).toBe("hello there");
      expect(r.device.app.received).toEqual(["info", "echo hello there"]);
      await console.close();
    });
  });

  it("a host left at the bootloader's 8E1 reads garbage from an 8N1 app (so the switch matters)", async () => {
    const r = rig({}, { appParity: "even" });
    await onPort(r, async (session) => {
      const console = await startApp(session);
      await expect(console.expect("ready", { timeoutMs: 300 })).rejects.toMatchObject({
        code: "CONSOLE_TIMEOUT",
      });
      await console.writeLine("info");
      await expect(console.expect(/^OK /, { timeoutMs: 300 })).rejects.toMatchObject({
        code: "CONSOLE_TIMEOUT",
      });
      expect(r.device.app.received).toEqual([]); // the app could not read the host either
    });
  });

  it("follows the app's rate: 57600 configured talks, the default 115200 does not", async () => {
    const slowApp = { app: { baudRate: 57600 } };
    await onPort(rig(slowApp, { appBaudRate: 57600 }), async (session) => {
      const console = await startApp(session);
      await console.expect("ready", { timeoutMs: 2000 }); // the app listens once it has set up its UART
      await console.writeLine("ping");
      expect(await console.expect("pong", { timeoutMs: 2000 })).toBe("pong");
    });
    await onPort(rig(slowApp), async (other) => {
      const console = await startApp(other);
      await console.writeLine("ping");
      await expect(console.expect("pong", { timeoutMs: 300 })).rejects.toMatchObject({
        code: "CONSOLE_TIMEOUT",
      });
      // openConsole's own rate wins over the configured one
      await console.close();
      const retry = await other.openConsole({ baudRate: 57600 });
      await retry.writeLine(""); // ends the garbled line the app is still holding
      await retry.writeLine("ping");
      expect(await retry.expect("pong", { timeoutMs: 2000 })).toBe("pong");
    });
  });

  it("with NRST/BOOT0 wired: the app boots with the host already at 8N1, and back to the bootloader at 8E1", async () => {
    const r = rig({ wiring: WIRING }, { wiring: WIRING });
    const { device } = r;
    await onPort(r, async (session) => {
      await session.flash(app);
      await session.reset("app");
      expect(device.mode).toBe("app");
      const console = await session.openConsole();
      expect(await console.expect("ready", { timeoutMs: 2000 })).toContain("STM32F40x/41x");
      await session.reset("bootloader");
      expect(device.mode).toBe("command");
      await expect(console.expect("x", { timeoutMs: 50 })).rejects.toMatchObject({
        code: "INVALID_ARGUMENT",
      }); // closed by the reset
      expect((await session.verify(app)).ok).toBe(true);
      await session.reset("hard");
      const again = await session.openConsole();
      await again.expect("ready", { timeoutMs: 2000 });
      await again.writeLine("ping");
      expect(await again.expect("pong", { timeoutMs: 2000 })).toBe("pong");
    });
  });

  it("fault: no banner — the banner test fails, the app still answers", async () => {
    await onPort(rig({ app: { faults: { noBanner: true } } }), async (session) => {
      const console = await startApp(session);
      await expect(console.expect("ready", { timeoutMs: 300 })).rejects.toMatchObject({
        code: "CONSOLE_TIMEOUT",
      });
      await console.writeLine("ping");
      expect(await console.expect("pong", { timeoutMs: 2000 })).toBe("pong");
    });
  });

  it("fault: wrong answer — a test expecting the part's own UID fails; the line that came is a wrong value", async () => {
    await onPort(rig({ app: { faults: { wrongAnswer: true } } }), async (session) => {
      const id = await session.identify();
      const console = await startApp(session);
      await console.expect("ready", { timeoutMs: 2000 });
      await console.writeLine("info");
      const error = await console
        .expect(`OK STM32F40x/41x ${id.uniqueId}`, { timeoutMs: 300 })
        .catch((e: unknown) => e);
      expect(isFactoryError(error, "CONSOLE_TIMEOUT")).toBe(true);
      await console.writeLine("info");
      const line = await console.expect(/^OK /, { timeoutMs: 2000 });
      expect(line).toMatch(/^OK STM32F40x\/41x [0-9a-f]{24}$/);
      expect(line).not.toBe(`OK STM32F40x/41x ${id.uniqueId}`);
    });
  });

  it("an image without a valid vector table does not start: the console stays silent", async () => {
    const r = rig();
    await onPort(r, async (session) => {
      await session.flash({ regions: [{ name: "app", offset: BASE, data: new Uint8Array(512).fill(0x5a) }] });
      await session.reset("app");
      expect(r.device.app.state).toBe("fault");
      const console = await session.openConsole();
      await console.writeLine("info");
      await expect(console.expect(/./, { timeoutMs: 200 })).rejects.toMatchObject({
        code: "CONSOLE_TIMEOUT",
      });
    });
  });

  it("the pipeline's console tests pass on a good part and fail on each app fault", async () => {
    // A test that should pass gets 2 s, so a busy machine cannot make it fail; one that should
    // fail gets 300 ms, as waiting longer for it proves nothing more.
    const run = (faults: { noBanner?: boolean; wrongAnswer?: boolean }) =>
      onPort(rig({ app: { faults } }), async (session) => {
        const uid = (await session.identify()).uniqueId;
        const tests: ConsoleTest[] = [
          { name: "banner", command: "", expect: "ready", timeoutMs: faults.noBanner ? 300 : 2000 },
          {
            name: "identity",
            command: "info",
            expect: `OK STM32F40x/41x ${uid}`,
            timeoutMs: faults.wrongAnswer ? 300 : 2000,
          },
        ];
        const console = await startApp(session);
        try {
          return Object.fromEntries((await runConsoleTests(console, tests)).map((r) => [r.name, r.passed]));
        } finally {
          await console.close();
        }
      });
    expect(await run({})).toEqual({ banner: true, identity: true });
    expect(await run({ noBanner: true })).toEqual({ banner: false, identity: true });
    expect(await run({ wrongAnswer: true })).toEqual({ banner: true, identity: false });
  });

  it("refuses a console while the part sits in its bootloader", async () => {
    await onPort(rig(), async (session) => {
      await expect(session.openConsole()).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
    });
  });
});
