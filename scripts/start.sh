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
# One process (Node with tsx's loader, as `pnpm factory` runs it): Ctrl-C reaches the demo once
# and it stops every part in order. (The tsx command would relay Ctrl-C a second time, and kill the
# demo, when a busy machine makes the demo take more than 30 ms to acknowledge it.)
exec node --import tsx packages/cli/src/bin.ts demo "$@"
