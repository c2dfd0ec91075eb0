#!/usr/bin/env bash
# System packages the @factory/server tests and bench need on Debian 12:
# PostgreSQL (initdb/pg_ctl for a private test cluster), Chromium (dashboard test through
# playwright-core), nginx (CDN comparison in the bench), DejaVu fonts (page rendering); for the
# stations: snmpsim + snmp (ProCurve simulator, snmptrap), OpenSSH (debug station), CUPS with
# cups-pdf, poppler-utils and zbar-tools (label end-to-end test); curl (the unit agent tests run factory-agent.sh).
# Idempotent: installs only what is missing; starts no daemons.
set -euo pipefail
packages=(curl postgresql chromium nginx-light fonts-dejavu-core snmpsim snmp python3 openssh-server openssh-client cups cups-client cups-ipp-utils printer-driver-cups-pdf poppler-utils zbar-tools)
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ "${#missing[@]}" -eq 0 ]; then
  echo "server ci-deps: all present (${packages[*]})"
  exit 0
fi
created_policy=0
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
  chmod +x /usr/sbin/policy-rc.d
  created_policy=1
fi
trap '[ "$created_policy" = 1 ] && rm -f /usr/sbin/policy-rc.d' EXIT
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends -o DPkg::Lock::Timeout=300 "${missing[@]}"
echo "server ci-deps: installed ${missing[*]}"
