#!/usr/bin/env bash
# PrivateBox first-boot quickstart: fetches the unit agent from the production server and runs
# the bootstrap under it. Runs once on a fresh Proxmox VE host (answer.toml [first-boot]); needs
# only bash, curl and coreutils.
#
# Environment (all optional except the token):
#   FACTORY_SERVER            production server (default http://192.168.100.250:8080)
#   FACTORY_CDN               offline-asset CDN (default: the server's /cdn)
#   FACTORY_TOKEN             the line's unit token (role "unit"); stored in /etc/factory/unit-token
#   AGENT_DIR                 where the agent is installed (default /usr/local/sbin)
#   AGENT_FALLBACK_URL        a last-resort copy of factory-agent.sh (e.g. on an internal mirror)
#   AGENT_SHA256              pin the agent's sha256 (otherwise checked against the server's SHA256SUMS)
#   PRIVATEBOX_BOOTSTRAP      the build command (default /opt/privatebox/bootstrap/bootstrap.sh)
#   PRIVATEBOX_SOURCE_URL     where the bootstrap's source comes from when the CDN lacks it
#   QUICKSTART_RETRIES        retries per download (default 4, 2 s apart)
#   QUICKSTART_FETCH_ONLY=1   install the agent and its config, then stop (for tests and dry runs)
set -u -o pipefail

