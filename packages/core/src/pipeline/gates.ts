import type { FlashPlan } from "../contracts/board-driver";
import { createError, ErrorCodes } from "../errors";
import type { GateResult } from "./types";

/** The seed's `quality_gates`, per board type, in SDK units. */
export interface QualityGates {
  /** Largest allowed application image, bytes (`max_firmware_size[board]`). */
  maxFirmwareSize?: number;
  /** Longest allowed write + verify, ms (`max_flash_time`, seconds in YAML). */
  maxFlashTimeMs?: number;
}

/**
 * The size the firmware gate measures: the region named `app` or `firmware` when the plan has
 * one, otherwise every shared region together (per-device data is never counted).
 */
export function firmwareSize(plan: FlashPlan): number {
  const app = plan.regions.find((r) => r.name === "app" || r.name === "firmware");
  if (app) return app.data.length;
  return plan.regions.filter((r) => r.scope !== "device").reduce((sum, r) => sum + r.data.length, 0);
}

/** Checks the firmware size gate; throws `GATE_FAILED` before any byte is written. */
export function checkFirmwareGate(plan: FlashPlan, gates: QualityGates | undefined): GateResult | undefined {
  if (gates?.maxFirmwareSize === undefined) return undefined;
  const actual = firmwareSize(plan);
  const result: GateResult = {
    gate: "max_firmware_size",
    passed: actual <= gates.maxFirmwareSize,
    limit: gates.maxFirmwareSize,
    actual,
  };
  if (!result.passed) {
    throw createError(
      "core",
      ErrorCodes.GATE_FAILED,
      `Firmware is ${actual} bytes, over the max_firmware_size gate of ${gates.maxFirmwareSize} bytes`,
      { details: { gate: result } },
    );
  }
  return result;
}

/** Checks the flash time gate after write + verify; throws `GATE_FAILED` when over. */
export function checkFlashTimeGate(
  flashTimeMs: number,
  gates: QualityGates | undefined,
): GateResult | undefined {
  if (gates?.maxFlashTimeMs === undefined) return undefined;
  const result: GateResult = {
    gate: "max_flash_time",
    passed: flashTimeMs <= gates.maxFlashTimeMs,
    limit: gates.maxFlashTimeMs,
    actual: Math.round(flashTimeMs),
  };
  if (!result.passed) {
    throw createError(
      "core",
      ErrorCodes.GATE_FAILED,
      `Flashing took ${(flashTimeMs / 1000).toFixed(1)} s, over the max_flash_time gate of ${gates.maxFlashTimeMs / 1000} s`,
      { details: { gate: result } },
    );
  }
  return result;
}
