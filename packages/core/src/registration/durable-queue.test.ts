import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { DurableQueue } from "./durable-queue";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function queueOf(...entries: number[]) {
  const dir = mkdtempSync(path.join(tmpdir(), "factory-queue-"));
  dirs.push(dir);
  const q = new DurableQueue<number>(path.join(dir, "q.jsonl"));
  for (const e of entries) q.append(e);
  return q;
}

describe("DurableQueue.drain", () => {
  it("delivers oldest first, drops what the receiver will never take, and keeps the rest in order from the first temporary failure", async () => {
    const q = queueOf(1, 2, 3, 4, 5);
    const sent: number[] = [];
    const droppedSeen: number[] = [];
    const result = await q.drain(
      async (n) => {
        sent.push(n);
        if (n === 2) throw new Error("refused");
        if (n === 4) throw new Error("down");
      },
      (n, error) => {
        if ((error as Error).message !== "refused") return false;
        droppedSeen.push(n);
        return true;
      },
    );
    expect(sent).toEqual([1, 2, 3, 4]);
    expect(droppedSeen).toEqual([2]);
    expect(result).toEqual({ delivered: 2, pending: 2 });
    expect(q.read()).toEqual([4, 5]);
  });

  it("leaves the file as it was when nothing could be delivered, and removes it once all is", async () => {
    const q = queueOf(7, 8);
    const before = statSync(q.file).mtimeMs;
    await new Promise((r) => setTimeout(r, 20));
    expect(
      await q.drain(
        () => Promise.reject(new Error("down")),
        () => false,
      ),
    ).toEqual({
      delivered: 0,
      pending: 2,
    });
    expect(statSync(q.file).mtimeMs).toBe(before);
    expect(
      await q.drain(
        async () => {},
        () => false,
      ),
    ).toEqual({ delivered: 2, pending: 0 });
    expect(q.read()).toEqual([]);
    expect(q.size).toBe(0);
  });
});
