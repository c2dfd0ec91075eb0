import type { SignalOptions } from "../abort";
import type { DeviceResult, PipelineEvent } from "../pipeline/types";
import type { BoardDriver } from "./board-driver";
import type { PortRef } from "./port";

/** Result of a station pass over its ports. */
export interface BatchResult {
  batchId: string;
  stationId: string;
  startedAt: Date;
  finishedAt: Date;
  results: DeviceResult[];
  passed: number;
  failed: number;
  /** True when the pass was stopped by its signal; `results` holds what finished. */
  aborted: boolean;
}

/** Presence changes on a station's ports. */
export type PortChange = { type: "attached" | "detached"; port: PortRef };

/**
 * Reports devices arriving on and leaving a station's ports. The default watcher polls the
 * driver's `probe`; a udev-based watcher can be injected.
 */
export interface PortWatcher {
  watch(ports: readonly PortRef[], options: SignalOptions): AsyncIterable<PortChange>;
}

/**
 * A physical workstation: ports, one board driver, the plan and the policy. Runs pipelines on
 * all ports concurrently; one port's failure never stalls another.
 */
export interface Station {
  readonly id: string;
  readonly ports: readonly PortRef[];
  readonly driver: BoardDriver;
  /**
   * Provisions each port that has a device, once, concurrently; resolves when all have finished
   * (or the signal fired). `limit` caps the number of devices (the seed's `--batch-size`).
   */
  runBatch(options?: SignalOptions & { limit?: number }): Promise<BatchResult>;
  /**
   * Continuous mode: provisions every device that appears until the signal fires, never the same
   * device twice without it being unplugged in between. Resolves with everything that finished.
   */
  runContinuous(options: SignalOptions): Promise<BatchResult>;
  /** Subscribes to every pipeline event of every port. Returns the unsubscribe function. */
  onEvent(listener: (event: PipelineEvent) => void): () => void;
}
