/**
 * `pnpm bench label [rounds]`: link up on the label port → label job accepted by the printer,
 * once the operator says yes. Each round: a unit report through the API, the unit plugged into
 * port 21 of the snmpsimd ProCurve (real `snmptrap` link-up), the station asks, the operator
 * answers "print" at once through the HTTP API, the ZPL printer simulator accepts the job (the
 * printer reads ~HS before and after), the operator confirms, the unit is unplugged.
 * Last line: JSON with `link_to_job_ms_p95`.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ZplPrinterSimulator } from "@factory/printers/simulator";
import type { LabelStateView } from "../src/stations/label-runner";
import { startTestServer } from "../src/testing/harness";
import { startSwitchRig } from "../src/testing/switch-rig";

const rounds = Number(process.argv[2] ?? 30);
const serverDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const rig = await startSwitchRig();
const printer = await ZplPrinterSimulator.start();
const s = await startTestServer({
  baseDir: serverDir,
  stations: {
    switch: rig.driverRef,
    label: {
      port: "21",
      printer: {
        driver: "@factory/printers",
        options: { type: "zpl", host: printer.host, port: printer.port },
      },
      template: { qr: "https://privatebox.dk/setup?serial={serial}", footer: "privatebox.dk/setup" },
    },
  },
});
const runner = s.stations!.label!;

function next(
  kind: LabelStateView["kind"],
  timeoutMs = 20_000,
): Promise<{ view: LabelStateView; at: number }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no ${kind} within ${timeoutMs} ms (now ${runner.view.kind})`));
    }, timeoutMs);
    const off = runner.subscribe((view) => {
      if (view.kind !== kind) return;
      clearTimeout(timer);
      off();
      resolve({ view, at: performance.now() });
    });
  });
}

const p = (xs: number[], q: number) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((q / 100) * sorted.length) - 1)]!;
};

const linkToJob: number[] = [];
const linkToQuestion: number[] = [];
const yesToJob: number[] = [];
/** Link up → the MAC reported on the port (switch side: trap, FDB read). */
const linkToDetect: number[] = [];
try {
  // Let the watcher read the switch once before the first unit arrives.
  await new Promise((r) => setTimeout(r, 1500));
  for (let i = 0; i < rounds; i++) {
    const mac = `00:1a:2b:7e:00:${i.toString(16).padStart(2, "0")}`;
    const serial = `bench-${i.toString().padStart(4, "0")}-4000-8000-000000000000`;
    await s.call("POST", "/api/units", {
      token: "unit",
      body: {
        mac_wan: mac,
        status: "ready",
        serial,
        admin_password: `adm-${i}-Xy9`,
        services_password: `svc-${i}-Qw8`,
      },
    });
    const detected = next("fetching");
    const asked = next("confirm-print");
    const linkUp = performance.now();
    rig.plug(mac, "21");
    const question = await asked;
    const seen = await detected;
    linkToDetect.push(seen.at - linkUp);
    const accepted = next("confirm-printed");
    const yes = performance.now();
    const answer = await s.call("POST", "/api/stations/label/answers", {
      token: "operator",
      body: { session: question.view.session, action: "print" },
    });
    if (answer.status !== 200) throw new Error(`print answer: ${answer.status} ${answer.text}`);
    const job = await accepted;
    linkToQuestion.push(question.at - linkUp);
    yesToJob.push(job.at - yes);
    linkToJob.push(question.at - linkUp + (job.at - yes));
    await s.call("POST", "/api/stations/label/answers", {
      token: "operator",
      body: { session: question.view.session, action: "printed-ok" },
    });
    const idle = next("idle");
    rig.unplug(mac, "21");
    await idle;
    console.log(
      `round ${i + 1}/${rounds}: link→detected ${linkToDetect.at(-1)!.toFixed(0)} ms, link→question ${linkToQuestion.at(-1)!.toFixed(0)} ms, yes→job ${yesToJob.at(-1)!.toFixed(0)} ms`,
    );
  }
  console.log(`printer received ${printer.formats.length} labels`);
  console.log(
    JSON.stringify({
      rounds,
      link_to_job_ms_p50: Math.round(p(linkToJob, 50)),
      link_to_job_ms_p95: Math.round(p(linkToJob, 95)),
      link_to_question_ms_p95: Math.round(p(linkToQuestion, 95)),
      link_to_detect_ms_p95: Math.round(p(linkToDetect, 95)),
      yes_to_job_ms_p95: Math.round(p(yesToJob, 95)),
      goal_ms: 2000,
    }),
  );
} finally {
  await s.stop();
  await printer.stop();
  await rig.stop();
}
