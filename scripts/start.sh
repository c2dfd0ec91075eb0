#!/usr/bin/env bash
# Installs the workspace and starts the virtual factory (`factory demo`): the production server on
# a fresh SQLite database under ./.factory/demo, a simulated ProCurve switch, 20 simulated units,
# an ESP flashing station and the labeling station printing PDF labels; no hardware, no services.
# Prints the pages to open and their tokens. Ctrl-C stops it cleanly.
# Arguments go to `factory demo` (e.g. --port 9000 --units 10 --speed 30; --help lists them).
# For production, run `pnpm factory serve` with your configuration instead.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# tsx (what `pnpm factory` runs) forwards Ctrl-C and waits for the demo to stop.
exec node_modules/.bin/tsx packages/cli/src/bin.ts demo "$@"
