import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { passwordWordList } from "@factory/core";
import { afterEach, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../testing/harness";
import { agentScriptPath } from "./agent-files";
import { runAgent } from "./agent-test-support";

const EXAMPLE = fileURLToPath(new URL("../../../../examples/privatebox/", import.meta.url));
const script = readFileSync(agentScriptPath());
const sha256 = (b: Buffer | string) => createHash("sha256").update(b).digest("hex");

let server: TestServer | undefined;
const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(path.join(tmpdir(), "agent-routes-"));
  dirs.push(d);
  return d;
};

afterEach(async () => {
  await server?.stop();
  server = undefined;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe("agent files served by the server", () => {
  it("serves the script, the word list and their checksums without a token, with ETags", async () => {
    server = await startTestServer();
    const res = await fetch(`${server.url}/agent/factory-agent.sh`);
    expect(res.status).toBe(200);
    const body = Buffer.from(await res.arrayBuffer());
    expect(body.equals(script)).toBe(true);
    const etag = res.headers.get("etag")!;
    expect(
      (await fetch(`${server.url}/agent/factory-agent.sh`, { headers: { "if-none-match": etag } })).status,
    ).toBe(304);
    const words = await (await fetch(`${server.url}/agent/words.txt`)).text();
    expect(words.trim().split("\n")).toEqual(passwordWordList());
    const sums = await (await fetch(`${server.url}/agent/SHA256SUMS`)).text();
    expect(sums).toBe(`${sha256(script)}  factory-agent.sh\n${sha256(words)}  words.txt\n`);
    const conf = await (await fetch(`${server.url}/agent/factory-agent.conf`)).text();
    expect(conf).toContain(`FACTORY_SERVER=${server.url}\n`);
    expect((await fetch(`${server.url}/agent/nothing`)).status).toBe(404);
  });

  it("publishes the agent into the CDN, listed in its manifest", async () => {
    const cdn = tempDir();
    server = await startTestServer({ cdnRoot: cdn });
    const res = await fetch(`${server.url}/cdn/agent/factory-agent.sh`, { headers: { range: "bytes=0-10" } });
    expect(res.status).toBe(206);
    expect(await res.text()).toBe(script.subarray(0, 11).toString());
    const manifest = await (await fetch(`${server.url}/cdn/manifest.json`)).json();
    expect(JSON.stringify(manifest)).toContain(sha256(script));
  });
});

describe("examples/privatebox", () => {
  const conf = readFileSync(path.join(EXAMPLE, "factory-agent.conf"), "utf8");

  it("declares the seed's self-tests in a config the agent accepts", async () => {
    const state = tempDir();
    const r = await runAgent(["check-config"], {
      FACTORY_AGENT_CONFIG: path.join(EXAMPLE, "factory-agent.conf"),
      FACTORY_STATE_DIR: state,
    });
    expect(r.code, r.stderr).toBe(0);
    const tests = r.stdout
      .split("\n")
      .filter((l) => l.startsWith("test "))
      .map((l) => l.split(" ")[1]);
    expect(tests).toEqual([
      "opnsense_routing",
      "management_vm",
      "portainer",
      "semaphore",
      "adguard",
      "homer",
      "services",
    ]);
    expect(r.stdout).toContain("isolate=set\nisolation_check=set\nrestore_wan=set");
  });

  it("keeps quickstart.sh's built-in config identical to factory-agent.conf", () => {
    const quickstart = readFileSync(path.join(EXAMPLE, "quickstart.sh"), "utf8");
    const builtIn = /<<'CONF'\n([\s\S]*?)CONF\n/.exec(quickstart)?.[1];
    expect(builtIn).toBe(conf);
  });

  async function quickstart(extra: Record<string, string> = {}) {
    const dir = tempDir();
    const child = await import("node:child_process");
    return new Promise<{ code: number | null; stderr: string; dir: string }>((resolve) => {
      const p = child.spawn("bash", [path.join(EXAMPLE, "quickstart.sh")], {
        env: {
          PATH: process.env.PATH ?? "/usr/bin:/bin",
          FACTORY_SERVER: server!.url,
          AGENT_DIR: dir,
          FACTORY_AGENT_CONFIG: path.join(dir, "factory-agent.conf"),
          QUICKSTART_LOG: path.join(dir, "quickstart.log"),
          QUICKSTART_FETCH_ONLY: "1",
          ...extra,
        },
      });
      let stderr = "";
      p.stderr.on("data", (d: Buffer) => {
        stderr += d.toString();
      });
      const timer = setTimeout(() => p.kill("SIGKILL"), 60_000);
      p.on("close", (code) => {
        clearTimeout(timer);
        resolve({ code, stderr, dir });
      });
    });
  }

  it("fetches the agent from the CDN, checks it, and falls back to the server's /agent/ route", async () => {
    const cdn = tempDir();
    mkdirSync(path.join(cdn, "privatebox"));
    writeFileSync(path.join(cdn, "privatebox", "factory-agent.conf"), conf.replace("FACTORY_HEARTBEAT_SECONDS=60", "FACTORY_HEARTBEAT_SECONDS=30"));
    server = await startTestServer({ cdnRoot: cdn });
    const fromCdn = await quickstart();
    expect(fromCdn.code, fromCdn.stderr).toBe(0);
    expect(fromCdn.stderr).toContain(`agent from ${server.url}/cdn/agent/factory-agent.sh`);
    expect(fromCdn.stderr).toContain("agent config from the CDN");
    expect(readFileSync(path.join(fromCdn.dir, "factory-agent.sh")).equals(script)).toBe(true);
    expect(readFileSync(path.join(fromCdn.dir, "factory-agent.conf"), "utf8")).toContain(
      "FACTORY_HEARTBEAT_SECONDS=30",
    );

    // A CDN copy that does not match the published checksum is not used.
    writeFileSync(path.join(cdn, "agent", "factory-agent.sh"), "#!/bin/bash\necho tampered\n");
    const tampered = await quickstart();
    expect(tampered.code, tampered.stderr).toBe(0);
    expect(tampered.stderr).toContain("does not match its checksum");
    expect(tampered.stderr).toContain(`agent from ${server.url}/agent/factory-agent.sh`);
    expect(readFileSync(path.join(tampered.dir, "factory-agent.sh")).equals(script)).toBe(true);
  });

  it("uses the /agent/ route and the built-in config when the server has no CDN", async () => {
    server = await startTestServer();
    const r = await quickstart();
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain("agent not available from");
    expect(r.stderr).toContain(`agent from ${server.url}/agent/factory-agent.sh`);
    expect(r.stderr).toContain("agent config from the built-in copy");
    expect(readFileSync(path.join(r.dir, "factory-agent.conf"), "utf8")).toBe(conf);
  });

  it("refuses an agent whose checksum does not match the pinned one", async () => {
    server = await startTestServer();
    const r = await quickstart({ AGENT_SHA256: "0".repeat(64) });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("no verified copy of the unit agent could be fetched");
  });
});
