import {
  createLabelStation,
  type LabelAction,
  type LabelBackend,
  type LabelStation,
  type LabelStationState,
  type LabelTemplate,
  type Logger,
  noopLogger,
  type Printer,
  type SwitchDriver,
  toFactoryError,
} from "@factory/core";

/** What the station page and the terminal prompt show: the state, the question, the allowed answers. */
export interface LabelStateView {
  kind: LabelStationState["kind"];
  session: number | null;
  at: string;
  mac: string | null;
  serial: string | null;
  /** The question or status line for the operator. */
  message: string;
  actions: LabelAction[];
  reason?: string;
  macs?: string[];
  reprint?: boolean;
  jobId?: string;
  error?: { code: string; message: string };
}

/** The answers each state accepts (the station ignores the others). */
export const ACTIONS: Record<LabelStationState["kind"], LabelAction[]> = {
  idle: [],
  fetching: [],
  "not-ready": [],
  conflict: [],
  "confirm-print": ["print", "skip"],
  printing: [],
  "print-failed": ["reprint"],
  "confirm-printed": ["printed-ok", "printed-bad"],
  done: [],
  misprint: ["reprint"],
  error: ["retry"],
};

const REASONS: Record<string, string> = {
  unknown: "is not known to the server",
  building: "is still building",
  failed: "failed its build: take it to the debug station",
  stuck: "stopped reporting (stuck)",
  labeled: "is already labeled",
  "no-credentials": "has no stored passwords",
};

/** The operator's text for a state; never contains a password (states carry none). */
export function describeState(s: LabelStationState): string {
  switch (s.kind) {
    case "idle":
      return "Waiting for a unit on the label port";
    case "fetching":
      return `Unit ${s.mac} detected; fetching its record…`;
    case "not-ready":
      return `Unit ${s.serial ?? s.mac} ${REASONS[s.reason] ?? s.reason}. Nothing was printed.`;
    case "conflict":
      return `${s.macs.length} units on the label port at once (${s.macs.join(", ")}). Unplug all but one.`;
    case "confirm-print":
      return `${s.reprint ? "Reprint" : "Print"} label for unit ${s.serial}?`;
    case "printing":
      return `Printing the label for unit ${s.serial}…`;
    case "print-failed":
      return `The label for unit ${s.serial} did not print: ${s.error.message}`;
    case "confirm-printed":
      return "Label printed successfully?";
    case "done":
      return `Unit ${s.serial} is labeled; its passwords are deleted. Ready for packaging.`;
    case "misprint":
      return `No good label for unit ${s.serial}; its record is kept. Reprint, or replug the unit.`;
    case "error":
      return `Could not get the record of unit ${s.mac}: ${s.error.message}`;
  }
}

export function viewState(s: LabelStationState): LabelStateView {
  const any = s as Partial<Record<string, unknown>>;
  return {
    kind: s.kind,
    session: "session" in s ? s.session : null,
    at: s.at.toISOString(),
    mac: typeof any.mac === "string" ? any.mac : null,
    serial: typeof any.serial === "string" ? any.serial : null,
    message: describeState(s),
    actions: ACTIONS[s.kind],
    ...(s.kind === "not-ready" && { reason: s.reason }),
    ...(s.kind === "conflict" && { macs: s.macs }),
    ...(s.kind === "confirm-print" && { reprint: s.reprint }),
    ...(s.kind === "confirm-printed" && { jobId: s.jobId }),
    ...((s.kind === "print-failed" || s.kind === "error") && { error: s.error }),
  };
}

export interface LabelRunnerOptions {
  switch: SwitchDriver;
  port: string;
  printer: Printer;
  backend: LabelBackend;
  template: LabelTemplate;
  askBeforePrint?: boolean;
  timeouts?: { backend?: number; print?: number };
  logger?: Logger;
}

export type AnswerResult = { ok: true; state: LabelStateView } | { ok: false; state: LabelStateView };

/**
 * Runs a {@link LabelStation} in the server: watches the label port until stopped, fans its
 * states out to subscribers (the station page over SSE, the terminal prompt), and takes operator
 * answers by session id.
 */
export class LabelRunner {
  readonly station: LabelStation;
  readonly port: string;
  readonly printerName: string;
  private readonly controller = new AbortController();
  private readonly listeners = new Set<(view: LabelStateView) => void>();
  private running: Promise<void> | undefined;
  private failure: { code: string; message: string } | undefined;
  private readonly log: Logger;

  constructor(private readonly options: LabelRunnerOptions) {
    this.log = options.logger ?? noopLogger;
    this.port = options.port;
    this.printerName = options.printer.name;
    this.station = createLabelStation({
      switch: options.switch,
      port: options.port,
      backend: options.backend,
      printer: options.printer,
      template: options.template,
      ...(options.askBeforePrint !== undefined && { askBeforePrint: options.askBeforePrint }),
      ...(options.timeouts && { timeouts: options.timeouts }),
      logger: this.log,
    });
    this.station.onChange((state) => {
      const view = viewState(state);
      for (const l of this.listeners) l(view);
    });
  }

  /** Starts watching the label port (once). */
  start(): void {
    this.running ??= this.station.run({ signal: this.controller.signal }).catch((error: unknown) => {
      const e = toFactoryError(error, "server");
      this.failure = { code: e.code, message: e.message };
      this.log.error("label station stopped", { code: e.code, error: e.message });
    });
  }

  get view(): LabelStateView {
    return viewState(this.station.state);
  }

  /** Why the station stopped watching (bad port, driver error), if it did. */
  get stopped(): { code: string; message: string } | undefined {
    return this.failure;
  }

  subscribe(listener: (view: LabelStateView) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Acts on an operator answer for `session`. `ok: false` when it no longer applies (another unit
   * is on the port, or it was answered already). Rejects when the answer was taken but failed
   * (the server could not delete the credentials: the question stands).
   */
  async answer(session: number, action: LabelAction, signal?: AbortSignal): Promise<AnswerResult> {
    const ok = await this.station.answer(session, action, { signal });
    return { ok, state: this.view };
  }

  async close(): Promise<void> {
    this.controller.abort();
    this.listeners.clear();
    await this.running;
    await Promise.allSettled([this.options.printer.close()]);
  }
}
