import { spawn } from "node:child_process";
import { mkdtemp, readdir, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rowPayload } from "./crash-writer.fixture";
import { createCsvRecordSink } from "./csv-record-sink";
import { type CsvRecordRow, readCsvRecords } from "./read-csv-records";

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, "../../../..");
const fixture = path.join(here, "crash-writer.fixture.ts");

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "factory-crash-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function csvFiles(): Promise<string[]> {
  return (await readdir(dir)).filter((f) => f.endsWith(".csv")).map((f) => path.join(dir, f));
}

async function totalSize(): Promise<number> {
  let size = 0;
  for (const f of await csvFiles()) size += (await stat(f)).size;
  return size;
}

async function allRows(options: { allowTornTail?: boolean } = {}): Promise<CsvRecordRow[]> {
  const rows: CsvRecordRow[] = [];
  for (const f of (await csvFiles()).sort()) rows.push(...(await readCsvRecords(f, options)));
  return rows;
}

/** Starts the writer, SIGKILLs it once the files have grown by `growBy` bytes. */
async function runAndKill(firstIndex: number, growBy: number): Promise<void> {
  const startSize = await totalSize();
  const child = spawn(process.execPath, ["--import", "tsx", fixture, dir, String(firstIndex)], {
    cwd: repoRoot,
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  const exited = new Promise<NodeJS.Signals | null>((resolve) =>
    child.on("exit", (_code, signal) => resolve(signal)),
  );
  const deadline = Date.now() + 20_000;
  while ((await totalSize()) < startSize + growBy) {
    if (child.exitCode !== null) throw new Error(`crash writer exited early: ${stderr}`);
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`crash writer made no progress: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  child.kill("SIGKILL");
  expect(await exited).toBe("SIGKILL");
}

describe("a writer killed with SIGKILL while appending", () => {
  it("leaves files whose complete rows are intact, and that parse fully once reopened", async () => {
    let next = 0;
    for (let round = 0; round < 2; round++) {
      await runAndKill(next, (1 + round) * 1024 * 1024);
      // Whatever the kill interrupted, every complete row is whole and in order.
      const before = await allRows({ allowTornTail: true });
      expect(before.length).toBeGreaterThan(next);
      before.forEach((row, i) => {
        expect(row.device_id).toBe(`crash-${i}`);
        expect(row.error_message).toBe(rowPayload(i));
      });
      // Opening a sink repairs a torn tail; the next row lands on a fresh line.
      next = before.length;
      const sink = createCsvRecordSink({ dir });
      await sink.write({
        timestamp: new Date(),
        deviceId: `crash-${next}`,
        boardType: "esp32",
        port: "/dev/ttyUSB0",
        status: "failed",
        attempts: 1,
        tests: [],
        error: rowPayload(next),
      });
      await sink.close();
      next += 1;
      const after = await allRows();
      expect(after).toHaveLength(next);
      expect(after[next - 1]!.error_message).toBe(rowPayload(next - 1));
    }
  });
});
