import { randomUUID } from "node:crypto";
import type { Logger } from "@factory/core";

/** What the dashboard and other instances hear about. Never carries secrets. */
export type ServerEvent =
  | { type: "unit"; mac: string; status: string; stage?: string; port?: string; at: string; source?: string }
  | { type: "unit.deleted"; mac: string; at: string; source?: string }
  | { type: "stuck"; macs: string[]; at: string; source?: string };

export type EventListener = (event: ServerEvent) => void;

/** A bridge carries events between server instances (PostgreSQL LISTEN/NOTIFY). */
export interface EventBridge {
  send(event: ServerEvent & { source: string }): Promise<void>;
  start(receive: (event: ServerEvent & { source: string }) => void): Promise<void>;
  close(): Promise<void>;
}

export interface EventBus {
  readonly instanceId: string;
  publish(event: ServerEvent): void;
  subscribe(listener: EventListener): () => void;
  close(): Promise<void>;
}

/** Local fan-out plus an optional bridge; events from the bridge that this instance sent are dropped. */
export async function createEventBus(options: { bridge?: EventBridge; logger: Logger }): Promise<EventBus> {
  const instanceId = randomUUID();
  const listeners = new Set<EventListener>();
  const deliver = (event: ServerEvent) => {
    for (const l of listeners) {
      try {
        l(event);
      } catch (error) {
        options.logger.warn("event listener failed", { error: (error as Error).message });
      }
    }
  };
  await options.bridge?.start((event) => {
    if (event.source !== instanceId) deliver(event);
  });
  return {
    instanceId,
    publish(event) {
      const stamped = { ...event, source: instanceId };
      deliver(stamped);
      options.bridge
        ?.send(stamped)
        .catch((error: Error) => options.logger.warn("event bridge send failed", { error: error.message }));
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async close() {
      listeners.clear();
      await options.bridge?.close();
    },
  };
}
