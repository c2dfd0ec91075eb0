import { requirePeer } from "@factory/core/testing";
import { describe, expect, it } from "vitest";
import { DEFAULT_RESET_TIMING, resetToBootloader } from "../loader/reset";
import { createEspSimulator, EspSimBinding, startEspPtyServer } from "../simulator";
import { loadNativeBinding, openEspLink } from "./serial-link";

const hasSocat = requirePeer({
  name: "socat (pseudo-terminal pairs)",
  commands: ["socat"],
  install: "apt-get install socat",
});

describe("the ESP driver's serial link (@factory/serial)", () => {
  it("opens, carries bytes both ways, changes baud, and closes idempotently", async () => {
    const sim = await createEspSimulator({ resetCircuit: "none" });
    const binding = new EspSimBinding().add("l", sim);
    const link = await openEspLink(binding, { path: "l" }, 115200);
    const got: number[] = [];
    link.subscribe((chunk) => got.push(...chunk));
    // A SLIP SYNC: the ROM answers eight times.
    await link.write(
      Uint8Array.from([0xc0, 0, 8, 36, 0, 0, 0, 0, 0, 7, 7, 0x12, 0x20, ...new Array(32).fill(0x55), 0xc0]),
    );
    const end = Date.now() + 2000;
    while (got.filter((b) => b === 0xc0).length < 16 && Date.now() < end)
      await new Promise((r) => setTimeout(r, 5));
    expect(got.filter((b) => b === 0xc0).length).toBeGreaterThanOrEqual(16);
    await link.setBaudRate(460800);
    expect(link.baudRate).toBe(460800);
    await link.close();
    await link.close();
    expect(link.closed).toBe(true);
    await expect(link.write(new Uint8Array([1]))).rejects.toMatchObject({
      code: "ABORTED",
      message: expect.stringMatching(/^\[driver-esp\] /),
    });
  });

  it("maps a missing path to PORT_NOT_FOUND and a held one to PORT_BUSY", async () => {
    const binding = new EspSimBinding().add("held", await createEspSimulator({}));
    await expect(openEspLink(binding, { path: "nowhere" }, 115200)).rejects.toMatchObject({
      code: "PORT_NOT_FOUND",
      message: expect.stringMatching(/^\[driver-esp\] Serial port nowhere does not exist/),
    });
    const first = await openEspLink(binding, { path: "held" }, 115200);
    await expect(openEspLink(binding, { path: "held" }, 115200)).rejects.toMatchObject({
      code: "PORT_BUSY",
    });
    await first.close();
    await (await openEspLink(binding, { path: "held" }, 115200)).close();
  });

  it("reports a vanished device once through onLost and fails later writes with PORT_DISCONNECTED", async () => {
    const sim = await createEspSimulator({});
    const binding = new EspSimBinding().add("gone", sim);
    const link = await openEspLink(binding, { path: "gone" }, 115200);
    const lost: unknown[] = [];
    link.onLost((e) => lost.push(e));
    sim.unplug();
    await new Promise((r) => setTimeout(r, 20));
    expect(lost).toHaveLength(1);
    expect(lost[0]).toMatchObject({ code: "PORT_DISCONNECTED" });
    expect(link.lost).toBe(true);
    await expect(link.write(new Uint8Array([1]))).rejects.toMatchObject({ code: "PORT_DISCONNECTED" });
    await link.close();
  });

  it.runIf(hasSocat)(
    "on a real pty (native binding): bytes pass, setSignals resolves false and a reset is NOT_SUPPORTED",
    async () => {
      const server = await startEspPtyServer(await createEspSimulator({ resetCircuit: "none" }));
      try {
        const link = await openEspLink(await loadNativeBinding(), { path: server.path }, 115200);
        expect(await link.setSignals({ dtr: true, rts: false })).toBe(false);
        await expect(
          resetToBootloader(link, "classic", DEFAULT_RESET_TIMING, undefined, async () => true),
        ).rejects.toMatchObject({
          code: "NOT_SUPPORTED",
          message: expect.stringMatching(/use reset "none"/),
        });
        const got: number[] = [];
        link.subscribe((chunk) => got.push(...chunk));
        await link.write(Uint8Array.from([0xc0, 0, 0x0a, 4, 0, 0, 0, 0, 0, 0, 0x10, 0, 0x40, 0xc0]));
        const end = Date.now() + 2000;
        while (got.filter((b) => b === 0xc0).length < 2 && Date.now() < end)
          await new Promise((r) => setTimeout(r, 5));
        // READ_REG 0x40001000 answered with the ESP32 magic.
        expect(Buffer.from(got).toString("hex")).toContain("c0010a0400831df000");
        await link.close();
      } finally {
        await server.close();
      }
    },
  );
});
