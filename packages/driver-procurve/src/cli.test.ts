import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { commands } from "./cli";
import { SnmpClient } from "./snmp/client";
import { TrapListener } from "./snmp/trap-listener";
import { freeUdpPort } from "./test-support/snmpsim";

function io(signal: AbortSignal) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const stdin = new PassThrough();
  const text = { out: "", err: "" };
  stdout.on("data", (d) => {
    text.out += String(d);
  });
  stderr.on("data", (d) => {
    text.err += String(d);
  });
  return { io: { stdout, stderr, stdin, env: {}, cwd: process.cwd(), signal }, stdin, text };
}

const until = async (cond: () => boolean, what: string): Promise<void> => {
  const end = Date.now() + 5000;
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  if (!cond()) throw new Error(`timed out waiting for ${what}`);
};

describe("factory sim procurve", () => {
  it("rejects bad arguments with exit code 2", async () => {
    const t = io(new AbortController().signal);
    expect(await commands["sim procurve"]!.run(["procurve", "--model", "9000"], t.io)).toBe(2);
    expect(t.text.err).toMatch(/unknown model "9000"/);
    expect(await commands["sim procurve"]!.run(["procurve", "--trap", "nohost"], t.io)).toBe(2);
    expect(t.text.err).toMatch(/--trap nohost is not host:port/);
    expect(await commands["sim procurve"]!.run(["procurve", "--vlan", "21:100"], t.io)).toBe(2);
    expect(t.text.err).toMatch(/--vlan 21:100 is not port=vid/);
  });

  it("prints its address, plugs and unplugs from stdin (with traps), and stops on the signal", async () => {
    const trapPort = await freeUdpPort();
    const listener = new TrapListener({ port: trapPort, address: "127.0.0.1", communities: ["lab"] });
    await listener.start();
    const traps: string[] = [];
    listener.subscribe({ onLink: (t) => traps.push(`${t.kind} ${t.ifIndex}`), onRejected: () => {} });
    const controller = new AbortController();
    const t = io(controller.signal);
    const running = commands["sim procurve"]!.run(
      [
        "procurve",
        "--port",
        "0",
        "--community",
        "lab",
        "--trap",
        `127.0.0.1:${trapPort}`,
        "--learn-delay",
        "0",
        "--vlan",
        "21=100",
      ],
      t.io,
    );
    try {
      await until(() => / on udp 127\.0\.0\.1:(\d+)/.test(t.text.out), "the address");
      expect(t.text.out).not.toContain("lab"); // the community is a secret
      const port = Number(/ on udp 127\.0\.0\.1:(\d+)/.exec(t.text.out)![1]);
      t.stdin.write("plug 21 02:00:5e:00:00:21 10.0.0.21\n");
      await until(() => traps.length === 1, "the linkUp trap");
      const client = new SnmpClient({ host: "127.0.0.1", port, community: "lab" });
      // Port 21 is in VLAN 100: its MAC is under FDB id 2.
      const fdbPort = "1.3.6.1.2.1.17.7.1.2.2.1.2.2.2.0.94.0.0.33";
      const pvid = "1.3.6.1.2.1.17.7.1.4.5.1.1.21";
      const got = await client.get([fdbPort, pvid]);
      expect([got.get(fdbPort), got.get(pvid)]).toEqual([21, 100]);
      t.stdin.write("ports\n");
      await until(() => /21 {2}up {2}vlan 100/.test(t.text.out), "the ports list");
      t.stdin.write("plug 99 02:00:5e:00:00:99\nfrobnicate\nunplug 21\nports\n");
      await until(() => traps.length === 2 && /unknown command/.test(t.text.out), "the linkDown trap");
      expect(traps).toEqual(["link-up 21", "link-down 21"]);
      expect(t.text.err).toMatch(/no port "99"/);
      expect((await client.get([fdbPort])).get(fdbPort)).toBeUndefined();
      client.close();
    } finally {
      controller.abort();
      listener.close();
    }
    expect(await running).toBe(0);
    expect(t.text.out).toMatch(/simulator stopped/);
  });
});
