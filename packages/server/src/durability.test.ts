import type { ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { parseMasterKey } from "./crypto/envelope";
import { createSqliteUnitStore } from "./stores/sqlite-store";
import { startServeProcess } from "./testing/serve-process";

const MASTER = "11".repeat(32);
const ADMIN = "durability-admin-token-0123456789";

describe("durability", () => {
  let dir: string | undefined;
  let child: ChildProcess | undefined;
  afterEach(() => {
    child?.kill("SIGKILL");
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("keeps every report that got a 2xx when the server is SIGKILLed mid-traffic", async () => {
    dir = mkdtempSync(path.join(tmpdir(), "factory-kill-"));
    const started = await startServeProcess({ dir, adminToken: ADMIN, masterKey: MASTER });
    child = started.child;
    const acknowledged = new Set<string>();
    let stop = false;
    let n = 0;
    const worker = async (w: number) => {
      while (!stop) {
        const i = n++;
        const mac = `02:00:00:${(w & 0xff).toString(16).padStart(2, "0")}:${((i >> 8) & 0xff).toString(16).padStart(2, "0")}:${(i & 0xff).toString(16).padStart(2, "0")}`;
        const body =
          i % 3 === 0
            ? {
                mac_wan: mac,
                status: "failed",
                failed_tests: ["adguard"],
                build_time: new Date().toISOString(),
              }
            : {
                mac_wan: mac,
                status: "ready",
                serial: `S-${i}`,
                admin_password: `a-${i}`,
                services_password: `s-${i}`,
                build_time: new Date().toISOString(),
              };
        try {
          const res = await fetch(`${started.url}/api/units`, {
            method: "POST",
            headers: { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" },
            body: JSON.stringify(body),
          });
          await res.text();
          if (res.status === 201 || res.status === 200) acknowledged.add(mac);
        } catch {
          return; // connection died with the server: the report was not acknowledged
        }
      }
    };
    const workers = Array.from({ length: 20 }, (_, w) => worker(w));
    const until = Date.now() + 30_000;
    while (acknowledged.size < 300 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    child.kill("SIGKILL");
    stop = true;
    await Promise.all(workers);
    expect(acknowledged.size).toBeGreaterThanOrEqual(300);

    const store = createSqliteUnitStore({
      file: path.join(dir, "factory.db"),
      masterKey: parseMasterKey(MASTER),
    });
    try {
      const units = await store.listUnits({ limit: 1_000_000 });
      const stored = new Set(units.map((u) => u.mac));
      const missing = [...acknowledged].filter((m) => !stored.has(m));
      expect(missing).toEqual([]);
      const sample = units.find((u) => u.status === "ready")!;
      expect((await store.getCredentials(sample.mac))?.adminPassword).toMatch(/^a-\d+$/);
    } finally {
      await store.close();
    }
  }, 90_000);
});
