#!/usr/bin/env bash
# Installs everything (packages, the Debian programs the tests talk to) and runs every check:
# lint, typecheck, build with exports check, and all tests. This is what CI runs.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

# Real peers for the test tiers (PostgreSQL, snmpsim, OpenSSH, CUPS, Chromium, avrdude, …):
# each package lists and installs its own; the tests start them on loopback ports.
for deps in packages/*/scripts/ci-deps.sh; do
  [ -f "$deps" ] || continue
  echo "test: installing peers for ${deps%/scripts/ci-deps.sh}"
  bash "$deps"
done

pnpm lint
pnpm typecheck
pnpm build

report=$(mktemp -d)/vitest.json
status=0
pnpm exec vitest run --reporter=default --reporter=json --outputFile="$report" || status=$?
if [ -f "$report" ]; then
  node -e '
    const r = require(process.argv[1]);
    const skipped = r.numPendingTests + r.numTodoTests;
    console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${skipped} skipped`);
    if (r.numTotalTests === 0) { console.error("no test ran"); process.exit(1); }
  ' "$report" || status=1
fi
exit $status
