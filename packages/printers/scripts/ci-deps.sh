#!/usr/bin/env bash
# System tools the @factory/printers tests need on Debian 12: a CUPS spooler with the cups-pdf
# queue driver (cups, cups-client, printer-driver-cups-pdf, ghostscript), ipptool
# (cups-ipp-utils), pdftoppm and pdftotext (poppler-utils), zbarimg (zbar-tools) and the
# DejaVu fonts. Idempotent: installs only what is missing and starts nothing (the tests start a
# private cupsd themselves).
set -euo pipefail
packages=(cups cups-client cups-daemon printer-driver-cups-pdf cups-ipp-utils ghostscript poppler-utils zbar-tools fonts-dejavu-core)
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  # Keep package scripts from starting cupsd on the default port while installing.
  created_policy=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    created_policy=1
  fi
  trap 'if [ -n "$created_policy" ]; then rm -f /usr/sbin/policy-rc.d; fi' EXIT
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends -o DPkg::Lock::Timeout=300 "${missing[@]}"
fi
