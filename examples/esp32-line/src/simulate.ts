// Runs line.ts with every port of the config backed by an in-process ESP32 simulator (no hardware).
import { loadConfig } from "@factory/core";
import { createEspSimulator, EspSimBinding } from "@factory/driver-esp/simulator";
import { runLine } from "./line";

const file = process.argv[2] ?? new URL("../factory-config.yaml", import.meta.url).pathname;
const binding = new EspSimBinding();
for (const station of (await loadConfig(file)).stations) {
  for (const [i, port] of station.ports.entries())
    binding.add(port.path, await createEspSimulator({ seed: i + 1 }));
}
const stop = new AbortController();
process.once("SIGINT", () => stop.abort());
process.exitCode = (await runLine(file, stop.signal, { binding })) ? 0 : 1;
