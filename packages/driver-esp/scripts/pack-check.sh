#!/usr/bin/env bash
# Shows what a plant gets when it installs only @factory/core and @factory/driver-esp (with its
# dependency @factory/serial) from packed
# tarballs into an empty project: a working driver (it flashes the simulator through the packed
# code), and none of usb, net-snmp, ssh2 or the server's dependencies.
# Needs the npm registry for the packages' own dependencies. Usage: bash scripts/pack-check.sh
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
root="$(cd "$here/../.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$root"
pnpm --filter @factory/core --filter @factory/serial --filter @factory/driver-esp build >/dev/null
(cd packages/core && pnpm pack --pack-destination "$work" >/dev/null)
(cd packages/serial && pnpm pack --pack-destination "$work" >/dev/null)
(cd packages/driver-esp && pnpm pack --pack-destination "$work" >/dev/null)
mkdir "$work/plant"
cd "$work/plant"
printf '{ "name": "plant", "private": true, "type": "module" }\n' > package.json
npm install --no-audit --no-fund --loglevel=error "$work"/factory-core-*.tgz "$work"/factory-serial-*.tgz "$work"/factory-driver-esp-*.tgz >/dev/null
for forbidden in usb net-snmp ssh2 hono @hono/node-server drizzle-orm better-sqlite3 postgres pg; do
  if [ -e "node_modules/$forbidden" ]; then
    echo "pack-check: FAIL, $forbidden was installed" >&2
    exit 1
  fi
done
cat > check.mjs <<'JS'
import { loadBoardDriver } from "@factory/core";
import { createEspSimulator, EspSimBinding, makeFirmwareImage } from "@factory/driver-esp/simulator";

const sim = await createEspSimulator({ chip: "esp32" });
const driver = await loadBoardDriver("@factory/driver-esp", { binding: new EspSimBinding().add("sim:0", sim) });
const session = await driver.open({ path: "sim:0" });
const app = makeFirmwareImage({ size: 100_000 });
const plan = { regions: [{ name: "app", offset: 0x10000, data: app }] };
await session.flash(plan);
const verified = await session.verify(plan);
const identity = await session.identify();
await session.close();
if (!verified.ok) throw new Error("verify failed");
console.log(`pack-check: OK, flashed ${identity.chip} ${identity.mac} from the packed driver`);
JS
node check.mjs
echo "pack-check: installed packages: $(ls node_modules | tr '\n' ' ')"
