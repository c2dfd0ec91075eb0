#!/usr/bin/env bash
# factory-agent.sh: the unit side of the appliance line (@factory/server).
#
# Runs on a unit while it builds itself: heartbeats with the build stage, self-tests declared in a
# small config, the isolation hooks, and one final report (success with serial, passwords and
# test results, or failure with logs and system state). Needs bash >= 4.4 and curl; uses coreutils
# (timeout, sleep, tail, mv, sync) and, when present, dig, ip and systemctl. No jq, no python.
#
# Reports are written to disk with their Idempotency-Key before the first attempt and retried with
# exponential backoff and jitter until the server accepts them, across restarts of the agent, so a
# report is never lost and never counted twice. Passwords and the token are never logged.
#
# Usage: factory-agent.sh <command> [args]   (factory-agent.sh help)

set -u -o pipefail
shopt -u patsub_replacement 2>/dev/null || true
export LC_ALL=C
umask 077

AGENT_VERSION="1.0.0"

usage() {
  cat <<'USAGE'
factory-agent.sh: heartbeats, self-tests and the final report of an appliance unit.

Commands:
  run [-- BUILD COMMAND...]  heartbeats while the build runs, then self-tests, isolation and the
                             report (exit 0 ready, 1 failed, 3 report still pending, 2 bad config)
  stage NAME                 set the stage the heartbeats carry (sends one at once if running)
  heartbeat                  send one heartbeat now
  heartbeat-start | heartbeat-stop
                             start or stop the background heartbeat loop
  selftest                   run the declared self-tests (exit 0 all pass, 1 a test failed)
  credentials                make the serial and the two passwords once; prints the file to source
  password                   print one new phonetic password
  report-success             report ready with the credentials and the last self-test results
  report-failure [--failed-tests a,b] [--error-log FILE]
                             report failed with the diagnostic data
  deliver                    deliver a report left pending (e.g. after a reboot)
  check-config               validate the configuration and print it (no secrets)
  version

Configuration: environment variables, else KEY=value lines in $FACTORY_AGENT_CONFIG
(default /etc/factory-agent.conf), plus "test NAME KIND ARGS..." lines. See the README of
@factory/server ("Unit agent").
USAGE
}

# ---------------------------------------------------------------------------------------------
# Logging: stderr and $STATE_DIR/agent.log. Never pass a password or the token to log().

log() {
  local level=$1
  shift
  local ts
  TZ=UTC printf -v ts '%(%Y-%m-%dT%H:%M:%SZ)T' -1
  local line="$ts factory-agent[$$] $level: $*"
  printf '%s\n' "$line" >&2
  if [[ -n ${STATE_DIR:-} && -d ${STATE_DIR:-} ]]; then
    printf '%s\n' "$line" >>"$STATE_DIR/agent.log" 2>/dev/null || true
  fi
}

die() {
  log error "$2"
  exit "$1"
}

# ---------------------------------------------------------------------------------------------
# Configuration

declare -a TESTS=()

