import { describe, expect, it } from "vitest";
import { parsePortListTable, portListArg } from "./port-list";

describe("show mac-address <port-list>", () => {
  it("writes ports as ProCurve port lists: runs as ranges, per prefix, duplicates once", () => {
    expect(portListArg(["1", "2", "3", "4", "7"])).toBe("1-4,7");
    expect(portListArg(["22", "21", "5", "21"])).toBe("5,21-22");
    expect(portListArg(["A2", "A1", "B3", "A4"])).toBe("A1-A2,A4,B3");
    expect(portListArg(["21", "Trk1"])).toBe("21,Trk1");
    expect(portListArg(["9"])).toBe("9");
  });

  it("reads the rows of several ports, each with its port (any case) and VLAN(s)", () => {
    const text = [
      " Status and Counters - Port Address Table - 1-4,a7",
      "",
      "  MAC Address   Port   VLAN",
      "  ------------- ------ ----",
      "  001a2b-000001 1      100",
      "  001a2b-000003 3      1,100",
      "  001a2b-000007 A7",
    ].join("\n");
    expect(parsePortListTable(text, ["1", "2", "3", "4", "a7"])).toEqual([
      { mac: "00:1a:2b:00:00:01", port: "1", vlan: 100 },
      { mac: "00:1a:2b:00:00:03", port: "3", vlan: 1 },
      { mac: "00:1a:2b:00:00:03", port: "3", vlan: 100 },
      { mac: "00:1a:2b:00:00:07", port: "a7" },
    ]);
    expect(parsePortListTable(" Status and Counters - Port Address Table - 1-2\n", ["1", "2"])).toEqual([]);
  });

  it("reads output in one section per port, with the per-port columns", () => {
    const text = [
      " Status and Counters - Port Address Table - 21",
      "  MAC Address   VLANs",
      "  001a2b-000021 100",
      "",
      " Status and Counters - Port Address Table - 22",
      "  MAC Address",
      "  001a2b-000022",
    ].join("\n");
    expect(parsePortListTable(text, ["21", "22"])).toEqual([
      { mac: "00:1a:2b:00:00:21", port: "21", vlan: 100 },
      { mac: "00:1a:2b:00:00:22", port: "22" },
    ]);
  });

  it("gives up (undefined) on a row whose port is not one asked for or not given", () => {
    const header = " Status and Counters - Port Address Table - 21-22\n";
    expect(parsePortListTable(`${header}  001a2b-000021 23     100\n`, ["21", "22"])).toBeUndefined();
    expect(parsePortListTable(`${header}  001a2b-000021\n`, ["21", "22"])).toBeUndefined();
  });
});
