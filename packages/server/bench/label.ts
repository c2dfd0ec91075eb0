/**
 * `pnpm bench label [rounds]`: link up on the label port → label job accepted by the printer,
 * once the operator says yes. Each round: a unit report through the API, the unit plugged into
 * port 21 of the snmpsimd ProCurve (real `snmptrap` link-up), the station asks, the operator
 * answers "print" at once through the HTTP API, the ZPL printer simulator accepts the job (the
 * printer reads ~HS before and after), the operator confirms, the unit is unplugged.
 *
 * The clock starts when the link-up trap is sent and stops when the printer accepted the job
 * (the ZPL printer's "label accepted" log: format written and the ~HS after it answered), minus
 * the operator's own time between the question and the answer. The station goes on to record
 * the print before it asks "Label printed successfully?"; that is not in the figure. Phases per
 * round, from the trap: trap received, first switch read done, MAC seen (station fetching),
 * question asked, answer taken (printing), job accepted. The rig's own time writing the
 * simulator's tables before the trap is shown apart. Last line: JSON with `link_to_job_ms_p95`.
 */

import path from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { createLogger } from "@factory/core";
import { ZplPrinterSimulator } from "@factory/printers/simulator";
import type { LabelStateView } from "../src/stations/label-runner";
import { startTestServer } from "../src/testing/harness";
import { startSwitchRig } from "../src/testing/switch-rig";

const rounds = Number(process.argv[2] ?? 30);
const serverDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const rig = await startSwitchRig();
const printer = await ZplPrinterSimulator.start();
/** Driver and printer log lines the bench times phases by, stamped as they are written. */
const marks: Array<{ at: number; message: string; fields: Record<string, unknown> }> = [];
const MARKED = new Set(["link trap", "switch poll", "label accepted"]);
const logger = createLogger({
  level: "debug",
  sink: (r) => {
    if (MARKED.has(r.message)) marks.push({ at: performance.now(), message: r.message, fields: r.fields });
  },
});
const s = await startTestServer({
  logger,
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

/** Per round: ms from the link-up trap's send time to each phase. */
interface Round {
  trapReceived: number;
  firstPoll: number;
  polls: number;
  detected: number;
  asked: number;
  /** The station took the answer and started printing. */
  answered: number;
  /** The printer accepted the job: the end of the measured time. */
  linkToJob: number;
}
const results: Round[] = [];
const mark = (message: string, after: number, match: (f: Record<string, unknown>) => boolean = () => true) =>
  marks.find((m) => m.message === message && m.at >= after && match(m.fields))?.at ?? Number.NaN;
const cpu0 = process.cpuUsage();
/** Time the rig spent writing the simulator's tables before the trap (not the switch's time). */
const rigMs: number[] = [];
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
    const plugAt = performance.now();
    const trapSent = rig.plug(mac, "21");
    rigMs.push(trapSent - plugAt);
    const question = await asked;
    const seen = await detected;
    const taken = next("printing");
    const printed = next("confirm-printed");
    const yes = performance.now();
    const answer = await s.call("POST", "/api/stations/label/answers", {
      token: "operator",
      body: { session: question.view.session, action: "print" },
    });
    if (answer.status !== 200) throw new Error(`print answer: ${answer.status} ${answer.text}`);
    const answered = (await taken).at;
    await printed;
    const accepted = mark("label accepted", yes);
    if (Number.isNaN(accepted)) throw new Error('the printer log has no "label accepted" for this job');
    const trapReceived = mark("link trap", trapSent, (f) => f.kind === "link-up" && f.ifIndex === 21);
    const polls = marks.filter((m) => m.message === "switch poll" && m.at >= trapReceived && m.at <= seen.at);
    results.push({
      trapReceived: trapReceived - trapSent,
      firstPoll: (polls[0]?.at ?? Number.NaN) - trapSent,
      polls: polls.length,
      detected: seen.at - trapSent,
      asked: question.at - trapSent,
      answered: question.at - trapSent + (answered - yes),
      linkToJob: question.at - trapSent + (accepted - yes),
    });
    await s.call("POST", "/api/stations/label/answers", {
      token: "operator",
      body: { session: question.view.session, action: "printed-ok" },
    });
    const idle = next("idle");
    rig.unplug(mac, "21");
    await idle;
    marks.length = 0;
    const r = results.at(-1)!;
    console.log(
      `round ${i + 1}/${rounds}: (rig ${rigMs.at(-1)!.toFixed(0)} ms) trap rx ${r.trapReceived.toFixed(0)}, 1st poll ${r.firstPoll.toFixed(0)} (${r.polls} polls), MAC seen ${r.detected.toFixed(0)}, asked ${r.asked.toFixed(0)}, answered ${r.answered.toFixed(0)}, job accepted ${r.linkToJob.toFixed(0)} ms`,
    );
  }
  const cpu = process.cpuUsage(cpu0);
  const col = (k: keyof Round) => results.map((r) => r[k]);
  console.log(`printer received ${printer.formats.length} labels`);
  console.log(
    `bench process CPU ${((cpu.user + cpu.system) / 1e6).toFixed(2)} s over ${rounds} rounds (server, driver, bench; snmpsimd not included)`,
  );
  console.log(
    JSON.stringify({
      rounds,
      link_to_job_ms_p50: Math.round(p(col("linkToJob"), 50)),
      link_to_job_ms_p95: Math.round(p(col("linkToJob"), 95)),
      trap_received_ms_p95: Math.round(p(col("trapReceived"), 95)),
      first_poll_ms_p95: Math.round(p(col("firstPoll"), 95)),
      link_to_detect_ms_p95: Math.round(p(col("detected"), 95)),
      link_to_question_ms_p95: Math.round(p(col("asked"), 95)),
      yes_to_job_ms_p95: Math.round(
        p(
          results.map((r) => r.linkToJob - r.asked),
          95,
        ),
      ),
      rig_before_trap_ms_p95: Math.round(p(rigMs, 95)),
      polls_to_detect_max: Math.max(...col("polls")),
      cpu_ms_per_round: Math.round((cpu.user + cpu.system) / 1000 / rounds),
      goal_ms: 2000,
    }),
  );
} finally {
  await s.stop();
  await printer.stop();
  await rig.stop();
}
