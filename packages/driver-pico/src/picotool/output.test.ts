import { describe, expect, it } from "vitest";
import { noDeviceMessage, picotoolFailure, rcFromExitCode } from "./exit-codes";
import { parseInfo, parseSize } from "./info";
import { type PicotoolProgress, ProgressParser } from "./progress";

const RP2040_WITH_PROGRAM = `Program Information
 name:              blink
 version:           1.2
 web site:          https://example.com/blink
 features:          UART stdin / stdout
 binary start:      0x10000000
 binary end:        0x10003e04

Fixed Pin Information
 0:                 UART0 TX
 1:                 UART0 RX
 25:                LED

Build Information
 sdk version:       2.1.0
 pico_board:        pico
 boot2_name:        boot2_w25q080
 build date:        Jan  5 2026
 build attributes:  Release

Device Information
 type:              RP2040
 revision:          B2
 flash size:        2048K
 flash id:          0xE6614C311B4C6A25
`;

const RP2350_TWO = `Multiple RP-series devices in BOOTSEL mode found:

RP2350 device at bus 3, address 12:
------------------------------------
Device Information
 type:                   RP2350
 package:                QFN80
 chipid:                 0x9f0c5e1a2b3c4d5e
 flash devinfo:          0x0c00
 current cpu:            ARM
 secure debug enable:    1
 flash size:             4096K
 flash id:               0x4B8F0C1D2E3F4A5B

RP2350 device at bus 3, address 13:
------------------------------------
Device Information
 type:                   RP2350
 package:                QFN60
 flash size:             4096K
 flash id:               0x4B8F0C1D2E3F4A5C
`;

describe("parseInfo", () => {
  it("reads every group of info -a, keys as printed", () => {
    const [d] = parseInfo(RP2040_WITH_PROGRAM);
    expect(d?.at).toBeUndefined();
    expect(d?.program).toMatchObject({
      name: "blink",
      "web site": "https://example.com/blink",
      "binary end": "0x10003e04",
    });
    expect(d?.pins).toEqual([
      { pin: 0, name: "UART0 TX" },
      { pin: 1, name: "UART0 RX" },
      { pin: 25, name: "LED" },
    ]);
    expect(d?.build["build date"]).toBe("Jan  5 2026");
    expect(d?.device).toEqual({
      type: "RP2040",
      family: "rp2040",
      revision: "B2",
      flashSize: 2 << 20,
      flashId: "e6614c311b4c6a25",
    });
  });

  it("splits several devices by their headings", () => {
    const devices = parseInfo(RP2350_TWO);
    expect(devices.map((d) => d.at)).toEqual([
      { chip: "RP2350", bus: 3, address: 12 },
      { chip: "RP2350", bus: 3, address: 13 },
    ]);
    expect(devices[0]?.device).toMatchObject({
      family: "rp2350",
      package: "QFN80",
      chipId: "9f0c5e1a2b3c4d5e",
      flashSize: 4 << 20,
    });
    expect(devices[1]?.device?.flashId).toBe("4b8f0c1d2e3f4a5c");
  });

  it("leaves groups empty for ' none' and the device undefined when not printed", () => {
    const [d] = parseInfo("Program Information\n none\n\nFixed Pin Information\n none\n");
    expect(d?.program).toEqual({});
    expect(d?.pins).toEqual([]);
    expect(d?.device).toBeUndefined();
    expect(parseSize("16M")).toBe(16 << 20);
    expect(parseSize("huge")).toBeUndefined();
  });
});

describe("ProgressParser", () => {
  it("follows \\r-redrawn bars across arbitrary chunk boundaries", () => {
    const seen: PicotoolProgress[] = [];
    const parser = new ProgressParser((p) => seen.push(p));
    const bar = (verb: string, p: number) =>
      `${verb}[${"=".repeat((30 * p) / 100)}${" ".repeat(30 - (30 * p) / 100)}]  ${p}%\r`;
    const stream = `${bar("Loading into Flash: ", 0)}${bar("Loading into Flash: ", 50)}${bar("Loading into Flash: ", 100)}\n${bar("Verifying Flash:    ", 100)}\n  OK\n`;
    for (let i = 0; i < stream.length; i += 7) parser.push(stream.slice(i, i + 7));
    expect(seen).toEqual([
      { phase: "load", memory: "Flash", percent: 0 },
      { phase: "load", memory: "Flash", percent: 50 },
      { phase: "load", memory: "Flash", percent: 100 },
      { phase: "verify", memory: "Flash", percent: 100 },
    ]);
  });
});

describe("exit codes", () => {
  it("maps picotool's return codes from the exit status a shell sees", () => {
    expect(rcFromExitCode(249)).toBe(-7);
    expect(rcFromExitCode(245)).toBe(-11);
    expect(rcFromExitCode(0)).toBe(0);
    const cases: [number, string, string][] = [
      [255, "ERROR: Unknown command: frob", "INVALID_ARGUMENT"],
      [254, "ERROR: Invalid UF2 block magic", "IMAGE_INVALID"],
      [253, "ERROR: incompatible", "DEVICE_MISMATCH"],
      [252, "ERROR: read failed", "FLASH_FAILED"],
      [251, "ERROR: write failed", "FLASH_FAILED"],
      [250, "ERROR: Communication with RP2040 device failed", "PORT_DISCONNECTED"],
      [249, "No accessible RP-series devices in BOOTSEL mode were found.", "NO_DEVICE"],
      [248, "ERROR: Command requires a single RP-series device to be targeted.", "INVALID_ARGUMENT"],
      [247, "ERROR: Communication with RP2040 device failed", "PORT_DISCONNECTED"],
      [246, "ERROR: Cancelled", "ABORTED"],
      [245, "  FAILED\nERROR: The device contents did not match the file", "VERIFY_FAILED"],
      [157, "ERROR: something new", "PICOTOOL_FAILED"],
    ];
    for (const [status, output, code] of cases) {
      const error = picotoolFailure(["load", "x.uf2"], status, output);
      expect(error.code, output).toBe(code);
      expect(error.details).toMatchObject({ command: "picotool load x.uf2", rc: rcFromExitCode(status) });
      expect(error.message).toMatch(/^\[driver-pico\] picotool load/);
    }
  });

  it("recognises every 'no device' wording", () => {
    for (const line of [
      "No accessible RP-series devices in BOOTSEL mode were found.",
      "No accessible RP-series device in BOOTSEL mode was found at bus 1, address 7.",
      "No accessible RP2350 devices in BOOTSEL mode were found with serial number 1234.",
      "Despite the reboot attempt, no accessible RP-series devices in BOOTSEL mode were found on bus 2. It is possible the device is not responding, and will have to be manually entered into BOOTSEL mode.",
    ]) {
      expect(noDeviceMessage(`${line}\n`), line).toBe(line);
    }
    expect(noDeviceMessage("ERROR: something else")).toBeUndefined();
  });
});
