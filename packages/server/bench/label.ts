/**
 * `pnpm bench label [rounds] [--printer ipp]`: link up on the label port → label job accepted by
 * the printer, once the operator says yes. Each round: a unit report through the API, the unit
 * plugged into port 21 of the snmpsimd ProCurve (real `snmptrap` link-up), the station asks, the
 * operator answers "print" at once through the HTTP API, the printer accepts the job, the
 * operator confirms, the unit is unplugged.
 *
 * Printers: the ZPL printer simulator always (the printer reads ~HS before and after the
 * format); with `--printer ipp` also a real CUPS with a cups-pdf queue (IPP Print-Job of the
 * PDF), after the ZPL rounds, through a second server on the same switch. Without CUPS the IPP
 * rounds are skipped with a message.
 *
 * The clock starts when the link-up trap is sent and stops when the printer accepted the job
 * (the printer's "label accepted" log: for ZPL the format written and the ~HS after it
 * answered; for IPP the Print-Job response successful-ok with the job id), minus the operator's
 * own time between the question and the answer. The station goes on to record the print (for
 * IPP, after the spooler completed the job) before it asks "Label printed successfully?"; that
 * is not in the figure. Phases per round, from the trap: trap received, first switch read done,
 * MAC seen (station fetching), question asked, answer taken (printing), job accepted. The rig's
 * own time writing the simulator's tables before the trap is shown apart. Last line: JSON with
 * `link_to_job_ms_p95` (ZPL) and, with `--printer ipp`, `ipp_link_to_job_ms_p95`.
 */

import path from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { createLogger } from "@factory/core";
import { ZplPrinterSimulator } from "@factory/printers/simulator";
import type { LabelStateView } from "../src/stations/label-runner";
import { startTestServer } from "../src/testing/harness";
import { type CupsPeer, hasCups, startCups } from "../src/testing/peers";
import { startSwitchRig } from "../src/testing/switch-rig";

const args = process.argv.slice(2);
const printerFlag = args.indexOf("--printer");
const withIpp = printerFlag >= 0 && args[printerFlag + 1] === "ipp";
if (printerFlag >= 0 && !["zpl", "ipp"].includes(args[printerFlag + 1] ?? "")) {
  console.error("usage: pnpm bench label [rounds] [--printer zpl|ipp]");
  process.exit(2);
}
const rounds = Number(
  args.find((a, i) => /^\d+$/.test(a) && (printerFlag < 0 || i !== printerFlag + 1)) ?? 30,
);
const serverDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** Driver and printer log lines the bench times phases by, stamped as they are written. */
const marks: Array<{ at: number; message: string; fields: Record<string, unknown> }> = [];
const MARKED = new Set(["link trap", "switch poll", "label accepted", "label confirmed"]);
const logger = createLogger({
  level: "debug",
  sink: (r) => {
    if (MARKED.has(r.message)) marks.push({ at: performance.now(), message: r.message, fields: r.fields });
  },
});

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
  /** IPP: from the spooler's acceptance to the job reaching `confirm` (completed). */
  acceptedToConfirmed?: number;
}

interface Run {
  results: Round[];
  /** Time the rig spent writing the simulator's tables before the trap (not the switch's time). */
  rigMs: number[];
  /** CPU of this process over the rounds, µs (server, driver, bench; not snmpsimd nor CUPS). */
  cpuUs: number;
}

const rig = await startSwitchRig();

/** Runs `rounds` rounds through a server whose label station prints to `printer`. */
async function runRounds(
  kind: string,
  printer: { driver: string; options: Record<string, unknown> },
  macByte: number,
): Promise<Run> {
  const s = await startTestServer({
    logger,
    baseDir: serverDir,
    stations: {
      switch: rig.driverRef,
      label: {
        port: "21",
        printer,
        template: { qr: "https://privatebox.dk/setup?serial={serial}", footer: "privatebox.dk/setup" },
      },
    },
  });
  const runner = s.stations!.label!;
  const next = (
    state: LabelStateView["kind"],
    timeoutMs = 20_000,
  ): Promise<{ view: LabelStateView; at: number }> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        off();
        reject(new Error(`no ${state} within ${timeoutMs} ms (now ${runner.view.kind})`));
      }, timeoutMs);
      const off = runner.subscribe((view) => {
        if (view.kind !== state) return;
        clearTimeout(timer);
        off();
        resolve({ view, at: performance.now() });
      });
    });
  const mark = (
    message: string,
    after: number,
    match: (f: Record<string, unknown>) => boolean = () => true,
  ) => marks.find((m) => m.message === message && m.at >= after && match(m.fields));
  const results: Round[] = [];
  const rigMs: number[] = [];
  try {
    // Let the watcher read the switch once before the first unit arrives.
    await new Promise((r) => setTimeout(r, 1500));
    marks.length = 0;
    const cpu0 = process.cpuUsage();
    for (let i = 0; i < rounds; i++) {
      const mac = `00:1a:2b:7e:${macByte.toString(16).padStart(2, "0")}:${i.toString(16).padStart(2, "0")}`;
      const serial = `bench-${kind}-${i.toString().padStart(4, "0")}-4000-8000-000000000000`;
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
      const printed = next("confirm-printed", 40_000);
      const yes = performance.now();
      const answer = await s.call("POST", "/api/stations/label/answers", {
        token: "operator",
        body: { session: question.view.session, action: "print" },
      });
      if (answer.status !== 200) throw new Error(`print answer: ${answer.status} ${answer.text}`);
      const answered = (await taken).at;
      await printed;
      const accepted = mark("label accepted", yes);
      if (!accepted) throw new Error(`the ${kind} printer log has no "label accepted" for this job`);
      const confirmed = mark("label confirmed", yes, (f) => f.jobId === accepted.fields.jobId);
      const trapReceived =
        mark("link trap", trapSent, (f) => f.kind === "link-up" && f.ifIndex === 21)?.at ?? Number.NaN;
      const polls = marks.filter(
        (m) => m.message === "switch poll" && m.at >= trapReceived && m.at <= seen.at,
      );
      results.push({
        trapReceived: trapReceived - trapSent,
        firstPoll: (polls[0]?.at ?? Number.NaN) - trapSent,
        polls: polls.length,
        detected: seen.at - trapSent,
        asked: question.at - trapSent,
        answered: question.at - trapSent + (answered - yes),
        linkToJob: question.at - trapSent + (accepted.at - yes),
        ...(confirmed ? { acceptedToConfirmed: confirmed.at - accepted.at } : {}),
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
        `${kind} round ${i + 1}/${rounds}: (rig ${rigMs.at(-1)!.toFixed(0)} ms) trap rx ${r.trapReceived.toFixed(0)}, 1st poll ${r.firstPoll.toFixed(0)} (${r.polls} polls), MAC seen ${r.detected.toFixed(0)}, asked ${r.asked.toFixed(0)}, answered ${r.answered.toFixed(0)}, job accepted ${r.linkToJob.toFixed(0)} ms${r.acceptedToConfirmed === undefined ? "" : ` (completed ${r.acceptedToConfirmed.toFixed(0)} ms later)`}`,
      );
    }
    const cpu = process.cpuUsage(cpu0);
    return { results, rigMs, cpuUs: cpu.user + cpu.system };
  } finally {
    await s.stop();
  }
}

