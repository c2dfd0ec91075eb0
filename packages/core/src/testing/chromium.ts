import type { PeerCheck } from "./peers";

/** Debian's headless Chromium as a test peer for page tests (PEERS.md: the `chromium` package). */
export const CHROMIUM_PEER: PeerCheck = {
  name: "Chromium",
  commands: ["/usr/bin/chromium"],
  install: "apt-get install chromium",
};

/**
 * Launch options for Debian's Chromium under playwright-core, with the flags that work as root on
 * a machine without outside network (no sandbox, no GPU, no background fetches).
 *
 * @example
 * const browser = await chromium.launch(CHROMIUM_LAUNCH); // chromium from playwright-core
 */
export const CHROMIUM_LAUNCH: { executablePath: string; args: string[] } = {
  executablePath: "/usr/bin/chromium",
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
};
