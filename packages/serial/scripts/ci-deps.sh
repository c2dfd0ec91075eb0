#!/usr/bin/env bash
# System tools the @factory/serial tests need on Debian: socat (pseudo-terminal bridge).
# Idempotent: installs only what is missing; starts nothing.
set -euo pipefail
if dpkg -s socat >/dev/null 2>&1; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
$SUDO apt-get update
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends socat
