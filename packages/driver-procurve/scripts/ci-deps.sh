#!/usr/bin/env bash
# System tools the driver-procurve tests need on Debian 12: snmpsimd (snmpsim); snmptrap,
# snmpget, snmpwalk, snmpbulkwalk (snmp); snmptrapd (snmptrapd, receives the simulator's traps);
# python3 (snmpsim's sql module runs on its sqlite3); sshd and ssh (openssh-server, openssh-client).
# Idempotent: installs only what is missing, starts nothing.
set -euo pipefail
packages=(snmpsim snmp snmptrapd python3 openssh-server openssh-client)
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
fi