FACTORY_SERVER=${FACTORY_SERVER:-http://192.168.100.250:8080}
FACTORY_SERVER=${FACTORY_SERVER%/}
FACTORY_CDN=${FACTORY_CDN:-$FACTORY_SERVER/cdn}
FACTORY_CDN=${FACTORY_CDN%/}
AGENT_DIR=${AGENT_DIR:-/usr/local/sbin}
CONF=${FACTORY_AGENT_CONFIG:-/etc/factory-agent.conf}
LOG=${QUICKSTART_LOG:-/tmp/privatebox-bootstrap.log}
BOOTSTRAP=${PRIVATEBOX_BOOTSTRAP:-/opt/privatebox/bootstrap/bootstrap.sh}

say() { printf 'quickstart: %s\n' "$*" | tee -a "$LOG" >&2; }

# fetch URL FILE: bounded, retried on connection failures and 5xx.
fetch() {
  curl -fsS --connect-timeout 5 --max-time 60 --retry "${QUICKSTART_RETRIES:-4}" --retry-delay 2 --retry-connrefused \
    -o "$2" -- "$1" 2>>"$LOG"
}

# verify FILE SUMS_URL: the file's sha256 must match AGENT_SHA256 or the server's SHA256SUMS line.
verify() {
  local file=$1 sums_url=$2 want="" got
  got=$(sha256sum -- "$file") || return 1
  got=${got%% *}
  if [[ -n ${AGENT_SHA256:-} ]]; then
    want=$AGENT_SHA256
  elif [[ -n $sums_url ]]; then
    local sums line
    sums=$(curl -fsS --connect-timeout 5 --max-time 30 -- "$sums_url" 2>>"$LOG") || return 1
    while IFS= read -r line; do
      [[ $line == *"  factory-agent.sh" ]] && want=${line%% *}
    done <<<"$sums"
  fi
  [[ -n $want && $got == "$want" ]]
}

install_agent() {
  local tmp="$AGENT_DIR/.factory-agent.sh.$$" src
  mkdir -p -- "$AGENT_DIR"
  for src in "$FACTORY_CDN/agent" "$FACTORY_SERVER/agent"; do
    if fetch "$src/factory-agent.sh" "$tmp"; then
      if verify "$tmp" "$src/SHA256SUMS"; then
        chmod 0755 "$tmp" && mv -f -- "$tmp" "$AGENT_DIR/factory-agent.sh"
        say "agent from $src/factory-agent.sh"
        return 0
      fi
      say "agent from $src does not match its checksum; trying the next source"
    else
      say "agent not available from $src"
    fi
  done
  if [[ -n ${AGENT_FALLBACK_URL:-} ]] && fetch "$AGENT_FALLBACK_URL" "$tmp" && verify "$tmp" ""; then
    chmod 0755 "$tmp" && mv -f -- "$tmp" "$AGENT_DIR/factory-agent.sh"
    say "agent from $AGENT_FALLBACK_URL"
    return 0
  fi
  rm -f -- "$tmp"
  say "no verified copy of the unit agent could be fetched"
  return 1
}

install_config() {
  [[ -s $CONF ]] && return 0
  mkdir -p -- "$(dirname -- "$CONF")"
  # The line's config from the CDN if the operator put one there, else the copy below.
  if fetch "$FACTORY_CDN/privatebox/factory-agent.conf" "$CONF.tmp"; then
    mv -f -- "$CONF.tmp" "$CONF"
    say "agent config from the CDN"
    return 0
  fi
  rm -f -- "$CONF.tmp"
  cat >"$CONF" <<'CONF'
# factory-agent.conf for PrivateBox units (seed 002). Installed as /etc/factory-agent.conf by
# quickstart.sh. KEY=value lines (environment variables of the same name win) and test lines:
#   test NAME KIND ARGS...   kinds: http URL [STATUS] [insecure] | tcp HOST PORT |
#   dns NAME SERVER[:PORT] [EXPECTED_IPV4] | systemd UNIT... | route [HOST:PORT] [GATEWAY] | cmd COMMAND
FACTORY_SERVER=http://192.168.100.250:8080
FACTORY_TOKEN_FILE=/etc/factory/unit-token
FACTORY_STATE_DIR=/var/lib/factory-agent
FACTORY_WAN_IFACE=vmbr0
FACTORY_HEARTBEAT_SECONDS=60
FACTORY_STAGES=installing_proxmox bootstrap deploying_opnsense deploying_management_vm deploying_services self_test isolation reporting
FACTORY_LOGS=/tmp/privatebox-bootstrap.log /var/log/privatebox-guest-setup.log
FACTORY_SERVICES=pveproxy pvedaemon pve-cluster pvestatd
FACTORY_BUILD_TIMEOUT=5400
FACTORY_ISOLATE_CMD=/usr/local/sbin/privatebox-isolation remove
FACTORY_ISOLATION_CHECK_CMD=/usr/local/sbin/privatebox-isolation check
FACTORY_RESTORE_WAN_CMD=/usr/local/sbin/privatebox-isolation restore

# The seed's self-tests, in its order.
test opnsense_routing route 1.1.1.1:443
test management_vm tcp 10.10.20.10 22
test portainer http https://10.10.20.10:9443/ 200 insecure
test semaphore http http://10.10.20.10:3000/api/ping 200
test adguard dns example.com 10.10.20.10
test homer http http://10.10.20.10:8080/ 200
test services systemd pveproxy pvedaemon pve-cluster pvestatd
CONF
  say "agent config from the built-in copy"
}

install_hooks() {
  # The isolation hook the config names, from the CDN when the operator put it there.
  local hook="$AGENT_DIR/privatebox-isolation"
  [[ -x $hook ]] && return 0
  if fetch "$FACTORY_CDN/privatebox/privatebox-isolation" "$hook.tmp"; then
    chmod 0755 "$hook.tmp" && mv -f -- "$hook.tmp" "$hook"
  else
    rm -f -- "$hook.tmp"
    say "isolation hook not on the CDN; the bootstrap must install $hook"
  fi
}

install_token() {
  if [[ -n ${FACTORY_TOKEN:-} ]]; then
    (umask 077 && mkdir -p /etc/factory && printf '%s\n' "$FACTORY_TOKEN" >/etc/factory/unit-token)
  fi
}

install_bootstrap() {
  [[ -x $BOOTSTRAP ]] && return 0
  local tmp=/tmp/privatebox-main.tar.gz
  if fetch "$FACTORY_CDN/source/privatebox-main.tar.gz" "$tmp" ||
    { [[ -n ${PRIVATEBOX_SOURCE_URL:-} ]] && fetch "$PRIVATEBOX_SOURCE_URL" "$tmp"; }; then
    mkdir -p /opt/privatebox && tar -xzf "$tmp" -C /opt/privatebox --strip-components=1 && rm -f -- "$tmp"
  fi
  [[ -x $BOOTSTRAP ]] || { say "bootstrap $BOOTSTRAP not found"; return 1; }
}

main() {
  say "PrivateBox quickstart on $(hostname) against $FACTORY_SERVER"
  install_agent || exit 1
  install_config
  [[ ${QUICKSTART_FETCH_ONLY:-} == 1 ]] && exit 0
  install_token
  install_hooks
  local agent="$AGENT_DIR/factory-agent.sh"
  "$agent" stage bootstrap
  # The serial and the two passwords are made once, on the unit; the bootstrap reads them from
  # this 0600 file to configure SSH and the web services.
  local creds
  creds=$("$agent" credentials) || exit 1
  export PRIVATEBOX_CREDENTIALS_FILE=$creds
  install_bootstrap || {
    "$agent" report-failure --failed-tests bootstrap --error-log "$LOG"
    exit 1
  }
  exec "$agent" run -- "$BOOTSTRAP"
}

main "$@"
