#!/usr/bin/env bash
# Installs what the workspace needs to build and run on a fresh Debian machine with Node 20:
# pnpm (pinned in package.json) and every package dependency. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

# Native addons (better-sqlite3, ssh2) compile against the Node headers installed with Node
# instead of downloading them.
if [ -d /usr/include/node ]; then export npm_config_nodedir=/usr; fi

want=$(node -p 'require("./package.json").packageManager.split("@")[1]')
if ! command -v pnpm >/dev/null 2>&1 || [ "$(pnpm --version 2>/dev/null)" != "$want" ]; then
  echo "setup: installing pnpm $want"
  npm install -g --no-fund --no-audit "pnpm@$want" >/dev/null
fi

if [ -n "${CI:-}" ]; then
  pnpm install --frozen-lockfile --reporter=append-only
else
  pnpm install --reporter=append-only
fi
