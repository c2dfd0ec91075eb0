import { createError, ErrorCodes } from "@factory/core";

/**
 * The seed's build stages with realistic durations in seconds (a PrivateBox build takes about
 * 14 minutes: Proxmox installs, OPNsense and the management VM deploy, the services start).
 */
export const BUILD_STAGES = [
  { stage: "installing_proxmox", seconds: 240 },
  { stage: "deploying_opnsense", seconds: 200 },
  { stage: "deploying_management_vm", seconds: 170 },
  { stage: "deploying_services", seconds: 230 },
] as const;

/** The default speed-up: a 14-minute build takes about 85 s (1–2 min with the jitter). */
export const DEFAULT_SPEED = 10;

/** Durations of the virtual factory, in real milliseconds, derived from one speed-up factor. */
export interface DemoTiming {
  speed: number;
  /** Heartbeat interval (seed: 60 s). */
  heartbeatMs: number;
  /** Silence after which the server marks a unit stuck (45 s at the default speed). */
  stuckAfterMs: number;
  /** A self-test's bound. */
  selfTestMs: number;
  /** Pause before a new unit is plugged into a port that was freed. */
  replugMs: number;
  /** How long a failed or stuck unit stays on its port before a technician takes it away. */
  removeAfterMs: number;
  /** Real milliseconds for `seconds` of factory time. */
  scale(seconds: number): number;
}

/** Timing for a speed-up factor (1 = real time). Throws `INVALID_ARGUMENT` outside 1..10000. */
export function demoTiming(speed: number = DEFAULT_SPEED): DemoTiming {
  if (!Number.isFinite(speed) || speed < 1 || speed > 10_000) {
    throw createError("demo", ErrorCodes.INVALID_ARGUMENT, `speed must be from 1 to 10000, not ${speed}`);
  }
  const scale = (seconds: number) => Math.max(1, Math.round((seconds * 1000) / speed));
  return {
    speed,
    heartbeatMs: Math.max(20, scale(60)),
    stuckAfterMs: Math.max(300, scale(450)),
    selfTestMs: Math.max(500, Math.min(10_000, scale(30))),
    replugMs: Math.max(50, scale(40)),
    removeAfterMs: Math.max(200, scale(600)),
    scale,
  };
}