load_config() {
  local file=${FACTORY_AGENT_CONFIG:-/etc/factory-agent.conf}
  if [[ -n ${FACTORY_AGENT_CONFIG:-} && ! -r $file ]]; then
    die 2 "config file $file cannot be read"
  fi
  if [[ -r $file ]]; then
    local line n=0 key value
    while IFS= read -r line || [[ -n $line ]]; do
      n=$((n + 1))
      line=${line%$'\r'}
      [[ $line =~ ^[[:space:]]*(#.*)?$ ]] && continue
      if [[ $line =~ ^[[:space:]]*(FACTORY_[A-Z0-9_]+)[[:space:]]*=[[:space:]]*(.*)$ ]]; then
        key=${BASH_REMATCH[1]}
        value=${BASH_REMATCH[2]}
        value=${value%"${value##*[![:space:]]}"}
        if [[ $value =~ ^\"(.*)\"$ || $value =~ ^\'(.*)\'$ ]]; then value=${BASH_REMATCH[1]}; fi
        # The environment wins over the file.
        [[ -z ${!key+x} ]] && printf -v "$key" '%s' "$value"
      elif [[ $line =~ ^[[:space:]]*test[[:space:]]+(.*)$ ]]; then
        TESTS+=("${BASH_REMATCH[1]}")
      else
        die 2 "$file line $n is neither KEY=value, a test line nor a comment"
      fi
    done <"$file"
  fi
  if [[ -n ${FACTORY_TESTS:-} ]]; then
    local t
    while IFS= read -r t; do
      [[ $t =~ ^[[:space:]]*(#.*)?$ ]] || TESTS+=("$t")
    done <<<"$FACTORY_TESTS"
  fi

  SERVER=${FACTORY_SERVER:-}
  SERVER=${SERVER%/}
  STATE_DIR=${FACTORY_STATE_DIR:-/var/lib/factory-agent}
  HEARTBEAT_SECONDS=${FACTORY_HEARTBEAT_SECONDS:-60}
  CONNECT_TIMEOUT=${FACTORY_CONNECT_TIMEOUT:-5}
  REQUEST_TIMEOUT=${FACTORY_REQUEST_TIMEOUT:-30}
  HEARTBEAT_TIMEOUT=${FACTORY_HEARTBEAT_TIMEOUT:-10}
  RETRY_BASE_MS=${FACTORY_RETRY_BASE_MS:-1000}
  RETRY_MAX_MS=${FACTORY_RETRY_MAX_MS:-60000}
  REPORT_DEADLINE=${FACTORY_REPORT_DEADLINE_SECONDS:-86400}
  TEST_TIMEOUT=${FACTORY_TEST_TIMEOUT:-10}
  HOOK_TIMEOUT=${FACTORY_HOOK_TIMEOUT:-300}
  BUILD_TIMEOUT=${FACTORY_BUILD_TIMEOUT:-14400}
  LOG_TAIL_BYTES=${FACTORY_LOG_TAIL_BYTES:-65536}
  PASSWORD_MIN_BITS=${FACTORY_PASSWORD_MIN_BITS:-64}
  MAX_BODY_BYTES=${FACTORY_MAX_BODY_BYTES:-8000000}
  DNS_TOOL=${FACTORY_DNS_TOOL:-auto}
  local name
  for name in HEARTBEAT_SECONDS CONNECT_TIMEOUT REQUEST_TIMEOUT HEARTBEAT_TIMEOUT RETRY_BASE_MS \
    RETRY_MAX_MS REPORT_DEADLINE TEST_TIMEOUT HOOK_TIMEOUT BUILD_TIMEOUT LOG_TAIL_BYTES PASSWORD_MIN_BITS MAX_BODY_BYTES; do
    [[ ${!name} =~ ^[0-9]{1,9}$ && ${!name} -gt 0 ]] || die 2 "FACTORY_${name} must be a positive integer, got '${!name}'"
  done
  [[ $DNS_TOOL == auto || $DNS_TOOL == dig || $DNS_TOOL == bash ]] || die 2 "FACTORY_DNS_TOOL must be auto, dig or bash"
  for t in "${TESTS[@]}"; do check_test "$t"; done
  mkdir -p -- "$STATE_DIR" 2>/dev/null || die 2 "cannot create the state directory $STATE_DIR"
  chmod 0700 -- "$STATE_DIR" 2>/dev/null || true
}

need_server() {
  [[ $SERVER =~ ^https?://[^[:space:]/]+(/[^[:space:]]*)?$ ]] || die 2 "FACTORY_SERVER must be http(s)://host[:port], got '${SERVER}'"
  TOKEN=${FACTORY_TOKEN:-}
  if [[ -z $TOKEN && -n ${FACTORY_TOKEN_FILE:-} ]]; then
    [[ -r $FACTORY_TOKEN_FILE ]] || die 2 "token file $FACTORY_TOKEN_FILE cannot be read"
    IFS= read -r TOKEN <"$FACTORY_TOKEN_FILE" || true
    TOKEN=${TOKEN%$'\r'}
  fi
  [[ -n $TOKEN ]] || die 2 "no unit token: set FACTORY_TOKEN or FACTORY_TOKEN_FILE"
  [[ $TOKEN =~ ^[A-Za-z0-9._~+/=-]{8,512}$ ]] || die 2 "the unit token has characters a bearer token cannot have"
}

check_stage() {
  [[ $1 =~ ^[A-Za-z0-9_.:-]{1,128}$ ]] || die 2 "stage '$1' must be 1-128 of A-Z a-z 0-9 _ . : -"
  if [[ -n ${FACTORY_STAGES:-} ]]; then
    local s
    for s in $FACTORY_STAGES; do [[ $s == "$1" ]] && return 0; done
    die 2 "stage '$1' is not one of FACTORY_STAGES ($FACTORY_STAGES)"
  fi
}

# Validates one "NAME KIND ARGS..." test declaration.
check_test() {
  local -a a
  read -r -a a <<<"$1"
  local name=${a[0]:-} kind=${a[1]:-}
  [[ $name =~ ^[a-z0-9_.-]{1,64}$ ]] || die 2 "test '$1': the name must be 1-64 of a-z 0-9 _ . -"
  case $kind in
    http) [[ ${a[2]:-} =~ ^https?:// ]] || die 2 "test $name: http needs a URL" ;;
    tcp) [[ -n ${a[2]:-} && ${a[3]:-} =~ ^[0-9]{1,5}$ ]] || die 2 "test $name: tcp needs HOST PORT" ;;
    dns) [[ -n ${a[2]:-} && -n ${a[3]:-} ]] || die 2 "test $name: dns needs NAME SERVER [EXPECTED_IPV4]" ;;
    systemd) [[ -n ${a[2]:-} ]] || die 2 "test $name: systemd needs at least one unit" ;;
    route) [[ -z ${a[2]:-} || ${a[2]} =~ ^[^:]+:[0-9]{1,5}$ ]] || die 2 "test $name: route takes [HOST:PORT] [GATEWAY]" ;;
    cmd) [[ -n ${a[2]:-} ]] || die 2 "test $name: cmd needs a command" ;;
    *) die 2 "test $name: unknown kind '$kind' (http, tcp, dns, systemd, route, cmd)" ;;
  esac
}

# ---------------------------------------------------------------------------------------------
# JSON strings: backslash, quote and every control character escaped; NUL bytes (which bash
# variables cannot hold) become \u0000. Bytes >= 0x80 pass through, so UTF-8 stays intact.

declare -a CTL_CH=() CTL_REP=()
init_json() {
  local i h ch r
  for ((i = 1; i < 32; i++)); do
    printf -v h '%02x' "$i"
    printf -v ch "\\x$h"
    case $i in
      8) r='\b' ;; 9) r='\t' ;; 10) r='\n' ;; 12) r='\f' ;; 13) r='\r' ;; *) r="\\u00$h" ;;
    esac
    CTL_CH+=("$ch")
    CTL_REP+=("$r")
  done
}

