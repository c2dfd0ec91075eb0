import type { SignalOptions } from "../abort";
import type { Label } from "../contracts/label";
import type { Unit, UnitCredentials } from "../contracts/unit-store";

/**
 * What the labeling station needs from the production server: in a plant, an HTTP client with the
 * labeling-station token; in one process, {@link createStoreLabelBackend} over a UnitStore.
 * Implementations audit every call with the station's identity.
 */
export interface LabelBackend {
  /** The unit and, when it is `ready`, its credentials. Undefined for an unknown MAC. */
  fetch(
    mac: string,
    options?: SignalOptions,
  ): Promise<{ unit: Unit; credentials?: UnitCredentials } | undefined>;
  /** A label for the unit was accepted by the printer (counts reprints). */
  printed(mac: string, receipt: { jobId: string }, options?: SignalOptions): Promise<void>;
  /** The operator confirmed the label: destroy the credentials for good, mark the unit labeled. */
  confirm(mac: string, options?: SignalOptions): Promise<void>;
  /** The operator said the label is not good: keep everything for a reprint. */
  reject(mac: string, options?: SignalOptions): Promise<void>;
}

/** Why a unit on the label port gets no label. */
export type NotReadyReason = "unknown" | "building" | "failed" | "stuck" | "labeled" | "no-credentials";

interface Session {
  /** Increases with every unit seen; operator answers name it so a stale click never acts on a new unit. */
  session: number;
  at: Date;
}

/** Where the labeling station is. The UI (station page, terminal prompt) renders exactly this. */
export type LabelStationState =
  | { kind: "idle"; at: Date }
  | (Session & { kind: "fetching"; mac: string })
  | (Session & { kind: "not-ready"; mac: string; reason: NotReadyReason; serial?: string })
  | (Session & { kind: "conflict"; macs: string[] })
  | (Session & { kind: "confirm-print"; mac: string; serial: string; reprint: boolean })
  | (Session & { kind: "printing"; mac: string; serial: string })
  | (Session & {
      kind: "print-failed";
      mac: string;
      serial: string;
      error: { code: string; message: string };
    })
  | (Session & { kind: "confirm-printed"; mac: string; serial: string; jobId: string })
  | (Session & { kind: "done"; mac: string; serial: string })
  | (Session & { kind: "misprint"; mac: string; serial: string })
  | (Session & { kind: "error"; mac: string; error: { code: string; message: string } });

export type LabelStationStateKind = LabelStationState["kind"];

/**
 * Operator answers. `print`/`skip` answer "Print label for unit {serial}?"; `printed-ok` /
 * `printed-bad` answer "Label printed successfully?"; `reprint` prints again after a misprint or a
 * printer error; `retry` fetches the record again after a server error.
 */
export type LabelAction = "print" | "skip" | "printed-ok" | "printed-bad" | "reprint" | "retry";

/** Builds the label for a unit from its record and credentials (the product's template). */
export type LabelTemplate = (unit: Unit & { serial: string }, credentials: UnitCredentials) => Label;
