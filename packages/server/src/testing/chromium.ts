/** Headless Chromium as a test peer (PEERS.md §11): the Debian binary and the flags that work as root. */
export const CHROMIUM_PEER = {
  name: "Chromium",
  commands: ["/usr/bin/chromium"],
  install: "apt-get install chromium",
};

export const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
