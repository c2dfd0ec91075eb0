import type { LineConsole } from "@factory/core";
import { createLineConsole, type SerialLink } from "@factory/serial";
import { PKG } from "../errors";

/**
 * The app's line console on the session's link (`@factory/serial`'s line console: latin1, lines
 * end at CR, LF or CRLF). While it is open it is the link's subscriber; `onClose` runs after it
 * let go, so the session can hand the link back to the loader.
 */
export function openAppConsole(link: SerialLink, lineEnding: string, onClose: () => void): LineConsole {
  const inner = createLineConsole(link, { lineEnding, encoding: "latin1", backlogLimit: 200, pkg: PKG });
  let closed = false;
  return {
    get backlog() {
      return inner.backlog;
    },
    writeLine: (line, options) => inner.writeLine(line, options),
    expect: (pattern, options) => inner.expect(pattern, options),
    async close() {
      if (closed) return;
      closed = true;
      await inner.close();
      onClose();
    },
  };
}
