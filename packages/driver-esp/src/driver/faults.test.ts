/**
 * Randomized fault injection: many devices, each with a random fault, flashed concurrently.
 * A device is never reported good (flash + verify ok) with wrong flash content, never hangs past
 * its bound, and always fails with a coded reason. With ESP_TEST_PORT naming a real board, the
 * same file runs against it with the faults a host can cause (cancellation at a random point,
 * random baud rates) and checks content through the chip's own MD5.
 */
import { type FlashPlan, isFactoryError } from "@factory/core";
import { describe, expect, it } from "vitest";
import {
  createEspSimulator,
  EspSimBinding,
  type EspSimFaults,
  type EspSimulator,
  makeFirmwareImage,
  prng,
} from "../simulator";
import { createEspDriver } from "./driver";

const REAL_PORT = process.env.ESP_TEST_PORT;
const SEED = Number(process.env.ESP_FAULT_SEED ?? 20261123);
const TRIALS = REAL_PORT ? 6 : 30;
const HARD_LIMIT_MS = 60_000;

type Fault = keyof EspSimFaults | "none" | "abort";
const SIM_FAULTS: Fault[] = [
  "none",
  "dropRate",
  "corruptRate",
  "disconnectAtByte",
  "noSync",
  "resetAtFlashByte",
  "wrongMd5",
  "garbage",
  "maxBaud",
  "stuckBitAt",
  "abort",
];

interface Outcome {
  fault: string;
  good: boolean;
  code?: string;
  ms: number;
  contentOk?: boolean;
}

function makePlan(rnd: () => number): FlashPlan {
  const appSize = 20_000 + Math.floor(rnd() * 120_000);
  const nvs = new Uint8Array(0x3000);
  for (let i = 0; i < nvs.length; i++) nvs[i] = Math.floor(rnd() * 256);
  return {
    regions: [
      { name: "nvs", offset: 0x9000, data: nvs },
      {
        name: "app",
        offset: 0x10000,
        data: makeFirmwareImage({ size: appSize, seed: Math.floor(rnd() * 1e9) }),
      },
    ],
  };
}

function faultsFor(fault: Fault, rnd: () => number, plan: FlashPlan): EspSimFaults {
  const total = plan.regions.reduce((n, r) => n + r.data.length, 0);
  switch (fault) {
    case "dropRate":
      return { dropRate: 2e-6 + rnd() * 2e-5 };
    case "corruptRate":
      return { corruptRate: 2e-6 + rnd() * 2e-5 };
    case "disconnectAtByte":
      return { disconnectAtByte: Math.floor(rnd() * 60_000) };
    case "noSync":
      return { noSync: true };
    case "resetAtFlashByte":
      return { resetAtFlashByte: Math.floor(rnd() * total) };
    case "wrongMd5":
      return { wrongMd5: true };
    case "garbage":
      return { garbage: true };
    case "maxBaud":
      return { maxBaud: rnd() < 0.5 ? 460800 : 115200 };
    case "stuckBitAt":
      return { stuckBitAt: 0x10000 + Math.floor(rnd() * 10_000) };
    default:
      return {};
  }
}

async function trial(index: number): Promise<Outcome> {
  const rnd = prng(SEED + index * 7919);
  const plan = makePlan(rnd);
  const faults = REAL_PORT ? (["none", "abort"] as Fault[]) : SIM_FAULTS;
  const fault = faults[Math.floor(rnd() * faults.length)]!;
  let sim: EspSimulator | undefined;
  let driver: ReturnType<typeof createEspDriver>;
  let path: string;
  const baudRate = [115200, 460800, 921600][Math.floor(rnd() * 3)]!;
  if (REAL_PORT) {
    path = REAL_PORT;
    driver = createEspDriver({ baudRate });
  } else {
    sim = await createEspSimulator({ chip: rnd() < 0.7 ? "esp32" : "esp8266", seed: index + 1 });
    sim.faults = faultsFor(fault, rnd, plan);
    path = `sim:fault-${index}`;
    driver = createEspDriver({ binding: new EspSimBinding().add(path, sim), baudRate, connectAttempts: 2 });
  }
  const controller = new AbortController();
  const abortAfter = fault === "abort" ? 1 + Math.floor(rnd() * 6) : -1;
  let events = 0;
  const started = performance.now();
  const run = async (): Promise<Outcome> => {
    const session = await driver.open({ path }, { signal: controller.signal });
    try {
      await session.flash(plan, {
        signal: controller.signal,
        onProgress: () => {
          if (++events === abortAfter) controller.abort();
        },
      });
      const verified = await session.verify(plan, { signal: controller.signal });
      const good = verified.ok;
      let contentOk: boolean | undefined;
      if (sim) {
        contentOk = plan.regions.every((r) =>
          Buffer.from(sim!.readFlashImage(r.offset, r.data.length)).equals(Buffer.from(r.data)),
        );
      }
      return {
        fault,
        good,
        ms: performance.now() - started,
        ...(contentOk !== undefined ? { contentOk } : {}),
      };
    } finally {
      await session.close();
    }
  };
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hang = new Promise<Outcome>((resolve) => {
    timer = setTimeout(() => resolve({ fault, good: false, code: "HUNG", ms: HARD_LIMIT_MS }), HARD_LIMIT_MS);
  });
  try {
    return await Promise.race([
      run().catch((error: unknown) => ({
        fault,
        good: false,
        code: isFactoryError(error) ? error.code : `UNCODED: ${String(error)}`,
        ms: performance.now() - started,
      })),
      hang,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

describe(
  REAL_PORT ? `fault injection on the board at ${REAL_PORT}` : "fault injection on simulated boards",
  () => {
    it(
      `${TRIALS} randomized devices: never good with wrong content, never hung, always a coded failure`,
      async () => {
        const outcomes: Outcome[] = [];
        // Real boards one at a time; simulated ones six at a time (ports never stall each other).
        const width = REAL_PORT ? 1 : 6;
        for (let i = 0; i < TRIALS; i += width) {
          const batch = Array.from({ length: Math.min(width, TRIALS - i) }, (_, k) => trial(i + k));
          outcomes.push(...(await Promise.all(batch)));
        }
        for (const o of outcomes) {
          expect(o.code, `${o.fault}: ${JSON.stringify(o)}`).not.toBe("HUNG");
          if (o.good) {
            if (o.contentOk !== undefined)
              expect(o.contentOk, `${o.fault} reported good with wrong content`).toBe(true);
          } else if (o.code !== undefined) {
            expect(o.code, `${o.fault}: ${o.code}`).toMatch(/^[A-Z][A-Z0-9_]+$/);
            expect(o.code).not.toMatch(/^UNCODED|^INTERNAL$/);
          }
        }
        // A chip that lies about its MD5 or never answers is never reported good. (A stuck bit only
        // corrupts bytes that needed it clear; the content check above covers it either way.)
        for (const o of outcomes.filter((x) => x.fault === "wrongMd5" || x.fault === "noSync")) {
          expect(o.good, JSON.stringify(o)).toBe(false);
        }
        // Clean devices and cable-only limits succeed.
        for (const o of outcomes.filter((x) => x.fault === "none" || x.fault === "maxBaud")) {
          expect(o.good, JSON.stringify(o)).toBe(true);
        }
        const summary: Record<string, string[]> = {};
        for (const o of outcomes) {
          const list = summary[o.fault] ?? [];
          list.push(o.good ? "good" : (o.code ?? "verify-mismatch"));
          summary[o.fault] = list;
        }
        console.log(JSON.stringify(summary));
      },
      REAL_PORT ? 600_000 : 240_000,
    );
  },
);
