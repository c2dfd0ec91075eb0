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
  /** Sends several events in order, in one go (one round trip); the bus uses it when present. */
  sendMany?(events: (ServerEvent & { source: string })[]): Promise<void>;
  start(receive: (event: ServerEvent & { source: string }) => void): Promise<void>;
  close(): Promise<void>;
}

export interface EventBus {
  readonly instanceId: string;
  publish(event: ServerEvent): void;
  subscribe(listener: EventListener): () => void;
  close(): Promise<void>;
}

/**
 * Local fan-out plus an optional bridge; events from the bridge that this instance sent are
 * dropped. Local listeners hear an event at once; the bridge gets events in order, batched
 * while a send is in flight; `close` waits until the queued ones are sent.
 */
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
  // Events for the bridge leave in order, one send at a time: those published while a send is in
  // flight go together in the next one (a heartbeat burst costs one round trip, not one each).
  const bridge = options.bridge;
  let outbox: (ServerEvent & { source: string })[] = [];
  let sending: Promise<void> | undefined;
  const pump = async () => {
    while (bridge && outbox.length > 0) {
      const batch = outbox;
      outbox = [];
      try {
        if (bridge.sendMany) await bridge.sendMany(batch);
        else for (const e of batch) await bridge.send(e);
      } catch (error) {
        options.logger.warn("event bridge send failed", {
          error: (error as Error).message,
          events: batch.length,
        });
      }
    }
    sending = undefined;
  };
  return {
    instanceId,
    publish(event) {
      const stamped = { ...event, source: instanceId };
      deliver(stamped);
      if (!bridge) return;
      outbox.push(stamped);
      sending ??= pump();
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async close() {
      listeners.clear();
      while (sending) await sending;
      await bridge?.close();
    },
  };
}
