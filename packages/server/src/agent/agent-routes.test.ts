import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { passwordWordList } from "@factory/core";
import { afterEach, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../testing/harness";
import { agentScriptPath } from "./agent-files";
import { runAgent } from "./agent-test-support";
import { publishAgentToCdn } from "./publish";

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

describe("agent files served by the server", { timeout: 30_000 }, () => {
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

  it("serves the agent under /cdn/agent/ and leaves the CDN's own files alone", async () => {
    const cdn = tempDir();
    writeFileSync(path.join(cdn, "template.vma.zst"), "template bytes");
    server = await startTestServer({ cdnRoot: cdn });
    const agent = await fetch(`${server.url}/cdn/agent/factory-agent.sh`);
    expect(Buffer.from(await agent.arrayBuffer()).equals(script)).toBe(true);
    const sums = await (await fetch(`${server.url}/cdn/agent/SHA256SUMS`)).text();
    expect(sums).toContain(`${sha256(script)}  factory-agent.sh`);
    const asset = await fetch(`${server.url}/cdn/template.vma.zst`, { headers: { range: "bytes=0-7" } });
    expect(asset.status).toBe(206);
    expect(await asset.text()).toBe("template");
    const manifest = (await (await fetch(`${server.url}/cdn/manifest.json`)).json()) as {
      files: { path: string }[];
    };
    expect(manifest.files.map((f) => f.path)).toEqual(["template.vma.zst"]);
  });

  it("copies the agent into a CDN directory once, for a CDN served by another host", async () => {
    const cdn = tempDir();
    const written = await publishAgentToCdn(cdn);
    expect(written.map((f) => path.basename(f)).sort()).toEqual([
      "SHA256SUMS",
      "factory-agent.sh",
      "words.txt",
    ]);
    expect(readFileSync(path.join(cdn, "agent", "factory-agent.sh")).equals(script)).toBe(true);
    expect(statSync(path.join(cdn, "agent", "factory-agent.sh")).mode & 0o777).toBe(0o755);
    expect(await publishAgentToCdn(cdn)).toEqual([]);
    writeFileSync(path.join(cdn, "agent", "words.txt"), "stale\n");
    expect((await publishAgentToCdn(cdn)).map((f) => path.basename(f))).toEqual(["words.txt"]);
  });
});

describe("examples/privatebox", { timeout: 30_000 }, () => {
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

  it("fetches the agent and the line's config from the CDN", async () => {
    const cdn = tempDir();
    mkdirSync(path.join(cdn, "privatebox"));
    writeFileSync(
      path.join(cdn, "privatebox", "factory-agent.conf"),
      conf.replace("FACTORY_HEARTBEAT_SECONDS=60", "FACTORY_HEARTBEAT_SECONDS=30"),
    );
    server = await startTestServer({ cdnRoot: cdn });
    const r = await quickstart();
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`agent from ${server.url}/cdn/agent/factory-agent.sh`);
    expect(r.stderr).toContain("agent config from the CDN");
    expect(readFileSync(path.join(r.dir, "factory-agent.sh")).equals(script)).toBe(true);
    expect(readFileSync(path.join(r.dir, "factory-agent.conf"), "utf8")).toContain(
      "FACTORY_HEARTBEAT_SECONDS=30",
    );
  }, 60_000);

  it("falls back to the server's /agent/ route when a CDN copy does not match its checksum", async () => {
    server = await startTestServer();
    // A separate CDN host with a stale copy of the script beside the current checksums.
    const sums = await (await fetch(`${server.url}/agent/SHA256SUMS`)).text();
    const stale = http.createServer((req, res) => {
      if (req.url === "/agent/SHA256SUMS") return res.end(sums);
      if (req.url === "/agent/factory-agent.sh") return res.end("#!/usr/bin/env bash\necho stale\n");
      res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => stale.listen(0, "127.0.0.1", resolve));
    try {
      const r = await quickstart({
        FACTORY_CDN: `http://127.0.0.1:${(stale.address() as AddressInfo).port}`,
      });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toContain("does not match its checksum");
      expect(r.stderr).toContain(`agent from ${server.url}/agent/factory-agent.sh`);
      expect(readFileSync(path.join(r.dir, "factory-agent.sh")).equals(script)).toBe(true);
    } finally {
      stale.closeAllConnections();
      await new Promise((resolve) => stale.close(resolve));
    }
  }, 60_000);

  it("uses the /agent/ route and the built-in config when the CDN is unreachable", async () => {
    server = await startTestServer();
    const r = await quickstart({ FACTORY_CDN: "http://127.0.0.1:1/cdn", QUICKSTART_RETRIES: "1" });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain("agent not available from http://127.0.0.1:1/cdn/agent");
    expect(r.stderr).toContain(`agent from ${server.url}/agent/factory-agent.sh`);
    expect(r.stderr).toContain("agent config from the built-in copy");
    expect(readFileSync(path.join(r.dir, "factory-agent.conf"), "utf8")).toBe(conf);
  }, 60_000);

  it("refuses an agent whose checksum does not match the pinned one", async () => {
    server = await startTestServer();
    const r = await quickstart({ AGENT_SHA256: "0".repeat(64) });
    expect(r.stderr).toContain("does not match its checksum");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("no verified copy of the unit agent could be fetched");
  }, 60_000);
});
