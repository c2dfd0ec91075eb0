/**
 * Test helper run as a child process by crash.test.ts: appends large device records to
 * `argv[2]` as fast as it can until it is killed. Row i carries `rowPayload(i)` as its error text.
 */
import { createCsvRecordSink } from "./csv-record-sink";

/** The error text of row `i`: ~256 KiB with quotes, commas and line breaks, so a kill tears rows mid-field. */
export function rowPayload(i: number): string {
  const chunk = `row ${i} "quoted", comma\r\nnext line\n`;
  return chunk.repeat(Math.ceil((256 * 1024) / chunk.length));
}

async function main(): Promise<void> {
  const dir = process.argv[2];
  const start = Number(process.argv[3] ?? 0);
  if (!dir) throw new Error("usage: crash-writer.fixture.ts DIR [FIRST_INDEX]");
  const sink = createCsvRecordSink({ dir });
  for (let i = start; ; i++) {
    await sink.write({
      timestamp: new Date(),
      deviceId: `crash-${i}`,
      boardType: "esp32",
      port: "/dev/ttyUSB0",
      status: "failed",
      attempts: 1,
      tests: [],
      errorCode: "FLASH_FAILED",
      error: rowPayload(i),
    });
  }
}

if (process.argv[1]?.endsWith("crash-writer.fixture.ts")) void main();
