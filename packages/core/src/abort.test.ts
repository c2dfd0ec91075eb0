import { describe, expect, it } from "vitest";
import { deadline, sleep, throwIfAborted, withDeadline } from "./abort";

describe("abort and deadlines", () => {
  it("withDeadline rejects with TIMEOUT even when the work ignores its signal", async () => {
    const never = new Promise<string>(() => {});
    const error = await withDeadline("Reading the MAC", { timeoutMs: 20 }, () => never).catch((e) => e);
    expect(error.code).toBe("TIMEOUT");
    expect(error.message).toContain("Reading the MAC did not finish within 20 ms");
  });

  it("withDeadline rejects with ABORTED when the caller cancels", async () => {
    const controller = new AbortController();
    const pending = withDeadline("Flashing", { signal: controller.signal, timeoutMs: 10_000 }, (s) =>
      sleep(5_000, s),
    );
    controller.abort();
    await expect(pending).rejects.toMatchObject({ code: "ABORTED" });
  });

  it("withDeadline passes results and coded errors through", async () => {
    await expect(withDeadline("x", { timeoutMs: 1_000 }, async () => 42)).resolves.toBe(42);
    await expect(
      withDeadline("x", {}, async () => {
        throw Object.assign(new Error("bad"), { code: "E" });
      }),
    ).rejects.toThrow("bad");
  });

  it("deadline follows its parent and cleans up", async () => {
    const parent = new AbortController();
    const { signal, dispose } = deadline(parent.signal, 10_000, "x");
    parent.abort("stop");
    expect(signal.aborted).toBe(true);
    dispose();
    expect(() => throwIfAborted(signal)).toThrow(expect.objectContaining({ code: "ABORTED" }));
  });

  it("sleep rejects at once on an aborted signal", async () => {
    await expect(sleep(1_000, AbortSignal.abort())).rejects.toMatchObject({ code: "ABORTED" });
  });
});