# json_escape TEXT -> REPLY (without the surrounding quotes)
json_escape() {
  local s=$1 i
  s=${s//\\/\\\\}
  s=${s//\"/\\\"}
  for i in "${!CTL_CH[@]}"; do
    [[ $s == *"${CTL_CH[i]}"* ]] && s=${s//"${CTL_CH[i]}"/"${CTL_REP[i]}"}
  done
  REPLY=$s
}

# json_str TEXT -> REPLY ("quoted")
json_str() {
  json_escape "$1"
  REPLY="\"$REPLY\""
}

# json_file_escape FILE -> REPLY: the file's bytes escaped, NULs included.
json_file_escape() {
  local out="" chunk
  while IFS= read -r -d '' chunk; do
    json_escape "$chunk"
    out+="$REPLY\\u0000"
  done <"$1"
  json_escape "$chunk"
  REPLY="$out$REPLY"
}

# ---------------------------------------------------------------------------------------------
# Time, randomness, identity

now_iso() { TZ=UTC printf -v REPLY '%(%Y-%m-%dT%H:%M:%SZ)T' -1; }
now_epoch() { printf -v REPLY '%(%s)T' -1; }

# A uniformly random 32-bit integer from the kernel's CSPRNG (bash >= 5.1: $SRANDOM uses getrandom).
rand32() {
  if ((BASH_VERSINFO[0] > 5 || (BASH_VERSINFO[0] == 5 && BASH_VERSINFO[1] >= 1))); then
    REPLY=$SRANDOM
  else
    local v
    v=$(od -An -N4 -tu4 /dev/urandom) || die 1 "cannot read /dev/urandom"
    REPLY=$((v))
  fi
}

# uniform N -> REPLY in [0, N): rejection sampling, so no value is favoured.
uniform() {
  local n=$1 limit=$((4294967296 - (4294967296 % $1)))
  while :; do
    rand32
    ((REPLY < limit)) && break
  done
  REPLY=$((REPLY % n))
}

new_uuid() {
  local u
  if [[ -r /proc/sys/kernel/random/uuid ]]; then
    IFS= read -r u </proc/sys/kernel/random/uuid
  else
    local a b c d
    rand32; a=$REPLY; rand32; b=$REPLY; rand32; c=$REPLY; rand32; d=$REPLY
    printf -v u '%08x-%04x-4%03x-%04x-%04x%08x' "$a" $((b >> 16)) $((b & 0xfff)) $(((c >> 16) & 0x3fff | 0x8000)) $((c & 0xffff)) "$d"
  fi
  REPLY=$u
}

default_iface() {
  local iface dest rest
  while read -r iface dest rest; do
    if [[ $dest == 00000000 ]]; then
      REPLY=$iface
      return 0
    fi
  done </proc/net/route 2>/dev/null
  return 1
}

# The unit's WAN MAC (FACTORY_MAC, else the address of FACTORY_WAN_IFACE or of the default-route
# interface), remembered in the state directory so it survives the removal of the WAN address.
unit_mac() {
  local mac=${FACTORY_MAC:-}
  if [[ -z $mac && -r $STATE_DIR/mac ]]; then IFS= read -r mac <"$STATE_DIR/mac"; fi
  if [[ -z $mac ]]; then
    local iface=${FACTORY_WAN_IFACE:-}
    if [[ -z $iface ]]; then default_iface && iface=$REPLY; fi
    [[ -n $iface && -r /sys/class/net/$iface/address ]] || die 2 "cannot find the WAN MAC: set FACTORY_MAC or FACTORY_WAN_IFACE"
    IFS= read -r mac <"/sys/class/net/$iface/address"
  fi
  mac=${mac,,}
  [[ $mac =~ ^[0-9a-f]{2}(:[0-9a-f]{2}){5}$ ]] || die 2 "'$mac' is not a MAC address (aa:bb:cc:dd:ee:ff)"
  [[ -r $STATE_DIR/mac ]] || printf '%s\n' "$mac" >"$STATE_DIR/mac"
  MAC=$mac
}

started_epoch() {
  if [[ ! -s $STATE_DIR/started ]]; then
    now_epoch
    printf '%s\n' "$REPLY" >"$STATE_DIR/started"
  fi
  IFS= read -r REPLY <"$STATE_DIR/started"
}

# ---------------------------------------------------------------------------------------------
# HTTP. The token goes to curl through its config on stdin, never on the command line.

# http_post PATH BODYFILE TIMEOUT [IDEMPOTENCY_KEY] -> HTTP_CODE (000 = no answer), HTTP_BODY
http_post() {
  local path=$1 body=$2 max=$3 key=${4:-} resp
  resp="$STATE_DIR/.response.$$"
  local -a args=(-sS -X POST --connect-timeout "$CONNECT_TIMEOUT" --max-time "$max"
    -H "Content-Type: application/json" -H "User-Agent: factory-agent/$AGENT_VERSION"
    --data-binary "@$body" -o "$resp" -w '%{http_code}' -K -)
  [[ -n $key ]] && args+=(-H "Idempotency-Key: $key")
  local err
  HTTP_CODE=$(printf 'header = "Authorization: Bearer %s"\n' "$TOKEN" | curl "${args[@]}" -- "$SERVER$path" 2>"$resp.err")
  local rc=$?
  err=""
  [[ -s $resp.err ]] && IFS= read -r err <"$resp.err"
  HTTP_BODY=""
  [[ -s $resp ]] && IFS= read -r -d '' -n 2000 HTTP_BODY <"$resp"
  rm -f -- "$resp" "$resp.err"
  if ((rc != 0)); then
    HTTP_CODE=000
    HTTP_ERROR="curl exit $rc${err:+: $err}"
  else
    HTTP_ERROR=""
  fi
}

# The server's error message out of {"error":{"code":…,"message":"…"}}, for the log.
server_message() {
  if [[ $HTTP_BODY =~ \"message\":\"(([^\"\\]|\\.)*)\" ]]; then REPLY=${BASH_REMATCH[1]}; else REPLY=${HTTP_BODY:0:200}; fi
}

retryable_code() {
  case $1 in
    000 | 401 | 403 | 408 | 425 | 429 | 5??) return 0 ;;
    *) return 1 ;;
  esac
}

# Sleep for the attempt's backoff: exponential from RETRY_BASE_MS, capped at RETRY_MAX_MS, with
# equal jitter (half fixed, half random) so twenty units do not retry in lockstep.
backoff_sleep() {
  local attempt=$1 cap=$RETRY_BASE_MS i
  for ((i = 0; i < attempt && cap < RETRY_MAX_MS; i++)); do cap=$((cap * 2)); done
  ((cap > RETRY_MAX_MS)) && cap=$RETRY_MAX_MS
  uniform $((cap / 2 + 1))
  local ms=$((cap / 2 + REPLY))
  sleep "$((ms / 1000)).$(printf '%03d' $((ms % 1000)))"
}

# ---------------------------------------------------------------------------------------------
# Heartbeats

send_heartbeat() {
  local stage="" body ts
  [[ -r $STATE_DIR/stage ]] && IFS= read -r stage <"$STATE_DIR/stage"
  now_iso
  ts=$REPLY
  body="$STATE_DIR/.heartbeat.$$.json"
  {
    printf '{"mac_wan":"%s","status":"building"' "$MAC"
    [[ -n $stage ]] && printf ',"stage":"%s"' "$stage"
    if [[ -n ${FACTORY_SWITCH_PORT:-} ]]; then json_str "$FACTORY_SWITCH_PORT"; printf ',"port":%s' "$REPLY"; fi
    printf ',"timestamp":"%s"}' "$ts"
  } >"$body"
  http_post /api/heartbeat "$body" "$HEARTBEAT_TIMEOUT"
  rm -f -- "$body"
  case $HTTP_CODE in
    2??) log info "heartbeat sent (stage ${stage:-none})"; return 0 ;;
    000) log warn "heartbeat not sent: ${HTTP_ERROR}" ;;
    *) server_message; log warn "heartbeat refused ($HTTP_CODE): $REPLY" ;;
  esac
  return 1
}

heartbeat_loop() {
  local child="" sleeper="" again=0
  # Stopping ends the pause at once but lets a heartbeat in flight finish (curl's own bound), so
  # once heartbeat-stop returns no heartbeat of this loop can still reach the server.
  trap 'if [[ -n $sleeper ]]; then kill "$sleeper" 2>/dev/null; elif [[ -n $child ]]; then wait "$child"; fi; exit 0' TERM INT
  # A stage change (USR1) during a heartbeat in flight is sent right after it; during the pause,
  # at once (the trap ends the pause's sleep).
  trap 'again=1; [[ -n $sleeper ]] && kill "$sleeper" 2>/dev/null' USR1
  while :; do
    again=0
    send_heartbeat &
    child=$!
    while kill -0 "$child" 2>/dev/null; do wait "$child"; done
    ((again)) && continue
    sleep "$HEARTBEAT_SECONDS" &
    child=$!
    sleeper=$child
    # A USR1 that came after the check above but before `sleeper` was set must not wait a whole interval.
    ((again)) && kill "$sleeper" 2>/dev/null
    wait "$child"
    kill "$child" 2>/dev/null
    child="" sleeper=""
  done
}

