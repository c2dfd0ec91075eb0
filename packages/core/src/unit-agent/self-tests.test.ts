import http from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { isFactoryError } from "../errors";
import { parseSelfTest, runSelfTests, statusMatches } from "./self-tests";

describe("parseSelfTest", () => {
  it("reads factory-agent.sh's test lines", () => {
    expect(parseSelfTest("portainer http https://10.10.20.10:9443/ 200 insecure")).toEqual({
      name: "portainer",
      kind: "http",
      url: "https://10.10.20.10:9443/",
      status: "200",
      insecure: true,
    });
    expect(parseSelfTest("adguard dns example.com 10.10.20.10 93.184.216.34")).toEqual({
      name: "adguard",
      kind: "dns",
      query: "example.com",
      server: "10.10.20.10",
      expect: "93.184.216.34",
    });
    expect(parseSelfTest("services systemd pveproxy pvedaemon")).toEqual({
      name: "services",
      kind: "systemd",
      units: ["pveproxy", "pvedaemon"],
    });
    expect(parseSelfTest("vm cmd  ping -c1 10.10.20.10 | grep -q ttl")).toEqual({
      name: "vm",
      kind: "cmd",
      command: "ping -c1 10.10.20.10 | grep -q ttl",
    });
  });

  it("refuses what it cannot run, naming the problem", () => {
    expect(() => parseSelfTest("Bad! http http://x")).toThrow(/name must be/);
    expect(() => parseSelfTest("web ftp x")).toThrow(/unknown kind 'ftp'/);
    expect(() => parseSelfTest("vm tcp 10.10.20.10")).toThrow(/tcp needs HOST PORT/);
    let error: unknown;
    try {
      parseSelfTest("web http");
    } catch (e) {
      error = e;
    }
    expect(isFactoryError(error, "INVALID_ARGUMENT")).toBe(true);
  });
});

describe("statusMatches", () => {
  it("takes exact codes, x wildcards and lists", () => {
    expect(statusMatches(200, "200")).toBe(true);
    expect(statusMatches(204, "2xx")).toBe(true);
    expect(statusMatches(302, "200,3xx")).toBe(true);
    expect(statusMatches(404, "2xx,3xx")).toBe(false);
    expect(statusMatches(0, "200")).toBe(false);
  });
});

describe("runSelfTests", () => {
  it("passes and fails on what the peer answers, and bounds a hung peer", async () => {
    const server = http.createServer((req, res) => {
      if (req.url === "/hang") return; // never answers
      res.writeHead(req.url === "/" ? 200 : 503).end();
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as AddressInfo).port;
    try {
      const results = await runSelfTests(
        [
          { name: "ok", kind: "http", url: `http://127.0.0.1:${port}/` },
          { name: "down", kind: "http", url: `http://127.0.0.1:${port}/x` },
          { name: "hung", kind: "http", url: `http://127.0.0.1:${port}/hang` },
          { name: "open", kind: "tcp", host: "127.0.0.1", port },
          { name: "closed", kind: "tcp", host: "127.0.0.1", port: 1 },
          { name: "cmd_ok", kind: "cmd", command: "exit 0" },
          { name: "cmd_bad", kind: "cmd", command: "echo broken >&2; exit 4" },
        ],
        { timeoutMs: 800 },
      );
      expect(results.map((r) => [r.name, r.passed])).toEqual([
        ["ok", true],
        ["down", false],
        ["hung", false],
        ["open", true],
        ["closed", false],
        ["cmd_ok", true],
        ["cmd_bad", false],
      ]);
      expect(results[1]!.output).toContain("-> 503 (want 200)");
      expect(results[2]!.output).toContain("did not finish within 800 ms");
      expect(results[6]!.output).toBe("exit 4: broken\n");
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });

  it("rejects ABORTED when cancelled", async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(
      runSelfTests([{ name: "x", kind: "cmd", command: "sleep 5" }], { signal: controller.signal }),
    ).rejects.toSatisfy((e) => isFactoryError(e, "ABORTED"));
  });
});
