import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { requirePeer } from "@factory/core/testing";
import { ZplPrinterSimulator } from "@factory/printers/simulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateMasterKey } from "../crypto/envelope";
import { createSqliteUnitStore } from "../stores/sqlite-store";
import { SNMPSIM_PEER } from "../testing/peers";
import { type SwitchRig, startSwitchRig } from "../testing/switch-rig";

const here = path.dirname(fileURLToPath(import.meta.url));
const main = path.resolve(here, "..", "testing", "cli-main.ts");
const UNIT = {
  mac: "00:1a:2b:3c:21:31",
  serial: "c3d4e5f6-0000-4000-8000-000000000031",
  admin: "m1rror-Ch4lk-v0ice",
  web: "t4ble-Fl0ur-r1dge",
};

describe.runIf(requirePeer(SNMPSIM_PEER))("factory label: terminal prompt in a child process", () => {
  let rig: SwitchRig;
  let printer: ZplPrinterSimulator;
  let dir: string;
  beforeAll(async () => {
    rig = await startSwitchRig();
    printer = await ZplPrinterSimulator.start();
    dir = mkdtempSync(path.join(tmpdir(), "factory-label-cli-"));
  });
  afterAll(async () => {
    await printer?.stop();
    await rig?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("asks on stdout, takes yes/no from piped stdin, prints, and deletes the passwords after yes", async () => {
    const key = generateMasterKey();
    const db = path.join(dir, "factory.db");
    const store = createSqliteUnitStore({ file: db, masterKey: key });
    await store.recordReport({
      mac: UNIT.mac,
      status: "ready",
      serial: UNIT.serial,
      credentials: { adminPassword: UNIT.admin, servicesPassword: UNIT.web },
    });
    await store.close();
    const config = path.join(dir, "server.json");
    writeFileSync(
      config,
      JSON.stringify({
        database: { kind: "sqlite", file: db },
        masterKey: key.bytes.toString("hex"),
        tokens: [{ name: "admin", role: "admin", token: "admin-token-0123456789" }],
        stations: {
          switch: rig.driverRef,
          label: {
            name: "label-cli",
            port: "21",
            printer: {
              driver: "@factory/printers",
              options: { type: "zpl", host: printer.host, port: printer.port },
            },
            template: { qr: "https://privatebox.dk/setup?serial={serial}" },
          },
        },
      }),
    );
    const child = spawn(process.execPath, ["--import", "tsx", main, "label", "--config", config, "--once"], {
      cwd: path.resolve(here, "..", ".."),
      stdio: ["pipe", "pipe", "pipe"],
      env: { ...process.env, FACTORY_LOG_LEVEL: "info" },
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (c: Buffer) => {
      out += c.toString();
    });
    child.stderr.on("data", (c: Buffer) => {
      err += c.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
    for (let i = 0; i < 200 && !out.includes("Ctrl-C stops"); i++)
      await new Promise((r) => setTimeout(r, 50));
    // "no" to "Label printed successfully?" first (misprint), "yes" to the reprint, then yes, yes.
    child.stdin.write("y\nn\ny\ny\ny\n");
    rig.plug(UNIT.mac, "21");
    const code = await Promise.race([
      exited,
      new Promise<"timeout">((r) => setTimeout(() => r("timeout"), 60_000)),
    ]);
    if (code === "timeout") child.kill("SIGKILL");
    rig.unplug(UNIT.mac, "21");
    expect(code, `stdout:\n${out}\nstderr:\n${err.slice(-2000)}`).toBe(0);
    expect(out).toContain(`Print label for unit ${UNIT.serial}? (yes/no)`);
    expect(out).toContain("Label printed successfully? (yes/no)");
    expect(out).toContain("[misprint]");
    expect(out).toContain(`Reprint label for unit ${UNIT.serial}? (yes/no)`);
    expect(out).toContain("[done]");
    expect(printer.formats).toHaveLength(2);
    expect(out + err).not.toContain(UNIT.admin);
    const after = createSqliteUnitStore({ file: db, masterKey: key });
    expect(await after.getUnit(UNIT.mac)).toMatchObject({
      status: "labeled",
      hasCredentials: false,
      reprints: 1,
    });
    await after.close();
  }, 90_000);
});
