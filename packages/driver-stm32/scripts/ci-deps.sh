#!/usr/bin/env bash
# System tools the driver-stm32 tests need: stm32flash (interop over a pty) and socat (the pty bridge).
# Idempotent: installs only what is missing; starts nothing.
set -euo pipefail
missing=()
for pkg in stm32flash socat; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends "${missing[@]}"
fi
