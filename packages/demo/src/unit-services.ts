import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** The services a PrivateBox unit runs and its self-tests check (seed 002, phase 4). */
export const UNIT_SERVICES = [
  "opnsense_routing",
  "management_vm",
  "portainer",
  "semaphore",
  "adguard",
  "homer",
] as const;

export type UnitService = (typeof UNIT_SERVICES)[number];

/**
 * The web services inside the simulated units, on one loopback HTTP server: `GET
 * /units/<mac>/<service>` answers 200 while that unit's service runs and 503 when it failed, so
 * the units' self-tests are real HTTP checks with real answers in their failure reports.
 */
export interface UnitServices {
  /** Base URL of the unit's services: `<url>/<service>`. */
  urlFor(mac: string): string;
  /** Declares the unit's services; those in `failing` answer 503. */
  set(mac: string, failing: readonly UnitService[]): void;
  remove(mac: string): void;
  close(): Promise<void>;
}

export async function startUnitServices(): Promise<UnitServices> {
  const units = new Map<string, ReadonlySet<string>>();
  const server: Server = createServer((req, res) => {
    const m = /^\/units\/([0-9a-f:]{17})\/([a-z_]+)$/.exec(req.url ?? "");
    const failing = m ? units.get(m[1]!) : undefined;
    if (!m || !failing || !(UNIT_SERVICES as readonly string[]).includes(m[2]!)) {
      res.writeHead(404, { "content-type": "text/plain" }).end("no such unit or service\n");
      return;
    }
    if (failing.has(m[2]!)) {
      res
        .writeHead(503, { "content-type": "text/plain" })
        .end(`${m[2]}: service unavailable (container exited with code 1)\n`);
      return;
    }
    res.writeHead(200, { "content-type": "text/plain" }).end(`${m[2]}: ok\n`);
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    urlFor: (mac) => `http://127.0.0.1:${port}/units/${mac}`,
    set: (mac, failing) => units.set(mac, new Set(failing)),
    remove: (mac) => units.delete(mac),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
