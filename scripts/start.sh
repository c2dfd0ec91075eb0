#!/usr/bin/env bash
# Installs the workspace and starts the production server on embedded defaults: SQLite under
# ./.factory/, simulated hardware where none is attached. Ctrl-C stops it cleanly.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec pnpm --silent factory serve "$@"
