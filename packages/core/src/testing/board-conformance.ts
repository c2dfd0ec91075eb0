import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { BoardDriver, FlashPlan, FlashProgress } from "../contracts/board-driver";
import type { PortRef } from "../contracts/port";
import { isFactoryError } from "../errors";

/** What a driver's test gives the conformance suite. */
export interface BoardConformanceSetup {
  driver: BoardDriver;
  /** A port with a device present. */
  port: PortRef;
  /** A port with nothing attached (probe → present: false, open → rejects with a coded error). */
  emptyPort?: PortRef;
  /** A plan the device can take (at least two regions at different offsets). */
  plan: FlashPlan;
  /** Console command and expected answer after `reset("app")`, when the driver has a console. */
  consoleProbe?: { command: string; expect: string | RegExp };
  /** Reads what the device holds at [offset, offset + length) out of band (simulator memory). */
  readBack?: (offset: number, length: number) => Promise<Uint8Array>;
  /** Makes the device vanish mid-operation (unplug), for the disconnect test. */
  unplug?: () => Promise<void> | void;
  teardown?: () => Promise<void>;
}

export interface ConformanceOptions {
  /** Test title → reason. Every skip states why. */
  skip?: Record<string, string>;
  /** Per-test timeout, ms (real hardware and time-accurate simulators need more). */
  timeoutMs?: number;
}

/**
 * The behaviour every {@link BoardDriver} must show, run by each driver package against its
 * simulator (always) and real hardware (when an environment variable names a port).
 *
 * @example
 * describeBoardDriverConformance("esp simulator", async () => ({ driver, port, plan, readBack }));
 */
