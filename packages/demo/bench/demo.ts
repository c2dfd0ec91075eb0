/**
 * `pnpm bench demo [--seconds 60] [--units 20] [--speed 10] [--esp-ports 4]`: runs the virtual
 * factory at its default settings and measures what it costs the machine: CPU seconds per wall
 * second of the whole process (server, switch simulator, label station, units, ESP station), plus
 * the dashboard's answer time sampled once a second (load-dependent; note `uptime`). Last line: JSON.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { startDemo } from "../src/start-demo";

const { values } = parseArgs({
  options: {
    seconds: { type: "string", default: "60" },
    units: { type: "string", default: "20" },
    speed: { type: "string", default: "10" },
    "esp-ports": { type: "string", default: "4" },
  },
});
const seconds = Number(values.seconds);
const dir = mkdtempSync(path.join(tmpdir(), "factory-demo-bench-"));
const demo = await startDemo({
  dir,
  units: Number(values.units),
  speed: Number(values.speed),
  espPorts: Number(values["esp-ports"]),
});
const load = loadavg()[0]!;
const cpu0 = process.cpuUsage();
const t0 = performance.now();
const latencies: number[] = [];
while (performance.now() - t0 < seconds * 1000) {
  const started = performance.now();
  const res = await fetch(`${demo.url}/api/dashboard`, {
    headers: { authorization: `Bearer ${demo.tokens.operator}` },
  });
  await res.arrayBuffer();
  latencies.push(performance.now() - started);
  await new Promise((r) => setTimeout(r, 1000));
}
const wall = (performance.now() - t0) / 1000;
const used = process.cpuUsage(cpu0);
const cpuSeconds = (used.user + used.system) / 1e6;
const api = async (route: string, token: string) =>
  (await fetch(`${demo.url}${route}`, { headers: { authorization: `Bearer ${token}` } })).json() as Promise<{
    units?: unknown[];
    registrations?: unknown[];
  }>;
const count = async (status: string) =>
  (await api(`/api/units?status=${status}`, demo.tokens.operator)).units?.length ?? 0;
const result = {
  bench: "demo",
  units: Number(values.units),
  speed: Number(values.speed),
  espPorts: Number(values["esp-ports"]),
  wallSeconds: Math.round(wall * 10) / 10,
  cpuSeconds: Math.round(cpuSeconds * 100) / 100,
  cpuShareOfOneCore: Math.round((cpuSeconds / wall) * 1000) / 1000,
  ready: await count("ready"),
  failed: await count("failed"),
  stuck: await count("stuck"),
  building: await count("building"),
  espBoards: demo.esp?.results().length ?? 0,
  espRegistered: (await api("/api/admin/device-registrations", demo.tokens.admin)).registrations?.length ?? 0,
  dashboardMsP50: Math.round(latencies.sort((a, b) => a - b)[Math.floor(latencies.length / 2)]! * 10) / 10,
  dashboardMsMax: Math.round(Math.max(...latencies) * 10) / 10,
  loadAverage1m: Math.round(load * 100) / 100,
};
await demo.close();
rmSync(dir, { recursive: true, force: true });
console.log(
  `${result.cpuSeconds} CPU s in ${result.wallSeconds} s (${(result.cpuShareOfOneCore * 100).toFixed(1)} % of one core); dashboard p50 ${result.dashboardMsP50} ms`,
);
console.log(JSON.stringify(result));
