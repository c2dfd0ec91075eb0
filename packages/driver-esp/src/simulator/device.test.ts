import { createHash } from "node:crypto";
import { deflateSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import {
  decodeResponse,
  encodeCommand,
  encodeDataBlock,
  Op,
  SYNC_PAYLOAD,
  u32le,
} from "../protocol/commands";
import { SlipDecoder, slipEncode } from "../protocol/slip";
import { loadStubImage } from "../protocol/stub-image";
import { EspSimBinding, type SimPort } from "./binding";
import { createEspSimulator, type EspSimulator } from "./device";
import type { EspSimulatorOptions } from "./options";

/** A raw host end: writes SLIP frames, collects every frame the chip sends. */
async function rawHost(options: EspSimulatorOptions = {}) {
  const sim = await createEspSimulator({ resetCircuit: "none", ...options });
  const binding = new EspSimBinding().add("raw", sim);
  const port: SimPort = await binding.open({ path: "raw", baudRate: 115200 });
  const frames: Uint8Array[] = [];
  let text = "";
  const decoder = new SlipDecoder({
    frame: (f) => frames.push(f),
    noise: (b) => {
      text += Buffer.from(b).toString("latin1");
    },
  });
  let open = true;
  void (async () => {
    const buf = Buffer.alloc(65536);
    while (open) {
      try {
        const { bytesRead } = await port.read(buf, 0, buf.length);
        decoder.push(Uint8Array.from(buf.subarray(0, bytesRead)));
      } catch {
        return;
      }
    }
  })();
  const settle = () => new Promise((r) => setTimeout(r, 5));
  /** Waits until `count` frames arrived (or 2 s passed). */
  const until = async (count: number) => {
    const end = Date.now() + 2000;
    while (frames.length < count && Date.now() < end) await new Promise((r) => setTimeout(r, 2));
  };
  return {
    until,
    sim,
    port,
    frames,
    text: () => text,
    /** Sends a frame and waits for `expect` frames back. */
    async send(payload: Uint8Array, expect = 1) {
      await port.write(Buffer.from(slipEncode(payload)));
      await until(expect);
      await settle();
    },
    /** Sends a command and returns the responses that came back for it. */
    async command(op: number, data: Uint8Array, expect = 1) {
      frames.length = 0;
      await this.send(encodeCommand(op, data), expect);
      return frames.map((f) => decodeResponse(f)).filter((r) => r?.op === op);
    },
    async close() {
      open = false;
      await port.close();
    },
  };
}

async function uploadStub(host: Awaited<ReturnType<typeof rawHost>>, sim: EspSimulator) {
  const stub = await loadStubImage(sim.chip.name);
  for (const [addr, bytes] of [
    [stub.textStart, stub.text],
    [stub.dataStart, stub.data],
  ] as const) {
    const blocks = Math.ceil(bytes.length / 0x1800);
    await host.command(Op.MEM_BEGIN, u32le(bytes.length, blocks, 0x1800, addr));
    for (let i = 0; i < blocks; i++) {
      const r = await (async () => {
        host.frames.length = 0;
        await host.send(encodeDataBlock(Op.MEM_DATA, i, bytes.subarray(i * 0x1800, (i + 1) * 0x1800)));
        return host.frames.map((f) => decodeResponse(f));
      })();
      expect(r[0]?.data[0]).toBe(0);
    }
  }
  host.frames.length = 0;
  await host.send(encodeCommand(Op.MEM_END, u32le(0, stub.entry)), 2);
  return host.frames.map((f) => Buffer.from(f));
}

describe("ESP ROM simulator, byte level", () => {
  it("answers SYNC eight times with the ROM value and four status bytes (ESP32)", async () => {
    const host = await rawHost({ chip: "esp32" });
    host.frames.length = 0;
    await host.send(encodeCommand(Op.SYNC, SYNC_PAYLOAD), 8);
    expect(host.frames).toHaveLength(8);
    for (const f of host.frames) expect(Buffer.from(f).toString("hex")).toBe("01080400070712200000" + "0000");
    expect(host.text()).toContain("waiting for download");
    await host.close();
  });

  it("uses two status bytes in the ESP8266 ROM and answers READ_REG with the magic", async () => {
    const host = await rawHost({ chip: "esp8266" });
    const [r] = await host.command(Op.READ_REG, u32le(0x40001000));
    expect(r?.value).toBe(0xfff0c101);
    expect(Buffer.from(r!.data).toString("hex")).toBe("0000");
    // The ESP8266 ROM has no CHANGE_BAUDRATE: status 1, error 0x05.
    const [b] = await host.command(Op.CHANGE_BAUDRATE, u32le(921600, 0));
    expect([...b!.data]).toEqual([1, 5]);
    await host.close();
  });

  it("rejects a _DATA block with a bad checksum (ROM error 0x07) and ignores frames that are not commands", async () => {
    const host = await rawHost({ chip: "esp32" });
    await host.command(Op.MEM_BEGIN, u32le(16, 1, 0x1800, 0x3ffe0000));
    const packet = encodeDataBlock(Op.MEM_DATA, 0, new Uint8Array(16).fill(7));
    packet[4] = (packet[4] ?? 0) ^ 0xff;
    host.frames.length = 0;
    await host.send(packet);
    expect([...decodeResponse(host.frames[0]!)!.data]).toEqual([1, 7, 0, 0]);
    host.frames.length = 0;
    await host.send(Uint8Array.from([0x01, 0x02, 0x03]), 0);
    await new Promise((r) => setTimeout(r, 50));
    expect(host.frames).toHaveLength(0);
    await host.close();
  });

  it("runs the stub only when the exact esptool-js stub image is uploaded, then greets with OHAI", async () => {
    const host = await rawHost({ chip: "esp32" });
    const greeting = await uploadStub(host, host.sim);
    expect(greeting.map((f) => f.toString("hex"))).toEqual(["010604000000000000000000", "4f484149"]);
    expect(host.sim.mode).toBe("stub");
    // The stub answers SYNC eight times too, with value 0 and two status bytes.
    const sync = await host.command(Op.SYNC, SYNC_PAYLOAD, 8);
    expect(sync).toHaveLength(8);
    expect(sync.every((r) => r?.value === 0)).toBe(true);
    expect([...sync[0]!.data]).toEqual([0, 0]);
    await host.close();

    const other = await rawHost({ chip: "esp32" });
    const stub = await loadStubImage("ESP32");
    const wrong = Uint8Array.from(stub.text);
    wrong[100] = (wrong[100] ?? 0) ^ 1;
    await other.command(Op.MEM_BEGIN, u32le(wrong.length, 1, 0x1800, stub.textStart));
    await other.send(encodeDataBlock(Op.MEM_DATA, 0, wrong.subarray(0, 0x1800)));
    other.frames.length = 0;
    await other.send(encodeCommand(Op.MEM_END, u32le(0, stub.entry)), 2);
    await new Promise((r) => setTimeout(r, 50));
    expect(other.frames.map((f) => Buffer.from(f).toString("hex"))).not.toContain("4f484149");
    expect(other.sim.mode).toBe("hung");
    await other.close();
  });

  it("writes deflated data with NOR semantics and answers MD5 as hex in ROM and raw in the stub", async () => {
    const host = await rawHost({ chip: "esp32" });
    const image = new Uint8Array(40_000).map((_, i) => (i * 7) & 0xff);
    const md5 = createHash("md5").update(image).digest();
    await host.command(Op.SPI_ATTACH, u32le(0, 0));
    const [rom] = await host.command(Op.SPI_FLASH_MD5, u32le(0x20000, image.length, 0, 0));
    expect(rom!.data).toHaveLength(32 + 4); // 32 ASCII hex characters, then 4 status bytes
    await uploadStub(host, host.sim);
    const z = deflateSync(image, { level: 9 });
    const blocks = Math.ceil(z.length / 0x4000);
    const [begin] = await host.command(Op.FLASH_DEFL_BEGIN, u32le(image.length, blocks, 0x4000, 0x20000));
    expect([...begin!.data]).toEqual([0, 0]);
    for (let i = 0; i < blocks; i++) {
      host.frames.length = 0;
      await host.send(encodeDataBlock(Op.FLASH_DEFL_DATA, i, z.subarray(i * 0x4000, (i + 1) * 0x4000)), 1);
      expect([...decodeResponse(host.frames[0]!)!.data]).toEqual([0, 0]);
    }
    const [end] = await host.command(Op.FLASH_DEFL_END, u32le(1));
    expect([...end!.data]).toEqual([0, 0]);
    expect(Buffer.from(host.sim.readFlashImage(0x20000, image.length)).equals(Buffer.from(image))).toBe(true);
    const [stubMd5] = await host.command(Op.SPI_FLASH_MD5, u32le(0x20000, image.length, 0, 0));
    expect(Buffer.from(stubMd5!.data.subarray(0, 16)).equals(md5)).toBe(true);
    expect(stubMd5!.data).toHaveLength(18);
    // Programming without an erase can only clear bits.
    host.sim.preloadFlash(0x30000, Uint8Array.from([0x0f]));
    host.sim.flash.program(0x30000, Uint8Array.from([0xf1]));
    expect(host.sim.readFlashImage(0x30000, 1)[0]).toBe(0x01);
    await host.close();
  });

  it("streams READ_FLASH in packets, waits for acknowledgements and ends with the MD5", async () => {
    const host = await rawHost({ chip: "esp32" });
    await uploadStub(host, host.sim);
    const data = new Uint8Array(5000).map((_, i) => (i * 13) & 0xff);
    host.sim.preloadFlash(0x1000, data);
    host.frames.length = 0;
    await host.send(encodeCommand(Op.READ_FLASH, u32le(0x1000, data.length, 0x400, 2)), 3);
    await new Promise((r) => setTimeout(r, 50));
    // The response, then at most two unacknowledged packets.
    expect(host.frames).toHaveLength(3);
    const got: number[] = [];
    let received = 0;
    for (let guard = 0; guard < 20 && received < data.length; guard++) {
      const packets = host.frames.splice(0).filter((f) => f[0] !== 0x01);
      for (const p of packets) {
        got.push(...p);
        received += p.length;
      }
      await host.send(u32le(received), 1);
    }
    expect(Uint8Array.from(got)).toEqual(data);
    const digest = host.frames.at(-1)!;
    expect(Buffer.from(digest).equals(createHash("md5").update(data).digest())).toBe(true);
    await host.close();
  });

  it("resets through DTR/RTS: the classic sequence enters download mode, an EN pulse runs the app", async () => {
    const sim = await createEspSimulator({ chip: "esp32" });
    const binding = new EspSimBinding().add("lines", sim);
    const port = await binding.open({ path: "lines", baudRate: 115200 });
    expect(sim.mode === "app" || sim.mode === "off").toBe(true);
    await port.set({ dtr: false, rts: true });
    await port.set({ dtr: true, rts: false });
    await port.set({ dtr: false, rts: false });
    await new Promise((r) => setTimeout(r, 5));
    expect(sim.mode).toBe("rom");
    await port.set({ dtr: false, rts: true });
    await port.set({ dtr: false, rts: false });
    await new Promise((r) => setTimeout(r, 5));
    expect(sim.mode).toBe("app");
    // Both lines asserted together (what opening a port does) must not reset the chip.
    const resets = sim.stats.resets;
    await port.set({ dtr: true, rts: true });
    expect(sim.stats.resets).toBe(resets);
    await port.close();
  });

  it("follows the USB-Serial-JTAG sequence", async () => {
    const sim = await createEspSimulator({ chip: "esp32s3", resetCircuit: "usb-jtag" });
    const binding = new EspSimBinding().add("usb", sim);
    const port = await binding.open({ path: "usb", baudRate: 115200 });
    await port.set({ dtr: false, rts: false });
    await port.set({ dtr: true, rts: false });
    await port.set({ dtr: true, rts: true });
    await port.set({ dtr: false, rts: true });
    await port.set({ dtr: false, rts: false });
    await new Promise((r) => setTimeout(r, 5));
    expect(sim.mode).toBe("rom");
    await port.close();
  });

  it("takes 10 bits per byte at the current baud on the simulated wire", async () => {
    const sim = await createEspSimulator({ chip: "esp32", timing: "real", resetCircuit: "none" });
    const binding = new EspSimBinding().add("timed", sim);
    const port = await binding.open({ path: "timed", baudRate: 115200 });
    let arrivedAt = 0;
    const receive = sim.receive.bind(sim);
    sim.receive = (b) => {
      if (b.length === 2304) arrivedAt = performance.now();
      receive(b);
    };
    const sent = performance.now();
    await port.write(Buffer.alloc(2304, 0x55)); // 2304 bytes × 10 bits / 115200 = 200 ms
    const end = Date.now() + 3000;
    while (arrivedAt === 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
    // Never earlier than the wire allows (a busy machine may only make it later). Node's timers
    // work in whole milliseconds and may fire up to 1 ms before the requested instant, so allow
    // 2 ms of timer granularity below the 200 ms the wire needs (seen: 198.7 ms).
    expect(arrivedAt - sent).toBeGreaterThanOrEqual(198);
    await port.close();
  });
});

describe("ESP32-S2 and ESP32-C6 ROMs, byte level", () => {
  it("ESP32-S2: magic 0x7C6, MAC in eFuse block 1, GET_SECURITY_INFO answers 12 bytes with no chip id", async () => {
    const host = await rawHost({ chip: "esp32s2", mac: "7c:df:a1:0a:0b:0c" });
    const [magic] = await host.command(Op.READ_REG, u32le(0x40001000));
    expect(host.text()).toMatch(/ESP-ROM:esp32s2.*boot:0x0 \(DOWNLOAD.*waiting for download/s);
    expect(magic?.value).toBe(0x7c6);
    expect([...magic!.data]).toEqual([0, 0, 0, 0]);
    const [lo] = await host.command(Op.READ_REG, u32le(0x3f41a044));
    const [hi] = await host.command(Op.READ_REG, u32le(0x3f41a048));
    expect(lo?.value).toBe(0xa10a0b0c);
    expect(hi?.value).toBe(0x7cdf);
    const [info] = await host.command(Op.GET_SECURITY_INFO, new Uint8Array(0));
    expect(info?.data).toHaveLength(12 + 4);
    expect([...info!.data.subarray(12)]).toEqual([0, 0, 0, 0]);
    await host.close();
  });

  it("ESP32-C6: magic 0x2CE0806F, MAC at 0x600B0844, GET_SECURITY_INFO chip id 13, RDID on SPI1 at 0x60003000", async () => {
    const host = await rawHost({ chip: "esp32c6", mac: "40:4c:ca:4d:5e:6f", flashSize: 8 << 20 });
    const [magic] = await host.command(Op.READ_REG, u32le(0x40001000));
    expect(host.text()).toMatch(/ESP-ROM:esp32c6.*waiting for download/s);
    expect(magic?.value).toBe(0x2ce0806f);
    const [lo] = await host.command(Op.READ_REG, u32le(0x600b0844));
    const [hi] = await host.command(Op.READ_REG, u32le(0x600b0848));
    expect([lo?.value, hi?.value]).toEqual([0xca4d5e6f, 0x404c]);
    const [info] = await host.command(Op.GET_SECURITY_INFO, new Uint8Array(0));
    expect(info?.data).toHaveLength(20 + 4);
    expect(Buffer.from(info!.data).readUInt32LE(12)).toBe(13);
    expect([...info!.data.subarray(20)]).toEqual([0, 0, 0, 0]);
    // RDID: MISO length, USR flags, USR2 command 0x9F, then CMD.USR; W0 holds the JEDEC id.
    const base = 0x60003000;
    const w = (addr: number, value: number) => [addr, value >>> 0, 0xffffffff, 0];
    await host.command(
      Op.WRITE_REG,
      u32le(
        ...w(base + 0x28, 23),
        ...w(base + 0x18, (1 << 31) | (1 << 28)),
        ...w(base + 0x20, (7 << 28) | 0x9f),
      ),
    );
    await host.command(Op.WRITE_REG, u32le(...w(base, 1 << 18)));
    const [cmd] = await host.command(Op.READ_REG, u32le(base));
    expect(cmd!.value & (1 << 18)).toBe(0);
    const [w0] = await host.command(Op.READ_REG, u32le(base + 0x58));
    expect(w0?.value).toBe(0x1740ef);
    await host.close();
  });

  it("the ESP32 ROM has no GET_SECURITY_INFO (status 1, error 0x05)", async () => {
    const host = await rawHost({ chip: "esp32" });
    const [info] = await host.command(Op.GET_SECURITY_INFO, new Uint8Array(0));
    expect([...info!.data]).toEqual([1, 5, 0, 0]);
    await host.close();
  });

  it("runs the ESP32-S2 and ESP32-C6 stubs esptool-js ships (OHAI, then two status bytes)", async () => {
    for (const chip of ["esp32s2", "esp32c6"] as const) {
      const host = await rawHost({ chip });
      const frames = await uploadStub(host, host.sim);
      expect(frames.some((f) => f.toString("latin1") === "OHAI")).toBe(true);
      expect(host.sim.mode).toBe("stub");
      const [r] = await host.command(Op.READ_REG, u32le(0x40001000));
      expect(r?.data).toHaveLength(2);
      await host.close();
    }
  });

  it("only chips with USB-Serial-JTAG take the usb-jtag reset circuit", async () => {
    await expect(createEspSimulator({ chip: "esp32s2", resetCircuit: "usb-jtag" })).rejects.toThrow(
      /ESP32-S2 has no USB-Serial-JTAG/,
    );
    const sim = await createEspSimulator({ chip: "esp32c6", resetCircuit: "usb-jtag" });
    const port = await new EspSimBinding().add("usb", sim).open({ path: "usb", baudRate: 115200 });
    await port.set({ dtr: false, rts: false });
    await port.set({ dtr: true, rts: false });
    await port.set({ dtr: true, rts: true });
    await port.set({ dtr: false, rts: true });
    await port.set({ dtr: false, rts: false });
    await new Promise((r) => setTimeout(r, 5));
    expect(sim.mode).toBe("rom");
    await port.close();
  });
});
