#!/usr/bin/env bash
# System packages the @factory/driver-esp tests need on Debian 12: socat (the pseudo-terminal
# pair the simulator is served on, so third-party tools and the native serial binding can reach it).
# Idempotent: installs only what is missing; starts no daemons.
set -euo pipefail
packages=(socat)
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ "${#missing[@]}" -eq 0 ]; then
  echo "driver-esp ci-deps: all present (${packages[*]})"
  exit 0
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends -o DPkg::Lock::Timeout=300 "${missing[@]}"
echo "driver-esp ci-deps: installed ${missing[*]}"
