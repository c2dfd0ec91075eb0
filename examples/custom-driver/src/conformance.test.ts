import type { FlashPlan } from "@factory/core";
import { describeBoardDriverConformance } from "@factory/core/testing";
import { createLineDriver } from "./driver";
import { createLineBench } from "./simulator";

/** Two regions at different offsets, with content that is not all one byte value. */
function plan(): FlashPlan {
  const pattern = (size: number, seed: number) =>
    Uint8Array.from({ length: size }, (_, i) => (i * 31 + seed) & 0xff);
  return {
    regions: [
      { name: "bootloader", offset: 0x0000, data: pattern(1024, 7) },
      { name: "app", offset: 0x1000, data: pattern(2500, 3) },
    ],
  };
}

// Tier 2: the simulator over an in-memory duplex (always runs, no hardware).
describeBoardDriverConformance("line-protocol, in-memory simulator", async () => {
  const bench = createLineBench();
  const board = bench.plug("sim:a1");
  return {
    driver: createLineDriver({ connect: bench.connect }),
    port: { path: "sim:a1", label: "A1" },
    emptyPort: { path: "sim:a2" },
    plan: plan(),
    consoleProbe: { command: "info", expect: "OK" },
    readBack: async (offset, length) => board.memory.slice(offset, offset + length),
    unplug: () => bench.unplug("sim:a1"),
    teardown: () => bench.close(),
  };
});

// The same simulator behind a real TCP socket, reached through the driver's built-in connector.
describeBoardDriverConformance("line-protocol, simulator over TCP (ser2net style)", async () => {
  const bench = createLineBench();
  const board = bench.plug("sim:b1");
  const path = await bench.serve("sim:b1");
  return {
    driver: createLineDriver(),
    port: { path },
    // Port 1 on loopback: nothing listens there, so the connection is refused.
    emptyPort: { path: "tcp://127.0.0.1:1" },
    plan: plan(),
    consoleProbe: { command: "info", expect: "OK" },
    readBack: async (offset, length) => board.memory.slice(offset, offset + length),
    unplug: () => board.disconnect(),
    teardown: () => bench.close(),
  };
});

// Tier 4: a real LP1 board, when LINE_TEST_PORT names one shared by ser2net (tcp://host:port).
const realPort = process.env.LINE_TEST_PORT;
if (realPort) {
  describeBoardDriverConformance(
    `line-protocol, real board on ${realPort}`,
    async () => ({
      driver: createLineDriver({ replyTimeoutMs: 3_000 }),
      port: { path: realPort },
      plan: plan(),
    }),
    { timeoutMs: 120_000 },
  );
}
