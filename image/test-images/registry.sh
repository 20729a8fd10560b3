#!/bin/bash
# registry.sh: a throwaway docker-registry (distribution 2.8) on loopback, for tests.
#   registry.sh start STORAGE_DIR [PORT]   serve an existing storage root; prints the port
#   registry.sh stop                        stop the one started with the same state dir
#   registry.sh libs                        the binary and the shared libraries it loads
# State (config.yml, registry.pid, port, registry.log) lives in $FLINT_REGISTRY_STATE
# (default /tmp/flint-registry). POSIX sh: also runs under busybox sh.
set -eu

STATE=${FLINT_REGISTRY_STATE:-/tmp/flint-registry}
log() { echo "registry.sh: $*" >&2; }

usage() {
  cat <<'USAGE'
usage: registry.sh start STORAGE_DIR [PORT]
       registry.sh stop
       registry.sh libs
start  runs docker-registry on 127.0.0.1:PORT (a free port when PORT is not given) serving the
       registry storage root STORAGE_DIR (storage.delete enabled), waits until GET /v2/ answers,
       and prints the port on stdout. Writes config.yml, registry.pid, port and registry.log
       into $FLINT_REGISTRY_STATE (default /tmp/flint-registry).
stop   stops the registry whose pid is in $FLINT_REGISTRY_STATE/registry.pid.
libs   prints, one a line, the absolute path of the docker-registry binary and of every shared
       library ldd lists for it (dynamic loader included). It needs no other file: start writes
       its own config, and plain-http loopback needs no CA bundle.
Environment: FLINT_REGISTRY_STATE, FLINT_REGISTRY_BIN (default: docker-registry on PATH).
USAGE
}

find_bin() {
  if [ -n "${FLINT_REGISTRY_BIN:-}" ]; then echo "$FLINT_REGISTRY_BIN"; return; fi
  if command -v docker-registry >/dev/null 2>&1; then command -v docker-registry; return; fi
  if [ -x /usr/bin/docker-registry ]; then echo /usr/bin/docker-registry; return; fi
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    log "installing docker-registry with apt-get"
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y \
      --no-install-recommends docker-registry >&2 \
      || { apt-get -o DPkg::Lock::Timeout=600 update >&2 && DEBIAN_FRONTEND=noninteractive \
           apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends docker-registry >&2; }
    command -v docker-registry; return
  fi
  log "docker-registry not found (set FLINT_REGISTRY_BIN)"; exit 1
}

answers() { # answers PORT: true when GET /v2/ gets an HTTP answer (bash's /dev/tcp: no curl or wget needed,
  # and busybox's static wget crashes in name lookup)
  (exec 3<>"/dev/tcp/127.0.0.1/$1" && printf 'GET /v2/ HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&3 \
    && read -r -t 2 line <&3 && [[ $line == HTTP/* ]]) 2>/dev/null
}

is_running() {
  [ -f "$STATE/registry.pid" ] && kill -0 "$(cat "$STATE/registry.pid")" 2>/dev/null
}

try_start() { # try_start STORAGE PORT: 0 when up, 1 when the process died (port taken?)
  cat > "$STATE/config.yml" <<CONF
version: 0.1
log:
  level: ${FLINT_REGISTRY_LOG_LEVEL:-warn}
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $1
  delete:
    enabled: true
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: 127.0.0.1:$2
CONF
  "$BIN" serve "$STATE/config.yml" >> "$STATE/registry.log" 2>&1 &
  pid=$!
  echo "$pid" > "$STATE/registry.pid"
  i=0
  while [ $i -lt $(( ${FLINT_REGISTRY_WAIT:-10} * 10 )) ]; do # FLINT_REGISTRY_WAIT seconds (emulated CPUs start it slowly)
    if ! kill -0 "$pid" 2>/dev/null; then rm -f "$STATE/registry.pid"; return 1; fi
    if answers "$2"; then echo "$2" > "$STATE/port"; return 0; fi
    sleep 0.1; i=$((i + 1))
  done
  kill "$pid" 2>/dev/null || true; rm -f "$STATE/registry.pid"
  log "docker-registry did not answer on port $2 within ${FLINT_REGISTRY_WAIT:-10} s (FLINT_REGISTRY_WAIT); log: $STATE/registry.log"
  tail -n 20 "$STATE/registry.log" >&2 || true
  exit 1
}

cmd=${1:-}
case "$cmd" in
  -h|--help|help) usage; exit 0 ;;
  start)
    [ $# -ge 2 ] && [ $# -le 3 ] || { usage >&2; exit 2; }
    STORAGE=$(cd "$2" && pwd) || { log "no storage dir $2"; exit 1; }
    BIN=$(find_bin)
    mkdir -p "$STATE"
    if is_running; then log "already running (pid $(cat "$STATE/registry.pid")); stop it first"; exit 1; fi
    : > "$STATE/registry.log"
    if [ $# -eq 3 ]; then
      try_start "$STORAGE" "$3" || { log "docker-registry exited; port $3 taken? log:"; cat "$STATE/registry.log" >&2; exit 1; }
    else
      n=0; ok=0
      while [ $n -lt 20 ]; do
        port=$((20000 + ($$ * 7919 + n * 2741) % 40000))
        if try_start "$STORAGE" "$port"; then ok=1; break; fi
        n=$((n + 1))
      done
      [ $ok = 1 ] || { log "could not start docker-registry; log:"; cat "$STATE/registry.log" >&2; exit 1; }
    fi
    log "docker-registry pid $(cat "$STATE/registry.pid") serving $STORAGE on 127.0.0.1:$(cat "$STATE/port")"
    cat "$STATE/port"
    ;;
  stop)
    if ! is_running; then log "not running"; rm -f "$STATE/registry.pid"; exit 0; fi
    pid=$(cat "$STATE/registry.pid")
    kill "$pid"
    i=0
    while kill -0 "$pid" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
    if kill -0 "$pid" 2>/dev/null; then kill -9 "$pid" 2>/dev/null || true; fi
    rm -f "$STATE/registry.pid" "$STATE/port"
    log "stopped pid $pid"
    ;;
  libs)
    BIN=$(find_bin)
    case "$BIN" in /*) ;; *) BIN=$(command -v "$BIN") ;; esac
    echo "$BIN"
    # "libc.so.6 => /lib/.../libc.so.6 (0x...)" and "/lib64/ld-linux-x86-64.so.2 (0x...)"
    ldd "$BIN" 2>/dev/null | while read -r a b c d; do
      case "$a" in /*) echo "$a"; continue ;; esac
      if [ "$b" = "=>" ]; then case "$c" in /*) echo "$c" ;; esac; fi
    done
    ;;
  *) usage >&2; exit 2 ;;
esac
