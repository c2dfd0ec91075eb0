import type { UnitStore } from "../contracts/unit-store";
import type { LabelBackend } from "./types";

/**
 * A {@link LabelBackend} over a UnitStore in the same process (the reference server, the demo).
 * Every read of credentials, print, confirmation and deletion is audited as `actor`.
 */
export function createStoreLabelBackend(store: UnitStore, options: { actor: string }): LabelBackend {
  const { actor } = options;
  return {
    async fetch(mac, opts) {
      const unit = await store.getUnit(mac, opts);
      if (!unit) return undefined;
      if (unit.status !== "ready" || !unit.hasCredentials) return { unit };
      const credentials = await store.getCredentials(unit.mac, opts);
      await store.appendAudit({ at: new Date(), actor, action: "credentials.read", mac: unit.mac }, opts);
      return credentials ? { unit, credentials } : { unit };
    },
    async printed(mac, receipt, opts) {
      const unit = await store.recordLabelPrint(mac, opts);
      await store.appendAudit(
        {
          at: new Date(),
          actor,
          action: "label.printed",
          mac: unit.mac,
          details: { jobId: receipt.jobId, reprints: unit.reprints },
        },
        opts,
      );
    },
    async confirm(mac, opts) {
      await store.appendAudit({ at: new Date(), actor, action: "label.confirmed", mac }, opts);
      const deleted = await store.deleteCredentials(mac, opts);
      await store.appendAudit(
        { at: new Date(), actor, action: "credentials.deleted", mac, details: { deleted } },
        opts,
      );
    },
    async reject(mac, opts) {
      await store.appendAudit({ at: new Date(), actor, action: "label.rejected", mac }, opts);
    },
  };
}
