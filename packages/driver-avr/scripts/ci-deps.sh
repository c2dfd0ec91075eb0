#!/usr/bin/env bash
# System tools the @factory/driver-avr tests need on Debian: socat (pseudo-terminal bridge) and
# avrdude (the interop test). Idempotent: installs only what is missing; starts nothing.
set -euo pipefail
missing=()
for pkg in socat avrdude; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ "${#missing[@]}" -eq 0 ]; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
$SUDO apt-get update
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends "${missing[@]}"
