import type { Logger } from "@factory/core";
import type pg from "pg";
import type { EventBridge, ServerEvent } from "./events";

const CHANNEL = "factory_events";

/**
 * Carries server events between instances on one PostgreSQL with LISTEN/NOTIFY. One dedicated
 * connection listens (reconnecting after errors); notifications go through the pool.
 */
export function createPgNotifyBridge(pool: pg.Pool, logger: Logger): EventBridge {
  let client: pg.PoolClient | undefined;
  let closed = false;
  let receive: ((event: ServerEvent & { source: string }) => void) | undefined;
  const connect = async (): Promise<void> => {
    const c = await pool.connect();
    c.on("notification", (msg) => {
      if (msg.channel !== CHANNEL || !msg.payload) return;
      try {
        receive?.(JSON.parse(msg.payload) as ServerEvent & { source: string });
      } catch {
        logger.warn("ignored a malformed event notification");
      }
    });
    c.on("error", (error) => {
      logger.warn("event listener connection lost", { error: error.message });
      c.release(true);
      if (client === c) client = undefined;
      if (!closed) setTimeout(() => void connect().catch(() => undefined), 1000).unref();
    });
    await c.query(`LISTEN ${CHANNEL}`);
    client = c;
  };
  return {
    async start(r) {
      receive = r;
      await connect();
    },
    async send(event) {
      const payload = JSON.stringify(event);
      if (Buffer.byteLength(payload) > 7900) return;
      await pool.query("select pg_notify($1, $2)", [CHANNEL, payload]);
    },
    async sendMany(events) {
      const payloads = events.map((e) => JSON.stringify(e)).filter((p) => Buffer.byteLength(p) <= 7900);
      if (payloads.length === 0) return;
      // One statement, one transaction: notifications arrive in this order.
      await pool.query({
        name: "factory_notify_many",
        text: "select pg_notify($1, p) from unnest($2::text[]) with ordinality as t(p, n) order by n",
        values: [CHANNEL, payloads],
      });
    },
    async close() {
      closed = true;
      const c = client;
      client = undefined;
      if (c) {
        await c.query(`UNLISTEN ${CHANNEL}`).catch(() => undefined);
        c.release();
      }
    },
  };
}