heartbeat_pid() {
  local pid
  [[ -r $STATE_DIR/heartbeat.pid ]] || return 1
  IFS= read -r pid <"$STATE_DIR/heartbeat.pid" || return 1
  [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null || return 1
  REPLY=$pid
}

heartbeat_start() {
  if heartbeat_pid; then
    log info "heartbeat loop already running (pid $REPLY)"
    return 0
  fi
  heartbeat_loop </dev/null >/dev/null 2>&1 &
  printf '%s\n' "$!" >"$STATE_DIR/heartbeat.pid"
  log info "heartbeats every ${HEARTBEAT_SECONDS}s to $SERVER (pid $!)"
}

heartbeat_stop() {
  heartbeat_pid || return 0
  local pid=$REPLY i
  kill -TERM "$pid" 2>/dev/null
  for ((i = 0; i < 150; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  rm -f -- "$STATE_DIR/heartbeat.pid"
  log info "heartbeats stopped"
}

set_stage() {
  check_stage "$1"
  write_stage "$1"
}

# The agent's own stages (self_test, isolation, reporting) are not held to FACTORY_STAGES.
write_stage() {
  [[ $1 =~ ^[A-Za-z0-9_.:-]{1,128}$ ]] || die 2 "stage '$1' must be 1-128 of A-Z a-z 0-9 _ . : -"
  printf '%s\n' "$1" >"$STATE_DIR/stage.tmp" && mv -f -- "$STATE_DIR/stage.tmp" "$STATE_DIR/stage"
  log info "stage $1"
  if heartbeat_pid; then kill -USR1 "$REPLY" 2>/dev/null || true; fi
}

# ---------------------------------------------------------------------------------------------
# Self-tests. Each is bounded by FACTORY_TEST_TIMEOUT; its output is kept for the failure report.

# DNS over TCP (RFC 1035 4.2.2) with bash's /dev/tcp: sends an A query, checks the answer's id,
# QR bit and RCODE, and finds the A records. Used when dig is missing.
dns_query_bash() {
  local name=${1%.} server=$2 port=$3 expect=${4:-}
  [[ $name =~ ^[A-Za-z0-9_-]{1,63}(\.[A-Za-z0-9_-]{1,63})*$ ]] || { echo "'$1' is not a DNS name"; return 1; }
  local -a labels
  IFS=. read -r -a labels <<<"$name"
  local q="" l qlen=0
  for l in "${labels[@]}"; do
    printf -v q '%s\\x%02x%s' "$q" "${#l}" "$l"
    qlen=$((qlen + ${#l} + 1))
  done
  uniform 65536
  local id=$REPLY msg mlen=$((12 + qlen + 1 + 4))
  # Length prefix, header (RD set, one question), QNAME, QTYPE A, QCLASS IN.
  printf -v msg '\\x%02x\\x%02x\\x%02x\\x%02x\\x01\\x00\\x00\\x01\\x00\\x00\\x00\\x00\\x00\\x00%s\\x00\\x00\\x01\\x00\\x01' \
    $((mlen >> 8)) $((mlen & 255)) $((id >> 8)) $((id & 255)) "$q"
  exec 3<>"/dev/tcp/$server/$port" || { echo "cannot connect to $server:$port (tcp)"; return 1; }
  # shellcheck disable=SC2059
  printf "$msg" >&3
  local -a b=()
  local c i total
  for ((i = 0; i < 2; i++)); do
    IFS= read -r -d '' -n 1 -t "$TEST_TIMEOUT" c <&3 || { exec 3<&-; echo "no DNS answer from $server"; return 1; }
    printf -v c '%d' "'$c"
    b+=($((c & 255)))
  done
  total=$(((b[0] << 8) | b[1]))
  ((total >= 12)) || { exec 3<&-; echo "short DNS answer"; return 1; }
  b=()
  for ((i = 0; i < total; i++)); do
    IFS= read -r -d '' -n 1 -t "$TEST_TIMEOUT" c <&3 || { exec 3<&-; echo "DNS answer cut short"; return 1; }
    printf -v c '%d' "'$c"
    b+=($((c & 255)))
  done
  exec 3<&-
  local rid=$(((b[0] << 8) | b[1])) flags=$(((b[2] << 8) | b[3])) an=$(((b[6] << 8) | b[7]))
  ((rid == id)) || { echo "DNS answer id $rid does not match the query $id"; return 1; }
  ((flags & 0x8000)) || { echo "not a DNS answer"; return 1; }
  local rcode=$((flags & 15))
  ((rcode == 0)) || { echo "DNS rcode $rcode for $name from $server"; return 1; }
  # Skip the question: name, type, class.
  local p=12
  while ((p < total)); do
    if (((b[p] & 0xc0) == 0xc0)); then p=$((p + 2)); break; fi
    if ((b[p] == 0)); then p=$((p + 1)); break; fi
    p=$((p + b[p] + 1))
  done
  p=$((p + 4))
  local found="" k type rdlen
  for ((k = 0; k < an && p + 10 <= total; k++)); do
    while ((p < total)); do
      if (((b[p] & 0xc0) == 0xc0)); then p=$((p + 2)); break; fi
      if ((b[p] == 0)); then p=$((p + 1)); break; fi
      p=$((p + b[p] + 1))
    done
    type=$(((b[p] << 8) | b[p + 1]))
    rdlen=$(((b[p + 8] << 8) | b[p + 9]))
    p=$((p + 10))
    if ((type == 1 && rdlen == 4 && p + 4 <= total)); then found+="${b[p]}.${b[p + 1]}.${b[p + 2]}.${b[p + 3]} "; fi
    p=$((p + rdlen))
  done
  [[ -n $found ]] || { echo "no A record for $name from $server"; return 1; }
  echo "$name -> $found(via $server, tcp)"
  [[ -z $expect || " $found" == *" $expect "* ]] || { echo "expected $expect"; return 1; }
  return 0
}

dns_check() {
  local name=$1 server=$2 expect=${3:-} tool=$DNS_TOOL port=53
  if [[ $server =~ ^([^:]+):([0-9]{1,5})$ ]]; then server=${BASH_REMATCH[1]}; port=${BASH_REMATCH[2]}; fi
  if [[ $tool == auto ]]; then if command -v dig >/dev/null 2>&1; then tool=dig; else tool=bash; fi; fi
  if [[ $tool == dig ]]; then
    local out
    out=$(dig +short +time=2 +tries=2 -p "$port" "@$server" "$name" A 2>&1) || { echo "$out"; return 1; }
    local found=""
    while IFS= read -r l; do [[ $l =~ ^[0-9]+(\.[0-9]+){3}$ ]] && found+="$l "; done <<<"$out"
    [[ -n $found ]] || { echo "no A record for $name from $server: $out"; return 1; }
    echo "$name -> $found(via $server, dig)"
    [[ -z $expect || " $found" == *" $expect "* ]] || { echo "expected $expect"; return 1; }
    return 0
  fi
  dns_query_bash "$name" "$server" "$port" "$expect"
}

status_matches() {
  local got=$1 spec=$2 s
  local -a specs
  IFS=, read -r -a specs <<<"$spec"
  for s in "${specs[@]}"; do
    s=${s//x/?}
    # shellcheck disable=SC2053
    [[ $got == $s ]] && return 0
  done
  return 1
}

# run_test "NAME KIND ARGS..." -> prints what it saw; exit status decides.
run_test_body() {
  local -a a
  read -r -a a <<<"$1"
  local kind=${a[1]}
  case $kind in
    http)
      local url=${a[2]} want=${a[3]:-200} insecure=${a[4]:-} out
      local -a extra=()
      [[ $insecure == insecure ]] && extra=(-k)
      out=$(curl -s -o /dev/null -w '%{http_code} %{errormsg}' "${extra[@]}" --connect-timeout "$TEST_TIMEOUT" \
        --max-time "$TEST_TIMEOUT" -- "$url" 2>/dev/null)
      echo "GET $url -> $out (want $want)"
      status_matches "${out:0:3}" "$want"
      ;;
    tcp)
      timeout "$TEST_TIMEOUT" bash -c 'exec 3<>"/dev/tcp/$0/$1"' "${a[2]}" "${a[3]}" 2>&1 &&
        echo "tcp ${a[2]}:${a[3]} open" || { echo "tcp ${a[2]}:${a[3]} closed or filtered"; return 1; }
      ;;
    dns)
      (dns_check "${a[2]}" "${a[3]}" "${a[4]:-}")
      ;;
    systemd)
      local u rc=0 state
      for u in "${a[@]:2}"; do
        state=$(timeout "$TEST_TIMEOUT" systemctl is-active -- "$u" 2>&1)
        echo "$u: $state"
        [[ $state == active ]] || rc=1
      done
      return $rc
      ;;
    route)
      local target=${a[2]:-1.1.1.1:443} gw=${a[3]:-} iface dest g rest have=""
      while read -r iface dest g rest; do
        if [[ $dest == 00000000 ]]; then
          have=$(printf '%d.%d.%d.%d' "0x${g:6:2}" "0x${g:4:2}" "0x${g:2:2}" "0x${g:0:2}")
          break
        fi
      done </proc/net/route
      [[ -n $have ]] || { echo "no default route"; return 1; }
      echo "default route via $have ($iface)"
      [[ -z $gw || $gw == "$have" ]] || { echo "expected the default route via $gw"; return 1; }
      timeout "$TEST_TIMEOUT" bash -c 'exec 3<>"/dev/tcp/$0/$1"' "${target%:*}" "${target##*:}" 2>&1 &&
        echo "reached $target" || { echo "cannot reach $target"; return 1; }
      ;;
    cmd)
      [[ $1 =~ ^[[:space:]]*[^[:space:]]+[[:space:]]+cmd[[:space:]]+(.*)$ ]]
      timeout "$TEST_TIMEOUT" bash -c "${BASH_REMATCH[1]}" 2>&1
      ;;
  esac
}

# Runs every declared test; writes $STATE_DIR/test-results (NAME pass|fail) and test-output.
run_selftests() {
  local t name out rc failed=0
  : >"$STATE_DIR/test-results.tmp"
  : >"$STATE_DIR/test-output"
  for t in "${TESTS[@]}"; do
    name=${t%%[[:space:]]*}
    out=$(timeout $((TEST_TIMEOUT * 3)) bash -c "$(declare -f); $(declare -p TEST_TIMEOUT DNS_TOOL CTL_CH CTL_REP); run_test_body \"\$1\"" _ "$t" 2>&1)
    rc=$?
    out=${out:0:4000}
    if ((rc == 0)); then
      printf '%s pass\n' "$name" >>"$STATE_DIR/test-results.tmp"
      log info "self-test $name: pass"
    else
      failed=1
      printf '%s fail\n' "$name" >>"$STATE_DIR/test-results.tmp"
      printf -- '--- %s (%s) failed:\n%s\n' "$name" "$t" "$out" >>"$STATE_DIR/test-output"
      log warn "self-test $name: FAIL"
    fi
  done
  mv -f -- "$STATE_DIR/test-results.tmp" "$STATE_DIR/test-results"
  return $failed
}

# test_results_json -> REPLY ({"name":"pass",...}); FAILED_TESTS (array)
test_results_json() {
  local json="" name result
  FAILED_TESTS=()
  if [[ -r $STATE_DIR/test-results ]]; then
    while read -r name result; do
      [[ -n $name ]] || continue
      json+="${json:+,}\"$name\":\"$result\""
      [[ $result == pass ]] || FAILED_TESTS+=("$name")
    done <"$STATE_DIR/test-results"
  fi
  REPLY="{$json}"
}

# ---------------------------------------------------------------------------------------------
# Credentials: the serial (a random UUID) and two phonetic passwords, made once on the unit and
# kept mode 0600 in $STATE_DIR/credentials until the report is delivered. A bootstrap that makes
# its own may pass them as FACTORY_SERIAL / FACTORY_ADMIN_PASSWORD / FACTORY_SERVICES_PASSWORD.

declare -A FORMS=([a]="a A 4" [b]="b B" [c]="c" [d]="d D" [e]="e E 3" [f]="f F" [g]="g G" [h]="h H"
  [i]="i 1" [j]="j J" [k]="k K" [l]="L" [m]="m M" [n]="n N" [o]="o 0" [p]="p P" [q]="q Q" [r]="r R"
  [s]="s 5" [t]="t T" [u]="u" [v]="v" [w]="w" [x]="x" [y]="y Y" [z]="z")

declare -a WORDS=()
WORDS_PER_PASSWORD=0
BITS_PER_WORD=0

fetch_words() {
  # fetch_words FILE: the server's word list, retried with backoff like a report.
  need_server
  local tmp="$1.tmp.$$" attempt=0 start=$SECONDS
  while :; do
    if curl -fsS --connect-timeout "$CONNECT_TIMEOUT" --max-time "$REQUEST_TIMEOUT" -o "$tmp" -- "$SERVER/agent/words.txt" 2>"$tmp.err"; then
      mv -f -- "$tmp" "$1"
      rm -f -- "$tmp.err"
      return 0
    fi
    local err=""
    [[ -s $tmp.err ]] && IFS= read -r err <"$tmp.err"
    log warn "word list not fetched from $SERVER/agent/words.txt: $err"
    if ((SECONDS - start >= REPORT_DEADLINE)); then
      rm -f -- "$tmp" "$tmp.err"
      die 1 "cannot fetch the password word list from $SERVER/agent/words.txt"
    fi
    backoff_sleep "$attempt"
    attempt=$((attempt + 1))
  done
}

load_words() {
  ((${#WORDS[@]} > 0)) && return 0
  local file=${FACTORY_WORDS_FILE:-$STATE_DIR/words.txt} meta=$STATE_DIR/words.meta
  [[ -s $file ]] || fetch_words "$file"
  mapfile -t WORDS <"$file"
  local n=${#WORDS[@]} min=-1 mpath="" mn="" mmin=""
  if [[ -s $meta && $meta -nt $file ]]; then
    IFS=$'\t' read -r mpath mn mmin <"$meta"
  fi
  if [[ $mpath == "$file" && $mn == "$n" && $mmin =~ ^[0-9]+$ ]]; then
    min=$mmin
  else
    ((n >= 2)) || die 1 "the word list $file has fewer than 2 words"
    local all
    all=$(<"$file")
    [[ $all != *[!a-z$'\n']* && $all != *$'\n\n'* ]] || die 1 "the word list $file has an entry that is not lower-case a-z"
    declare -A seen=()
    local w
    for w in "${WORDS[@]}"; do seen[$w]=1; done
    ((${#seen[@]} == n)) || die 1 "the word list $file has duplicates; they would overstate the entropy"
    # Forms per word: 3 for a and e, 1 for c l u v w x z, 2 for every other letter.
    local -a rest threes
    mapfile -t rest <<<"${all//[cluvwxz]/}"
    mapfile -t threes <<<"${all//[!ae$'\n']/}"
    local i p
    for ((i = 0; i < n; i++)); do
      p=$(((3 ** ${#threes[i]}) << (${#rest[i]} - ${#threes[i]})))
      ((min < 0 || p < min)) && min=$p
    done
    printf '%s\t%s\t%s\n' "$file" "$n" "$min" >"$meta"
  fi
  # Guaranteed bits per word, rounded down: floor(log2(list size * fewest letter forms)).
  local v=$((n * min)) b=0
  while ((v > 1)); do v=$((v >> 1)); b=$((b + 1)); done
  ((b > 0)) || die 1 "the word list is too small"
  BITS_PER_WORD=$b
  WORDS_PER_PASSWORD=$(((PASSWORD_MIN_BITS + b - 1) / b))
  ((WORDS_PER_PASSWORD <= 16)) || die 1 "the word list cannot reach $PASSWORD_MIN_BITS bits in 16 words"
}

# new_password -> REPLY, e.g. cReAm-h0NEY-5PiN4cH-fLuTE
new_password() {
  load_words
  local out="" i word ch k
  local -a forms
  for ((i = 0; i < WORDS_PER_PASSWORD; i++)); do
    uniform ${#WORDS[@]}
    word=${WORDS[REPLY]}
    ((i > 0)) && out+="-"
    for ((k = 0; k < ${#word}; k++)); do
      ch=${word:k:1}
      read -r -a forms <<<"${FORMS[$ch]}"
      if ((${#forms[@]} == 1)); then
        out+=${forms[0]}
      else
        uniform ${#forms[@]}
        out+=${forms[REPLY]}
      fi
    done
  done
  REPLY=$out
}

ensure_credentials() {
  local file=$STATE_DIR/credentials
  if [[ ! -s $file ]]; then
    local serial=${FACTORY_SERIAL:-} admin=${FACTORY_ADMIN_PASSWORD:-} services=${FACTORY_SERVICES_PASSWORD:-}
    if [[ -z $serial ]]; then new_uuid; serial=$REPLY; fi
    if [[ -z $admin ]]; then new_password; admin=$REPLY; fi
    if [[ -z $services ]]; then new_password; services=$REPLY; fi
    local v
    for v in "$serial" "$admin" "$services"; do
      [[ $v =~ ^[A-Za-z0-9._~+=:/!#*@%^,-]{1,128}$ ]] || die 2 "a supplied serial or password has characters outside A-Z a-z 0-9 ._~+=:/!#*@%^,- (or is longer than 128)"
    done
    (
      umask 077
      printf 'FACTORY_SERIAL=%s\nFACTORY_ADMIN_PASSWORD=%s\nFACTORY_SERVICES_PASSWORD=%s\n' "$serial" "$admin" "$services" >"$file.tmp"
    ) && mv -f -- "$file.tmp" "$file" || die 1 "cannot write $file"
    log info "credentials made for serial $serial (passwords not logged)"
  fi
  local key value
  while IFS='=' read -r key value; do
    case $key in
      FACTORY_SERIAL) SERIAL=$value ;;
      FACTORY_ADMIN_PASSWORD) ADMIN_PASSWORD=$value ;;
      FACTORY_SERVICES_PASSWORD) SERVICES_PASSWORD=$value ;;
    esac
  done <"$file"
}

# ---------------------------------------------------------------------------------------------
# Diagnostics for a failure report (seed 002): log tails, systemctl status, network configuration.

section() {
  # section TITLE FILE-OR-COMMAND-OUTPUT-FILE
  printf '===== %s =====\n' "$1"
  if [[ -s $2 ]]; then cat -- "$2"; else printf '(empty)\n'; fi
  printf '\n'
}

collect_diagnostics() {
  local out=$1 tmp="$STATE_DIR/.diag.$$" f
  : >"$out"
  for f in ${FACTORY_LOGS:-}; do
    if [[ -r $f ]]; then
      tail -c "$LOG_TAIL_BYTES" -- "$f" >"$tmp" 2>&1
      section "$f (last $LOG_TAIL_BYTES bytes)" "$tmp" >>"$out"
    else
      printf '===== %s =====\n(missing)\n\n' "$f" >>"$out"
    fi
  done
  local -a cmds=()
  if command -v systemctl >/dev/null 2>&1; then
    [[ -n ${FACTORY_SERVICES:-} ]] && cmds+=("systemctl status --no-pager --lines=30 ${FACTORY_SERVICES}")
    cmds+=("systemctl --failed --no-pager")
  fi
  if command -v ip >/dev/null 2>&1; then cmds+=("ip addr show" "ip route show" "ip -6 route show"); fi
  command -v ss >/dev/null 2>&1 && cmds+=("ss -tlnp")
  local c
  for c in "${cmds[@]}"; do
    timeout "$TEST_TIMEOUT" bash -c "$c" 2>&1 | head -c "$LOG_TAIL_BYTES" >"$tmp"
    section "$c" "$tmp" >>"$out"
  done
  for f in /etc/network/interfaces /etc/resolv.conf /etc/hosts; do
    [[ -r $f ]] && head -c "$LOG_TAIL_BYTES" -- "$f" >"$tmp" && section "$f" "$tmp" >>"$out"
  done
  rm -f -- "$tmp"
}

# ---------------------------------------------------------------------------------------------
# Reports: written once to $STATE_DIR/report.pending/{key,body.json} (renamed into place), then
# delivered; on success the directory becomes report.delivered and the body (passwords) is removed.

write_report() {
  # write_report BODYFILE STATUS
  local dir=$STATE_DIR/report.pending tmp=$STATE_DIR/report.tmp.$$
  [[ -e $dir || -e $STATE_DIR/report.delivered ]] && die 1 "a report was already made for this unit; use deliver"
  rm -rf -- "$tmp"
  (umask 077 && mkdir -- "$tmp") || die 1 "cannot create $tmp"
  new_uuid
  printf '%s\n' "$REPLY" >"$tmp/key"
  printf '%s\n' "$2" >"$tmp/status"
  mv -- "$1" "$tmp/body.json"
  sync 2>/dev/null || true
  mv -- "$tmp" "$dir" || die 1 "cannot store the report in $dir"
  sync 2>/dev/null || true
  log info "$2 report stored for delivery (Idempotency-Key $REPLY)"
}

# Delivers the pending report. Exit codes: 0 accepted (new or already there), 3 still pending
# after the deadline, 4 refused by the server (kept in report.rejected for a person to look at).
deliver() {
  local dir=$STATE_DIR/report.pending
  if [[ ! -d $dir ]]; then
    if [[ -d $STATE_DIR/report.delivered ]]; then
      rm -f -- "$STATE_DIR/report.delivered/body.json"
      log info "the report was already delivered"
      return 0
    fi
    log info "no report to deliver"
    return 0
  fi
  need_server
  local key status attempt=0 start=$SECONDS
  IFS= read -r key <"$dir/key"
  IFS= read -r status <"$dir/status" || status=unknown
  while :; do
    http_post /api/units "$dir/body.json" "$REQUEST_TIMEOUT" "$key"
    case $HTTP_CODE in
      200 | 201)
        printf '%s\n' "$HTTP_CODE" >"$dir/http-status"
        if mv -- "$dir" "$STATE_DIR/report.delivered" 2>/dev/null; then :; fi
        rm -f -- "$STATE_DIR/report.delivered/body.json" "$STATE_DIR/credentials"
        log info "$status report delivered (HTTP $HTTP_CODE$([[ $HTTP_CODE == 200 ]] && echo ', already recorded'))"
        return 0
        ;;
    esac
    if ! retryable_code "$HTTP_CODE"; then
      server_message
      mv -- "$dir" "$STATE_DIR/report.rejected" 2>/dev/null || true
      log error "the server refused the $status report (HTTP $HTTP_CODE): $REPLY; kept in $STATE_DIR/report.rejected"
      return 4
    fi
    if [[ $HTTP_CODE == 000 ]]; then
      log warn "report attempt $((attempt + 1)) failed: $HTTP_ERROR"
    else
      server_message
      log warn "report attempt $((attempt + 1)) answered $HTTP_CODE: $REPLY"
    fi
    if ((SECONDS - start >= REPORT_DEADLINE)); then
      log error "report not delivered within ${REPORT_DEADLINE}s; it stays in $dir (run: factory-agent.sh deliver)"
      return 3
    fi
    backoff_sleep "$attempt"
    attempt=$((attempt + 1))
  done
}

build_common_json() {
  local started
  started_epoch
  started=$REPLY
  now_epoch
  local dur=$((REPLY - started))
  ((dur < 0)) && dur=0
  now_iso
  REPLY="\"mac_wan\":\"$MAC\",\"build_time\":\"$REPLY\",\"build_duration_seconds\":$dur"
}

report_success() {
  ensure_credentials
  local tmp="$STATE_DIR/.body.$$" common results
  build_common_json
  common=$REPLY
  test_results_json
  results=$REPLY
  if ((${#FAILED_TESTS[@]} > 0)); then die 1 "the last self-test failed (${FAILED_TESTS[*]}); use report-failure"; fi
  local s a v
  json_str "$SERIAL"; s=$REPLY
  json_str "$ADMIN_PASSWORD"; a=$REPLY
  json_str "$SERVICES_PASSWORD"; v=$REPLY
  (umask 077 && printf '{%s,"status":"ready","serial":%s,"admin_password":%s,"services_password":%s,"test_results":%s}' \
    "$common" "$s" "$a" "$v" "$results" >"$tmp") || die 1 "cannot write the report"
  write_report "$tmp" ready
  deliver
}

# report_failure FAILED_CSV ERROR_LOG_FILE
# cut_tail FILE BYTES: the file, or its last BYTES bytes after a note saying so.
cut_tail() {
  local size
  size=$(wc -c <"$1")
  if ((size <= $2)); then
    cat -- "$1"
  else
    printf '(first %s bytes cut to fit the report)\n' $((size - $2))
    tail -c "$2" -- "$1"
  fi
}

report_failure() {
  local failed_csv=$1 error_file=$2 tmp="$STATE_DIR/.body.$$" common results diag="$STATE_DIR/.diag-all.$$"
  build_common_json
  common=$REPLY
  test_results_json
  results=$REPLY
  local -a failed=("${FAILED_TESTS[@]}")
  if [[ -n $failed_csv ]]; then IFS=, read -r -a failed <<<"$failed_csv"; fi
  local list="" f
  for f in "${failed[@]}"; do
    [[ $f =~ ^[A-Za-z0-9_.:-]{1,64}$ ]] || die 2 "failed test name '$f' must be 1-64 of A-Z a-z 0-9 _ . : -"
    list+="${list:+,}\"$f\""
  done
  local serial=""
  if [[ -s $STATE_DIR/credentials ]]; then
    local key value
    while IFS='=' read -r key value; do [[ $key == FACTORY_SERIAL ]] && serial=$value; done <"$STATE_DIR/credentials"
  fi
  collect_diagnostics "$diag"
  local errlog="" REPLY
  {
    [[ -s $STATE_DIR/test-output ]] && cat -- "$STATE_DIR/test-output"
    [[ -n $error_file && -r $error_file ]] && tail -c "$LOG_TAIL_BYTES" -- "$error_file"
  } >"$diag.err"
  # The server takes bodies up to 8 MiB and at most 1 000 000 / 4 000 000 characters of error log
  # and diagnostics; escaping can grow text up to six times, so cut from the front until it fits.
  local err_cap=524288 diag_cap=1500000 size
  while :; do
    cut_tail "$diag.err" "$err_cap" >"$diag.cut"
    json_file_escape "$diag.cut"
    errlog=$REPLY
    cut_tail "$diag" "$diag_cap" >"$diag.cut"
    json_file_escape "$diag.cut"
    {
      printf '{%s,"status":"failed"' "$common"
      [[ -n $serial ]] && printf ',"serial":"%s"' "$serial"
      printf ',"test_results":%s,"failed_tests":[%s],"error_log":"' "$results" "$list"
      printf '%s' "$errlog"
      printf '","diagnostic_data":"'
      printf '%s' "$REPLY"
      printf '"}'
    } >"$tmp" || die 1 "cannot write the report"
    size=$(wc -c <"$tmp")
    ((size <= MAX_BODY_BYTES || diag_cap <= 4096)) && break
    err_cap=$((err_cap / 2))
    diag_cap=$((diag_cap / 2))
    log warn "failure report of $size bytes is too large; keeping the last $diag_cap bytes of diagnostics"
  done
  rm -f -- "$diag.cut"
  rm -f -- "$diag" "$diag.err"
  write_report "$tmp" failed
  deliver
}

run_hook() {
  # run_hook NAME COMMAND: bounded; output appended to the test output on failure.
  local out rc
  out=$(timeout "$HOOK_TIMEOUT" bash -c "$2" 2>&1)
  rc=$?
  if ((rc != 0)); then
    printf -- '--- %s hook failed (exit %s): %s\n%s\n' "$1" "$rc" "$2" "${out: -4000}" >>"$STATE_DIR/test-output"
    log warn "$1 hook failed (exit $rc)"
  else
    log info "$1 hook ok"
  fi
  return $rc
}

restore_wan() {
  [[ -n ${FACTORY_RESTORE_WAN_CMD:-} ]] || return 0
  run_hook restore_wan "$FACTORY_RESTORE_WAN_CMD" || true
}

finish_code() {
  local status=unknown
  [[ -r $STATE_DIR/report.delivered/status ]] && IFS= read -r status <"$STATE_DIR/report.delivered/status"
  [[ $status == ready ]] && return 0
  return 1
}

cmd_run() {
  need_server
  unit_mac
  if [[ -d $STATE_DIR/report.delivered ]]; then
    log info "this unit has already reported"
    finish_code
    return $?
  fi
  if [[ -d $STATE_DIR/report.pending ]]; then
    log info "delivering the report left pending by an earlier run"
    deliver
    local rc=$?
    ((rc == 0)) || return $((rc == 4 ? 4 : 3))
    finish_code
    return $?
  fi
  started_epoch >/dev/null
  ensure_credentials
  trap 'heartbeat_stop' EXIT
  trap 'exit 130' INT TERM
  heartbeat_start
  local build_rc=0
  if (($# > 0)); then
    log info "build: $*"
    timeout "$BUILD_TIMEOUT" "$@"
    build_rc=$?
    ((build_rc == 0)) || log error "build command failed (exit $build_rc)"
  fi
  : >"$STATE_DIR/test-output"
  if ((build_rc != 0)); then
    printf -- '--- build command failed (exit %s): %s\n' "$build_rc" "$*" >>"$STATE_DIR/test-output"
    printf 'build fail\n' >"$STATE_DIR/test-results"
    restore_wan
    heartbeat_stop
    report_failure "build" "" || return 3
    return 1
  fi
  write_stage "${FACTORY_SELFTEST_STAGE:-self_test}"
  local tests_ok=0
  run_selftests || tests_ok=1
  local iso_test=""
  if ((tests_ok == 0)) && [[ -n ${FACTORY_ISOLATE_CMD:-}${FACTORY_ISOLATION_CHECK_CMD:-} ]]; then
    write_stage "${FACTORY_ISOLATION_STAGE:-isolation}"
    local iso=pass
    if [[ -n ${FACTORY_ISOLATE_CMD:-} ]]; then run_hook isolate "$FACTORY_ISOLATE_CMD" || iso=fail; fi
    if [[ $iso == pass && -n ${FACTORY_ISOLATION_CHECK_CMD:-} ]]; then
      run_hook isolation_check "$FACTORY_ISOLATION_CHECK_CMD" || iso=fail
    fi
    printf 'isolation %s\n' "$iso" >>"$STATE_DIR/test-results"
    [[ $iso == pass ]] || tests_ok=1
  fi
  write_stage "${FACTORY_REPORT_STAGE:-reporting}"
  heartbeat_stop
  local rc
  if ((tests_ok == 0)); then
    report_success
    rc=$?
    ((rc == 0)) && return 0
  else
    restore_wan
    report_failure "" ""
    rc=$?
    ((rc == 0)) && return 1
  fi
  ((rc == 4)) && return 4
  return 3
}

cmd_check_config() {
  printf 'server=%s\nstate_dir=%s\nheartbeat_seconds=%s\nrequest_timeout=%s\nconnect_timeout=%s\n' \
    "$SERVER" "$STATE_DIR" "$HEARTBEAT_SECONDS" "$REQUEST_TIMEOUT" "$CONNECT_TIMEOUT"
  printf 'token=%s\n' "$([[ -n ${FACTORY_TOKEN:-}${FACTORY_TOKEN_FILE:-} ]] && echo set || echo MISSING)"
  printf 'stages=%s\nlogs=%s\nservices=%s\n' "${FACTORY_STAGES:-any}" "${FACTORY_LOGS:-}" "${FACTORY_SERVICES:-}"
  printf 'isolate=%s\nisolation_check=%s\nrestore_wan=%s\n' "${FACTORY_ISOLATE_CMD:+set}" \
    "${FACTORY_ISOLATION_CHECK_CMD:+set}" "${FACTORY_RESTORE_WAN_CMD:+set}"
  local t
  for t in "${TESTS[@]}"; do printf 'test %s\n' "$t"; done
}

main() {
  local cmd=${1:-help}
  (($# > 0)) && shift
  case $cmd in
    help | -h | --help) usage; return 0 ;;
    version | --version) echo "factory-agent $AGENT_VERSION"; return 0 ;;
  esac
  init_json
  load_config
  case $cmd in
    run)
      [[ ${1:-} == -- ]] && shift
      cmd_run "$@"
      ;;
    stage) [[ $# -eq 1 ]] || die 2 "usage: stage NAME"; set_stage "$1" ;;
    heartbeat) need_server; unit_mac; send_heartbeat ;;
    heartbeat-start) need_server; unit_mac; started_epoch >/dev/null; heartbeat_start ;;
    heartbeat-stop) heartbeat_stop ;;
    selftest)
      run_selftests
      local rc=$?
      cat -- "$STATE_DIR/test-results"
      return $rc
      ;;
    credentials) ensure_credentials; printf '%s\n' "$STATE_DIR/credentials" ;;
    password) new_password; printf '%s\n' "$REPLY" ;;
    report-success) need_server; unit_mac; report_success ;;
    report-failure)
      local failed="" errfile=""
      while (($# > 0)); do
        case $1 in
          --failed-tests) failed=${2:-}; shift 2 ;;
          --error-log) errfile=${2:-}; shift 2 ;;
          *) die 2 "report-failure: unknown option $1" ;;
        esac
      done
      need_server
      unit_mac
      report_failure "$failed" "$errfile"
      ;;
    deliver) deliver ;;
    check-config) cmd_check_config ;;
    *) usage >&2; return 2 ;;
  esac
}

main "$@"
