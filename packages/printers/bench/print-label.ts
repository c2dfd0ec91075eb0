/**
 * `pnpm bench print-label [rounds]`: how long the printer side of labeling takes: rendering a
 * label to ZPL, PDF and PNG, a ZPL print to the simulator (connect, ~HS, send, ~HS), and, when
 * CUPS is installed, an IPP print to a private cupsd with a cups-pdf queue until the spooler
 * queued, started (`processing`) and completed the job, each round on an idle queue. The
 * end-to-end goal (link up → job accepted) is measured by the labeling station's own bench; this
 * one shows the printer's share of it. The last line is one JSON object.
 */
import { peerAvailable, sampleLabel } from "@factory/core/testing";
import { createIppPrinter, createZplPrinter, renderPdf, renderPng, renderZpl } from "../src/index";
import { ZplPrinterSimulator } from "../src/simulator/index";
import { startCups } from "../src/test-support/cups";

const rounds = Number(process.argv[2] ?? 50);

function pct(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return Number(sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!.toFixed(2));
}

async function time(
  n: number,
  fn: (i: number) => Promise<unknown> | unknown,
  between?: () => Promise<void>,
): Promise<number[]> {
  await fn(-1); // warm-up: fonts, QR tables, connections
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    await between?.();
    const started = performance.now();
    await fn(i);
    out.push(performance.now() - started);
  }
  return out;
}

const label = (i: number) =>
  sampleLabel({ serial: `a1b2c3d4-5678-90ab-cdef-${String(i + 1000).padStart(12, "0")}` });
const result: Record<string, number | string> = { rounds };

const zpl = await time(rounds, (i) => renderZpl(label(i)));
const pdf = await time(rounds, (i) => renderPdf(label(i)));
const png = await time(rounds, (i) => renderPng(label(i)));
Object.assign(result, {
  render_zpl_ms_p50: pct(zpl, 50),
  render_zpl_ms_p95: pct(zpl, 95),
  render_pdf_ms_p50: pct(pdf, 50),
  render_pdf_ms_p95: pct(pdf, 95),
  render_png_ms_p50: pct(png, 50),
  render_png_ms_p95: pct(png, 95),
});

const sim = await ZplPrinterSimulator.start({ printMs: 5 });
const zplPrinter = createZplPrinter({ host: sim.host, port: sim.port });
const zplPrint = await time(rounds, (i) => zplPrinter.print({ label: label(i) }));
await sim.stop();
Object.assign(result, { zpl_print_ms_p50: pct(zplPrint, 50), zpl_print_ms_p95: pct(zplPrint, 95) });

if (
  peerAvailable({
    name: "cups",
    commands: ["cupsd", "lpadmin", "/usr/lib/cups/backend/cups-pdf"],
    install: "",
  })
) {
  const cups = await startCups();
  try {
    const n = Math.min(rounds, 10);
    const queued = createIppPrinter({ url: cups.url, confirm: "queued" });
    const accepted = createIppPrinter({ url: cups.url, confirm: "processing" });
    const completed = createIppPrinter({ url: cups.url, confirm: "completed" });
    // Each round starts on an idle queue, so a round never waits for the previous label.
    const idle = async (): Promise<void> => {
      for (;;) {
        const s = await completed.status();
        if (s.state === "ready" && !s.queued) return;
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    const ippQueued = await time(n, (i) => queued.print({ label: label(i) }), idle);
    const ippAccepted = await time(n, (i) => accepted.print({ label: label(i) }), idle);
    const ippCompleted = await time(n, (i) => completed.print({ label: label(i) }), idle);
    Object.assign(result, {
      ipp_rounds: n,
      ipp_queued_ms_p50: pct(ippQueued, 50),
      ipp_queued_ms_p95: pct(ippQueued, 95),
      ipp_processing_ms_p50: pct(ippAccepted, 50),
      ipp_processing_ms_p95: pct(ippAccepted, 95),
      ipp_completed_ms_p50: pct(ippCompleted, 50),
      ipp_completed_ms_p95: pct(ippCompleted, 95),
    });
  } finally {
    await cups.stop();
  }
} else {
  result.ipp = "skipped: CUPS not installed (bash packages/printers/scripts/ci-deps.sh)";
}

for (const [key, value] of Object.entries(result)) console.log(`${key.padEnd(24)} ${value}`);
console.log(JSON.stringify(result));
