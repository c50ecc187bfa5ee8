#!/bin/bash
# A throwaway local OCI registry (Debian's docker-registry) for tests and the demo.
#
#   registry.sh start DIR [--auth USER:PASSWORD]   prints the address (127.0.0.1:PORT)
#   registry.sh stop DIR
#
# The registry stores its data in DIR/data, listens on 127.0.0.1 only (the packaged default
# config listens on :5000 on every interface, so it is never used), has deletes enabled and no
# auth unless --auth asks for htpasswd (bcrypt) Basic auth. DIR/registry.pid, DIR/address and
# DIR/registry.log are written for the caller.
set -euo pipefail

die() { printf 'registry.sh: error: %s\n' "$*" >&2; exit 1; }

usage() {
  echo "usage: registry.sh start DIR [--auth USER:PASSWORD] | registry.sh stop DIR" >&2
  exit 2
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

write_config() {
  local dir=$1 port=$2 auth=$3
  cat >"$dir/config.yml" <<EOF
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $dir/data
  delete:
    enabled: true
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: 127.0.0.1:$port
  secret: cove-test-only-secret
EOF
  if [[ -n $auth ]]; then
    htpasswd -Bbn "${auth%%:*}" "${auth#*:}" >"$dir/htpasswd" || die "htpasswd failed (apt-get install apache2-utils)"
    cat >>"$dir/config.yml" <<EOF
auth:
  htpasswd:
    realm: cove-test
    path: $dir/htpasswd
EOF
  fi
}

# Waits until GET /v2/ answers (200, or 401 with auth); fails if the process dies first.
wait_ready() {
  local pid=$1 port=$2 code
  for _ in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || return 1
    code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/v2/" || true)
    [[ $code == 200 || $code == 401 ]] && return 0
    sleep 0.1
  done
  return 1
}

start() {
  local dir=$1 auth=$2 port pid
  command -v docker-registry >/dev/null || die "docker-registry not found (apt-get install docker-registry)"
  [[ -e $dir/registry.pid ]] && kill -0 "$(cat "$dir/registry.pid")" 2>/dev/null &&
    die "a registry is already running for $dir (pid $(cat "$dir/registry.pid"))"
  mkdir -p "$dir/data"
  dir=$(cd "$dir" && pwd)
  # The port is picked free and then bound by the registry, so another process may win the race:
  # retry with a new port when the registry exits early.
  for _ in 1 2 3 4 5; do
    port=$(free_port)
    write_config "$dir" "$port" "$auth"
    setsid docker-registry serve "$dir/config.yml" >>"$dir/registry.log" 2>&1 </dev/null &
    pid=$!
    echo "$pid" >"$dir/registry.pid"
    if wait_ready "$pid" "$port"; then
      echo "127.0.0.1:$port" >"$dir/address"
      echo "127.0.0.1:$port"
      return 0
    fi
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  rm -f "$dir/registry.pid"
  tail -n 20 "$dir/registry.log" >&2 || true
  die "docker-registry did not start (log: $dir/registry.log)"
}

stop() {
  local dir=$1 pid
  [[ -e $dir/registry.pid ]] || return 0
  pid=$(cat "$dir/registry.pid")
  if kill "$pid" 2>/dev/null; then
    for _ in $(seq 1 50); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$dir/registry.pid" "$dir/address"
}

[[ $# -ge 2 ]] || usage
cmd=$1 dir=$2
shift 2
auth=""
while [[ $# -gt 0 ]]; do
  case $1 in
    --auth) [[ $# -ge 2 ]] || usage; auth=$2; shift 2 ;;
    *) usage ;;
  esac
done
case $cmd in
  start) start "$dir" "$auth" ;;
  stop) stop "$dir" ;;
  *) usage ;;
esac