/** The figures of one run, keys prefixed (`ipp_`) for a printer other than the main one. */
function figures(run: Run, prefix = ""): Record<string, number> {
  const col = (k: keyof Round) => run.results.map((r) => r[k] as number);
  const out: Record<string, number> = {
    link_to_job_ms_p50: Math.round(p(col("linkToJob"), 50)),
    link_to_job_ms_p95: Math.round(p(col("linkToJob"), 95)),
    trap_received_ms_p95: Math.round(p(col("trapReceived"), 95)),
    first_poll_ms_p95: Math.round(p(col("firstPoll"), 95)),
    link_to_detect_ms_p95: Math.round(p(col("detected"), 95)),
    link_to_question_ms_p95: Math.round(p(col("asked"), 95)),
    yes_to_job_ms_p95: Math.round(
      p(
        run.results.map((r) => r.linkToJob - r.asked),
        95,
      ),
    ),
    rig_before_trap_ms_p95: Math.round(p(run.rigMs, 95)),
    polls_to_detect_max: Math.max(...col("polls")),
    cpu_ms_per_round: Math.round(run.cpuUs / 1000 / run.results.length),
  };
  const completed = run.results.flatMap((r) =>
    r.acceptedToConfirmed === undefined ? [] : [r.acceptedToConfirmed],
  );
  if (completed.length > 0) out.accepted_to_completed_ms_p95 = Math.round(p(completed, 95));
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [`${prefix}${k}`, v]));
}

/** CUPS for the IPP rounds, or why there is none. */
async function cupsOrReason(): Promise<CupsPeer | string> {
  let here: boolean;
  try {
    here = hasCups();
  } catch (error) {
    here = false;
    console.log((error as Error).message);
  }
  if (!here) return "CUPS with cups-pdf is not installed (bash packages/printers/scripts/ci-deps.sh)";
  try {
    return await startCups("BENCH_LABEL");
  } catch (error) {
    return `CUPS did not start: ${(error as Error).message.split("\n")[0]}`;
  }
}

const zplPrinter = await ZplPrinterSimulator.start();
try {
  const zpl = await runRounds(
    "zpl",
    { driver: "@factory/printers", options: { type: "zpl", host: zplPrinter.host, port: zplPrinter.port } },
    0,
  );
  console.log(`zpl printer received ${zplPrinter.formats.length} labels`);
  console.log(
    `bench process CPU ${(zpl.cpuUs / 1e6).toFixed(2)} s over ${rounds} zpl rounds (server, driver, bench; snmpsimd not included)`,
  );
  let ipp: Record<string, number | string> = {};
  if (withIpp) {
    const cups = await cupsOrReason();
    if (typeof cups === "string") {
      console.log(`[skip] ipp rounds: ${cups}`);
      ipp = { ipp_skipped: cups };
    } else {
      try {
        const run = await runRounds(
          "ipp",
          { driver: "@factory/printers", options: { type: "ipp", url: cups.url, requestTimeoutMs: 5000 } },
          1,
        );
        console.log(
          `bench process CPU ${(run.cpuUs / 1e6).toFixed(2)} s over ${rounds} ipp rounds (cupsd and cups-pdf not included)`,
        );
        ipp = { ipp_rounds: run.results.length, ...figures(run, "ipp_") };
      } finally {
        await cups.stop();
      }
    }
  }
  console.log(JSON.stringify({ rounds, printer: "zpl", ...figures(zpl), ...ipp, goal_ms: 2000 }));
} finally {
  await zplPrinter.stop();
  await rig.stop();
}
