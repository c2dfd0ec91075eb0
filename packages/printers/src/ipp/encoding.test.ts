import { describe, expect, it } from "vitest";
import { attributeValues, decodeIpp, encodeIpp, type IppMessage, Operation, Tag } from "./encoding";
import { ippPrinterStatus } from "./printer-state";
import { parseIppUrl } from "./transport";

function printJob(): IppMessage {
  return {
    code: Operation.printJob,
    requestId: 7,
    groups: [
      {
        tag: Tag.operation,
        attributes: [
          { name: "attributes-charset", tag: Tag.charset, values: ["utf-8"] },
          { name: "attributes-natural-language", tag: Tag.naturalLanguage, values: ["en"] },
          { name: "printer-uri", tag: Tag.uri, values: ["ipp://h:631/printers/L"] },
          { name: "document-format", tag: Tag.mimeMediaType, values: ["application/pdf"] },
        ],
      },
    ],
    data: Buffer.from("%PDF-1.7"),
  };
}

describe("IPP encoding (RFC 8010)", () => {
  it("lays a Print-Job out byte for byte: version, operation, request id, groups, end tag, document", () => {
    const bytes = encodeIpp(printJob());
    expect([...bytes.subarray(0, 9)]).toEqual([0x01, 0x01, 0x00, 0x02, 0, 0, 0, 7, 0x01]);
    // value-tag, name-length, name, value-length, value
    const charset = Buffer.concat([
      Buffer.from([0x47, 0x00, 18]),
      Buffer.from("attributes-charset"),
      Buffer.from([0x00, 5]),
      Buffer.from("utf-8"),
    ]);
    expect(bytes.subarray(9, 9 + charset.length)).toEqual(charset);
    const end = bytes.indexOf(Buffer.from([0x03, 0x25, 0x50, 0x44, 0x46]));
    expect(end).toBe(bytes.length - 9);
    expect(bytes.subarray(end + 1).toString()).toBe("%PDF-1.7");
  });

  it("writes 1setOf values with an empty name and integers as 4 bytes big-endian", () => {
    const bytes = encodeIpp({
      code: Operation.getJobAttributes,
      requestId: 1,
      groups: [
        {
          tag: Tag.operation,
          attributes: [
            { name: "job-id", tag: Tag.integer, values: [258] },
            { name: "requested-attributes", tag: Tag.keyword, values: ["a", "b"] },
          ],
        },
      ],
    });
    expect(
      bytes.includes(Buffer.from([0x21, 0x00, 0x06, ...Buffer.from("job-id"), 0x00, 0x04, 0, 0, 1, 2])),
    ).toBe(true);
    expect(bytes.includes(Buffer.from([0x44, 0x00, 0x00, 0x00, 0x01, 0x62]))).toBe(true);
  });

  it("decodes what it encodes, additional values and collections included", () => {
    const response: IppMessage = {
      code: 0x0000,
      requestId: 9,
      groups: [
        {
          tag: Tag.operation,
          attributes: [{ name: "attributes-charset", tag: Tag.charset, values: ["utf-8"] }],
        },
        {
          tag: Tag.printer,
          attributes: [
            { name: "printer-state", tag: Tag.enum, values: [3] },
            { name: "printer-state-reasons", tag: Tag.keyword, values: ["media-low-warning", "none"] },
            { name: "printer-is-accepting-jobs", tag: Tag.boolean, values: [true] },
          ],
        },
      ],
    };
    const collection = Buffer.concat([
      Buffer.from([0x34, 0, 17, ...Buffer.from("media-col-default"), 0, 0]),
      Buffer.from([0x4a, 0, 0, 0, 10, ...Buffer.from("media-size")]),
      Buffer.from([0x34, 0, 0, 0, 0]),
      Buffer.from([0x4a, 0, 0, 0, 11, ...Buffer.from("x-dimension")]),
      Buffer.from([0x21, 0, 0, 0, 4, 0, 0, 0x27, 0x10]),
      Buffer.from([0x37, 0, 0, 0, 0]),
      Buffer.from([0x37, 0, 0, 0, 0]),
    ]);
    const encoded = encodeIpp(response);
    const withCollection = Buffer.concat([encoded.subarray(0, -1), collection, Buffer.from([0x03])]);
    const decoded = decodeIpp(withCollection);
    expect(decoded.requestId).toBe(9);
    expect(attributeValues(decoded, "printer-state-reasons", Tag.printer)).toEqual([
      "media-low-warning",
      "none",
    ]);
    expect(attributeValues(decoded, "printer-is-accepting-jobs")).toEqual([true]);
    expect(attributeValues(decoded, "media-col-default")).toEqual([
      { "media-size": [{ "x-dimension": [10000] }] },
    ]);
  });

  it("refuses truncated replies with PRINTER_REJECTED", () => {
    const bytes = encodeIpp(printJob());
    expect(() => decodeIpp(bytes.subarray(0, 20))).toThrow(
      expect.objectContaining({ code: "PRINTER_REJECTED" }),
    );
    expect(() => decodeIpp(Buffer.from([1, 1, 0]))).toThrow(
      expect.objectContaining({ code: "PRINTER_REJECTED" }),
    );
  });

  it("turns printer URLs into the HTTP endpoint and the printer-uri", () => {
    expect(parseIppUrl("ipp://cups.local/printers/L1")).toMatchObject({
      printerUri: "ipp://cups.local:631/printers/L1",
    });
    expect(parseIppUrl("ipp://cups.local/printers/L1").http.href).toBe("http://cups.local:631/printers/L1");
    expect(parseIppUrl("http://10.0.0.9:8631/ipp/print").printerUri).toBe("ipp://10.0.0.9:8631/ipp/print");
    expect(() => parseIppUrl("lpd://x/q")).toThrow(expect.objectContaining({ code: "CONFIG_INVALID" }));
  });
});

describe("IPP printer state", () => {
  it.each([
    [{ state: 3, reasons: ["none"] }, "ready"],
    [{ state: 4, reasons: ["none"] }, "busy"],
    [{ state: 3, reasons: ["media-empty-error"] }, "paper-out"],
    [{ state: 5, reasons: ["media-needed"] }, "paper-out"],
    [{ state: 3, reasons: ["media-empty-warning"] }, "ready"],
    [{ state: 5, reasons: ["cover-open-error"] }, "head-open"],
    [{ state: 5, reasons: ["marker-supply-empty-error"] }, "ribbon-out"],
    [{ state: 5, reasons: ["paused"] }, "paused"],
    [{ state: 5, reasons: [] }, "paused"],
    [{ state: 3, reasons: ["offline-report"] }, "ready"],
    [{ state: 3, reasons: ["offline"] }, "offline"],
    [{ state: 3, reasons: ["media-jam-error"] }, "error"],
    [{ state: 3, reasons: ["cups-missing-filter-warning"] }, "ready"],
    [{ state: 3, reasons: ["none"], accepting: false }, "error"],
  ] as const)("%j → %s", (attrs, state) => {
    expect(ippPrinterStatus({ ...attrs, reasons: [...attrs.reasons] }).state).toBe(state);
  });
});