export function describeBoardDriverConformance(
  name: string,
  setup: () => Promise<BoardConformanceSetup>,
  options: ConformanceOptions = {},
): void {
  describe(`BoardDriver conformance: ${name}`, () => {
    let ctx: BoardConformanceSetup;
    beforeEach(async () => {
      ctx = await setup();
    });
    afterEach(async () => {
      await ctx?.teardown?.();
    });

    const test = (title: string, fn: () => Promise<void>): void => {
      const reason = options.skip?.[title];
      if (reason) it.skip(`${title} (skipped: ${reason})`, fn);
      else it(title, fn, options.timeoutMs);
    };

    const mutated = (): FlashPlan => ({
      regions: ctx.plan.regions.map((r, i) => {
        if (i > 0) return r;
        const data = Uint8Array.from(r.data);
        data[Math.floor(data.length / 2)] = (data[Math.floor(data.length / 2)] ?? 0) ^ 0x5a;
        return { ...r, data };
      }),
    });

    test("declares a name, families and consistent capabilities", async () => {
      expect(ctx.driver.name).toMatch(/^[a-z0-9-]+$/);
      expect(ctx.driver.families.length).toBeGreaterThan(0);
      expect(ctx.driver.capabilities.resetModes.length).toBeGreaterThan(0);
      expect(ctx.plan.regions.length).toBeGreaterThanOrEqual(2);
    });

    test("probe finds the device and reports an empty port as absent", async () => {
      const found = await ctx.driver.probe(ctx.port);
      expect(found.present).toBe(true);
      if (found.family) expect(ctx.driver.families).toContain(found.family);
      if (ctx.emptyPort) expect((await ctx.driver.probe(ctx.emptyPort)).present).toBe(false);
    });

    test("open on an empty port rejects with a coded error", async () => {
      if (!ctx.emptyPort) return;
      const error = await ctx.driver.open(ctx.emptyPort).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isFactoryError(error)).toBe(true);
    });

    test("identify is stable and names a family the driver declares", async () => {
      const session = await ctx.driver.open(ctx.port);
      try {
        const first = await session.identify();
        const second = await session.identify();
        expect(ctx.driver.families).toContain(first.family);
        expect(first.uniqueId).toMatch(/^[0-9a-z:._-]+$/);
        expect(first.uniqueId.length).toBeGreaterThan(3);
        expect(second).toEqual(first);
        if (first.mac) expect(first.mac).toMatch(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
      } finally {
        await session.close();
      }
    });

    test("flash writes every region, reports progress, and verify confirms it", async () => {
      const session = await ctx.driver.open(ctx.port);
      try {
        const progress: FlashProgress[] = [];
        const result = await session.flash(ctx.plan, { onProgress: (p) => progress.push(p) });
        expect(result.regions.map((r) => r.name)).toEqual(ctx.plan.regions.map((r) => r.name));
        for (const region of ctx.plan.regions) {
          const events = progress.filter((p) => p.region === region.name && p.phase !== "verify");
          expect(events.length).toBeGreaterThan(0);
          const done = events.map((p) => p.bytesDone);
          expect([...done].sort((a, b) => a - b)).toEqual(done);
          expect(events.at(-1)!.bytesDone).toBe(region.data.length);
          expect(events.at(-1)!.bytesTotal).toBe(region.data.length);
        }
        const verified = await session.verify(ctx.plan);
        expect(verified.ok).toBe(true);
        expect(verified.regions.every((r) => r.ok && r.expected === r.actual)).toBe(true);
        if (ctx.readBack) {
          for (const region of ctx.plan.regions) {
            const held = await ctx.readBack(region.offset, region.data.length);
            expect(Buffer.from(held).equals(Buffer.from(region.data))).toBe(true);
          }
        }
      } finally {
        await session.close();
      }
    });

    test("verify reports a mismatch instead of passing", async () => {
      const session = await ctx.driver.open(ctx.port);
      try {
        await session.flash(ctx.plan);
        const verified = await session.verify(mutated());
        expect(verified.ok).toBe(false);
        const bad = verified.regions.find((r) => !r.ok);
        expect(bad?.name).toBe(ctx.plan.regions[0]!.name);
        expect(bad?.expected).not.toBe(bad?.actual);
      } finally {
        await session.close();
      }
    });

    test("reflashing an unchanged plan skips regions when the driver says it can", async () => {
      const session = await ctx.driver.open(ctx.port);
      try {
        await session.flash(ctx.plan);
        const again = await session.flash(ctx.plan);
        if (ctx.driver.capabilities.skipUnchanged) {
          expect(again.regions.every((r) => r.skipped)).toBe(true);
          expect(again.bytesWritten).toBe(0);
          const changed = await session.flash(mutated());
          expect(changed.regions[0]!.skipped).toBe(false);
          expect(changed.regions.slice(1).every((r) => r.skipped)).toBe(true);
        } else {
          expect(again.regions.every((r) => !r.skipped)).toBe(true);
        }
      } finally {
        await session.close();
      }
    });

    test("rejects an invalid plan with PLAN_INVALID before writing", async () => {
      const session = await ctx.driver.open(ctx.port);
      try {
        const [a] = ctx.plan.regions;
        const overlapping: FlashPlan = {
          regions: [a!, { ...a!, name: `${a!.name}-overlap`, offset: a!.offset + 1 }],
        };
        await expect(session.flash(overlapping)).rejects.toMatchObject({ code: "PLAN_INVALID" });
        const identity = await session.identify();
        if (identity.flashSize) {
          const beyond: FlashPlan = {
            regions: [{ name: "beyond", offset: a!.offset + identity.flashSize, data: new Uint8Array(16) }],
          };
          await expect(session.flash(beyond)).rejects.toMatchObject({ code: "PLAN_INVALID" });
        }
      } finally {
        await session.close();
      }
    });

    test("a cancelled flash rejects with ABORTED and the port can be opened again", async () => {
      const session = await ctx.driver.open(ctx.port);
      const controller = new AbortController();
      let aborted = false;
      try {
        const pending = session.flash(mutated(), {
          signal: controller.signal,
          onProgress: () => {
            if (!aborted) {
              aborted = true;
              controller.abort();
            }
          },
        });
        await expect(pending).rejects.toMatchObject({ code: "ABORTED" });
      } finally {
        await session.close();
      }
      await session.close(); // idempotent
      const again = await ctx.driver.open(ctx.port);
      await again.close();
    });

    test("a second session on a busy port is refused with PORT_BUSY", async () => {
      const session = await ctx.driver.open(ctx.port);
      try {
        await expect(ctx.driver.open(ctx.port)).rejects.toMatchObject({ code: "PORT_BUSY" });
      } finally {
        await session.close();
      }
    });

    test("reset and console follow the capability flags", async () => {
      const session = await ctx.driver.open(ctx.port);
      try {
        const all = ["bootloader", "app", "hard"] as const;
        for (const mode of all.filter((m) => !ctx.driver.capabilities.resetModes.includes(m))) {
          await expect(session.reset(mode)).rejects.toMatchObject({ code: "NOT_SUPPORTED" });
        }
        if (!ctx.driver.capabilities.console) {
          await expect(session.openConsole()).rejects.toMatchObject({ code: "NOT_SUPPORTED" });
          return;
        }
        await session.flash(ctx.plan);
        await session.reset("app");
        const console = await session.openConsole();
        try {
          if (ctx.consoleProbe) {
            await console.writeLine(ctx.consoleProbe.command);
            const line = await console.expect(ctx.consoleProbe.expect, { timeoutMs: 5_000 });
            expect(typeof line).toBe("string");
          }
          await expect(console.expect("\u0000never-printed\u0000", { timeoutMs: 200 })).rejects.toMatchObject(
            {
              code: "CONSOLE_TIMEOUT",
            },
          );
        } finally {
          await console.close();
        }
      } finally {
        await session.close();
      }
    });

    test("a device unplugged mid-flash fails with a coded error, not a hang", async () => {
      if (!ctx.unplug) return;
      const session = await ctx.driver.open(ctx.port);
      let pulled = false;
      try {
        const pending = session.flash(mutated(), {
          onProgress: () => {
            if (!pulled) {
              pulled = true;
              void ctx.unplug!();
            }
          },
        });
        const error = await pending.then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(isFactoryError(error)).toBe(true);
      } finally {
        await session.close();
      }
    });
  });
}
