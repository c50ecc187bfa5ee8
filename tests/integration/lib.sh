# Helpers for cove's integration suites, sourced by tests/integration/run.
#
# A suite (suites/NAME.sh) defines suite_main and optionally suite_probe (prints a reason and
# returns 1 to skip the whole suite) and SUITE_IDENTITIES (the identities it applies to). Inside
# suite_main, TEST "description" starts a test case; expect_* record failures and go on, so one
# broken feature shows up as failed cases, not as a crashed suite.
#
# Variables a suite can use:
#   T         per-suite temp dir (kept on failure)      WORK   scratch dir owned by the test user
#   IDENTITY  user | nosub | root                       RUN_AS, RUN_UID, RUN_GID  who runs cove
#   SUBUID_START, SUBUID_COUNT  the test user's first /etc/subuid range (empty if none)
#   STORE     cove's storage root for this identity     REG    the registry (127.0.0.1:PORT)
#   IMG       $REG/busybox:latest, seeded before suite_main
#   FIXTURES  a copy of tests/integration/fixtures readable by the test user
#   OUT ERR RC  stdout, stderr and exit status of the last cove/run_cmd call

SYS_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
CMD_TIMEOUT=${COVE_TEST_CMD_TIMEOUT:-120}

TEST_NO=0 TESTS_FAILED=0 TESTS_SKIPPED=0
CURRENT_TEST="" CURRENT_FAILED=0 CURRENT_SKIP=""
OUT="" ERR="" RC=0 LAST_CMD=""
PROXY_PIDS=() BG_PIDS=()

# ---------------------------------------------------------------------------------------------
# Test cases and expectations

diag() {
  local line
  while IFS= read -r line; do printf '#   %s\n' "$line"; done <<<"$*"
}

# Starts a new test case (and reports the previous one).
TEST() {
  finish_test
  TEST_NO=$((TEST_NO + 1))
  CURRENT_TEST=$1 CURRENT_FAILED=0 CURRENT_SKIP=""
}

finish_test() {
  [[ -n $CURRENT_TEST ]] || return 0
  if [[ -n $CURRENT_SKIP ]]; then
    echo "ok $TEST_NO - $CURRENT_TEST # SKIP $CURRENT_SKIP"
    TESTS_SKIPPED=$((TESTS_SKIPPED + 1))
  elif ((CURRENT_FAILED)); then
    echo "not ok $TEST_NO - $CURRENT_TEST"
    TESTS_FAILED=$((TESTS_FAILED + 1))
  else
    echo "ok $TEST_NO - $CURRENT_TEST"
  fi
  CURRENT_TEST=""
}

# Marks the current test as skipped; the caller returns or skips the rest of it.
skip_test() {
  CURRENT_SKIP=$*
  diag "skipped: $*"
}

fail() {
  CURRENT_FAILED=1
  diag "FAIL: $*"
}

# Shows the last command and a bounded amount of its output, for failure messages.
show_last() {
  diag "command: $LAST_CMD"
  diag "exit status: $RC"
  [[ -n $OUT ]] && diag "stdout: $(head -c 1500 <<<"$OUT")"
  [[ -n $ERR ]] && diag "stderr: $(head -c 1500 <<<"$ERR")"
  return 0
}

expect_eq() {
  local actual=$1 expected=$2 what=${3:-value}
  [[ $actual == "$expected" ]] && return 0
  fail "$what: expected \"$expected\", got \"$actual\""
}

expect_ne() {
  local actual=$1 unexpected=$2 what=${3:-value}
  [[ $actual != "$unexpected" ]] && return 0
  fail "$what: expected anything but \"$unexpected\""
}

expect_contains() {
  local haystack=$1 needle=$2 what=${3:-output}
  [[ $haystack == *"$needle"* ]] && return 0
  fail "$what does not contain \"$needle\""
  diag "$what was: $(head -c 1500 <<<"$haystack")"
}

expect_not_contains() {
  local haystack=$1 needle=$2 what=${3:-output}
  [[ $haystack != *"$needle"* ]] && return 0
  fail "$what contains \"$needle\""
  diag "$what was: $(head -c 1500 <<<"$haystack")"
}

expect_match() {
  local haystack=$1 regex=$2 what=${3:-output}
  [[ $haystack =~ $regex ]] && return 0
  fail "$what does not match /$regex/"
  diag "$what was: $(head -c 1500 <<<"$haystack")"
}

# expect_line HAYSTACK ERE [WHAT]: some line of HAYSTACK matches the extended regex.
expect_line() {
  local haystack=$1 regex=$2 what=${3:-output}
  grep -Eq -- "$regex" <<<"$haystack" && return 0
  fail "no line of $what matches /$regex/"
  diag "$what was: $(head -c 1500 <<<"$haystack")"
}

# expect_exit CODE COMMAND...: runs COMMAND (cove ... or anything else) and checks its status.
expect_exit() {
  local want=$1
  shift
  if [[ $1 == cove ]]; then "$@"; else run_cmd "$@"; fi
  [[ $RC == "$want" ]] && return 0
  fail "expected exit status $want, got $RC"
  show_last
}

expect_success() { expect_exit 0 "$@"; }

# Checks that a cove error is reported the documented way: status 125 and a message.
expect_cove_error() {
  local needle=$1
  shift
  expect_exit 125 "$@"
  [[ $ERR =~ (cove: error:|Error:) ]] || { fail "no \"cove: error:\" message on stderr"; show_last; }
  [[ -z $needle ]] || [[ ${ERR,,} == *"${needle,,}"* ]] ||
    { fail "error message does not mention \"$needle\""; show_last; }
}

# expect_failure "125|126" NEEDLE COMMAND...: fails with one of the statuses and a message
# mentioning NEEDLE (case-insensitive), where Docker and podman differ in the status.
expect_failure() {
  local codes=$1 needle=$2
  shift 2
  if [[ $1 == cove ]]; then "$@"; else run_cmd "$@"; fi
  [[ "|$codes|" == *"|$RC|"* ]] || { fail "expected exit status $codes, got $RC"; show_last; }
  [[ ${ERR,,} == *"${needle,,}"* ]] || { fail "stderr does not mention \"$needle\""; show_last; }
}

expect_exists() { [[ -e $1 || -L $1 ]] || fail "expected $1 to exist"; }
expect_missing() { [[ ! -e $1 && ! -L $1 ]] || fail "expected $1 not to exist"; }

# ---------------------------------------------------------------------------------------------
# Running things

# Runs a command as the test identity with the test environment: HOME and XDG_DATA_HOME in the
# test dir, XDG_RUNTIME_DIR unset (no login session), a system PATH, cwd $WORK.
as_user() {
  local env=(env -i "HOME=$T/home" "XDG_DATA_HOME=$T/home/.local/share"
    "XDG_CONFIG_HOME=$T/home/.config" "PATH=$SYS_PATH" "LANG=C.UTF-8" "TERM=xterm"
    "USER=$RUN_AS" "LOGNAME=$RUN_AS")
  if ((SWITCH_USER)); then
    (cd "$WORK" && exec setpriv --reuid="$RUN_UID" --regid="$RUN_GID" --init-groups -- "${env[@]}" "$@")
  else
    (cd "$WORK" && exec "${env[@]}" "$@")
  fi
}

# Records a finished command's output and status in OUT, ERR, RC.
_collect() {
  RC=$1
  OUT=$(<"$T/last.out")
  ERR=$(<"$T/last.err")
  if [[ $RC == 124 ]]; then
    fail "timed out after ${CMD_TIMEOUT}s: $LAST_CMD"
  fi
}

# cove ARGS...: runs the tool as the identity (stdin from $COVE_STDIN or /dev/null); never fails
# the test by itself: check RC, OUT, ERR afterwards.
cove() {
  LAST_CMD="cove $(printf '%q ' "$@")"
  as_user timeout -k 10 "$CMD_TIMEOUT" "$COVE_BIN" "${COVE_GLOBAL[@]}" "$@" \
    >"$T/last.out" 2>"$T/last.err" <"${COVE_STDIN:-/dev/null}"
  _collect $?
  return 0
}

# run_cmd COMMAND...: a command as the harness user (root in CI), captured like cove.
run_cmd() {
  LAST_CMD=$(printf '%q ' "$@")
  timeout -k 10 "$CMD_TIMEOUT" "$@" >"$T/last.out" 2>"$T/last.err" </dev/null
  _collect $?
  return 0
}

# user_cmd COMMAND...: a command as the test identity, captured like cove.
user_cmd() {
  LAST_CMD="(as $RUN_AS) $(printf '%q ' "$@")"
  as_user timeout -k 10 "$CMD_TIMEOUT" "$@" >"$T/last.out" 2>"$T/last.err" </dev/null
  _collect $?
  return 0
}

# cove_bg NAME ARGS...: starts cove in the background with output in $T/bg/NAME.{out,err,rc}.
cove_bg() {
  local name=$1
  shift
  mkdir -p "$T/bg"
  (
    as_user timeout -k 10 "$CMD_TIMEOUT" "$COVE_BIN" "${COVE_GLOBAL[@]}" "$@" \
      >"$T/bg/$name.out" 2>"$T/bg/$name.err" </dev/null
    echo $? >"$T/bg/$name.rc"
  ) &
  BG_PIDS+=($!)
}

# Waits for every cove_bg job started so far.
wait_bg() {
  local pid
  for pid in "${BG_PIDS[@]}"; do wait "$pid"; done
  BG_PIDS=()
}

# The command line cove_bg/cove would run, quoted for a shell (for script -c and the like).
cove_cmdline() {
  printf '%q ' "$COVE_BIN" "${COVE_GLOBAL[@]}" "$@"
}

# ---------------------------------------------------------------------------------------------
# Registry, images, fault proxy

start_registry() {
  REG=$("$SCRIPTS/registry.sh" start "$T/registry" "$@") || return 1
  REG_STORAGE=$T/registry/data
}

stop_registry() {
  [[ -d $T/registry ]] && "$SCRIPTS/registry.sh" stop "$T/registry"
  return 0
}

# seed_image REPO[:TAG] [make-test-image.sh options]: pushes to $REG; keeps its KEY=VALUE info.
seed_image() {
  local name=$1 file
  shift
  file=$T/images/${name//[\/:]/_}
  mkdir -p "$T/images"
  if ! "$SCRIPTS/make-test-image.sh" "$@" "$REG" "$name" >"$file" 2>"$file.err"; then
    fail "seeding image $name failed"
    diag "$(cat "$file.err")"
    return 1
  fi
}

# image_info REPO[:TAG] KEY: a value make-test-image.sh printed for that image.
image_info() {
  local file=$T/images/${1//[\/:]/_}
  sed -n "s/^$2=//p" "$file" | head -n 1
}

# start_fault_proxy --fault REGEX ACTION ...: a fault proxy in front of $REG; sets PROXY.
start_fault_proxy() {
  local n=${#PROXY_PIDS[@]} portfile
  portfile=$T/proxy$n.port
  python3 "$SCRIPTS/fault-proxy.py" --upstream "$REG" --port-file "$portfile" "$@" \
    >>"$T/proxy$n.log" 2>&1 &
  PROXY_PIDS+=($!)
  for _ in $(seq 1 100); do
    [[ -s $portfile ]] && break
    sleep 0.05
  done
  [[ -s $portfile ]] || { fail "fault proxy did not start"; return 1; }
  PROXY=127.0.0.1:$(cat "$portfile")
}

stop_fault_proxies() {
  local pid
  for pid in "${PROXY_PIDS[@]}"; do
    kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  done
  PROXY_PIDS=()
}

# ---------------------------------------------------------------------------------------------
# Inspecting results

# Prints the names of blobs in the store whose sha256 does not match their name.
bad_blobs() {
  local f
  [[ -d $STORE/blobs/sha256 ]] || return 0
  for f in "$STORE"/blobs/sha256/*; do
    [[ -f $f ]] || continue
    [[ $(sha256sum "$f" | cut -d' ' -f1) == "$(basename "$f")" ]] || basename "$f"
  done
}

# Number of container directories in the store.
container_count() {
  local n=0 d
  for d in "$STORE"/containers/*/; do [[ -d $d ]] && n=$((n + 1)); done
  echo "$n"
}

# Pids of processes that belong to this suite's run: cove copies, helpers started with our
# paths; the harness's own registry and proxies excluded.
stray_pids() {
  local p pid cmd exe own=" $$ ${PROXY_PIDS[*]} "
  [[ -f $T/registry/registry.pid ]] && own+=" $(cat "$T/registry/registry.pid") "
  for p in /proc/[0-9]*; do
    pid=${p#/proc/}
    [[ $own == *" $pid "* ]] && continue
    exe=$(readlink "$p/exe" 2>/dev/null)
    cmd=$({ tr '\0' ' ' <"$p/cmdline"; } 2>/dev/null)
    if [[ $exe == "$COVE_BIN" || $cmd == *"$T/"* && $cmd != *"/integration/run "* ]]; then
      echo "$pid"
    fi
  done
}

# The command lines of PIDS, one per line, for failure messages.
describe_pids() {
  local pid
  for pid in "$@"; do
    printf '%s: %s\n' "$pid" "$({ tr '\0' ' ' <"/proc/$pid/cmdline"; } 2>/dev/null)"
  done
}

# wait_for_process CMDLINE: waits up to 30 s for a process whose command line (args joined by
# spaces) is exactly CMDLINE; prints its pid.
wait_for_process() {
  local want="$1 " p
  for _ in $(seq 1 300); do
    for p in /proc/[0-9]*; do
      if [[ $({ tr '\0' ' ' <"$p/cmdline"; } 2>/dev/null) == "$want" ]]; then
        echo "${p#/proc/}"
        return 0
      fi
    done
    sleep 0.1
  done
  return 1
}

# The pid of the outermost cove process (the one a user would signal), given one running.
cove_main_pid() {
  local p ppid
  for p in /proc/[0-9]*; do
    [[ $(readlink "$p/exe" 2>/dev/null) == "$COVE_BIN" ]] || continue
    ppid=$(awk '/^PPid:/ { print $2 }' "$p/status" 2>/dev/null)
    [[ $(readlink "/proc/$ppid/exe" 2>/dev/null) == "$COVE_BIN" ]] && continue
    echo "${p#/proc/}"
    return 0
  done
  return 1
}

# Mount points under the test dir visible in the host mount namespace.
stray_mounts() {
  awk -v t="$T/" 'index($5, t) == 1 { print $5 }' /proc/self/mountinfo
}

# ---------------------------------------------------------------------------------------------
# Network helpers (the network suites); only 127.0.0.1 and ::1 are used

# A free TCP (default) or UDP port on 127.0.0.1 (for ::1 too, in practice).
free_port() {
  python3 -c 'import socket,sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM if sys.argv[1] == "udp" else socket.SOCK_STREAM)
s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' "${1:-tcp}"
}

# host_httpd_start DIR PORT: busybox httpd serving DIR on the host's 127.0.0.1:PORT, waited
# for (DIR/index.html must exist); its pid in HOST_HTTPD. host_httpd_stop ends it.
host_httpd_start() {
  busybox httpd -f -p "127.0.0.1:$2" -h "$1" &
  HOST_HTTPD=$!
  wait_for_url "http://127.0.0.1:$2/index.html" || fail "the host httpd did not start"
}

host_httpd_stop() {
  kill "$HOST_HTTPD"
  wait "$HOST_HTTPD" 2>/dev/null
}

# Waits until URL answers (30 s at most).
wait_for_url() {
  for _ in $(seq 1 300); do
    curl -sfg -o /dev/null "$1" && return 0
    sleep 0.1
  done
  return 1
}

# Waits until something listens on TCP port PORT of the host (30 s at most).
wait_for_listen() {
  for _ in $(seq 1 300); do
    [[ -n $(ss -Htln "sport = :$1") ]] && return 0
    sleep 0.1
  done
  return 1
}

# Builds a static UDP server (busybox has no UDP listener) into $WORK/udp-echo: it prints the
# first datagram it receives, echoes it to the sender and exits. False without a static cc.
build_udp_echo() {
  cat >"$WORK/udp-echo.c" <<'C'
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>
int main(int argc, char **argv) {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(argc > 1 ? atoi(argv[1]) : 0)};
  if (argc < 2 || bind(fd, (struct sockaddr *)&a, sizeof a) < 0) return 2;
  char buf[512];
  struct sockaddr_in from;
  socklen_t len = sizeof from;
  ssize_t n = recvfrom(fd, buf, sizeof buf, 0, (struct sockaddr *)&from, &len);
  if (n <= 0) return 1;
  write(1, buf, n);
  write(1, "\n", 1);
  sendto(fd, buf, n, 0, (struct sockaddr *)&from, len);
  return 0;
}
C
  [[ -x $WORK/udp-echo ]] ||
    { cc -static -O2 -o "$WORK/udp-echo" "$WORK/udp-echo.c" 2>/dev/null && chmod 0755 "$WORK/udp-echo"; }
}

# Sends a datagram to ADDRESS (default 127.0.0.1):PORT until it comes back (10 s at most);
# prints the reply.
udp_roundtrip() {
  python3 - "$1" "${2:-127.0.0.1}" <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET6 if ":" in sys.argv[2] else socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(0.2)
for _ in range(50):
    s.sendto(b"datagram", (sys.argv[2], int(sys.argv[1])))
    try:
        print(s.recvfrom(512)[0].decode()); break
    except socket.timeout:
        pass
PY
}

# ---------------------------------------------------------------------------------------------
# Helpers shared by several suites

# own_contexts: hands everything under $WORK to the test user.
own_contexts() {
  if ((SWITCH_USER)); then chown -R "$RUN_UID:$RUN_GID" "$WORK"; fi
}

# ctr_field NAME TEMPLATE: an inspect --format field.
ctr_field() {
  cove inspect --format "$2" "$1"
  echo "$OUT"
}

# wait_for_logs NAME TEXT: waits up to 30 s until the container's log shows TEXT.
wait_for_logs() {
  for _ in $(seq 1 300); do
    cove logs "$1"
    [[ $OUT == *"$2"* ]] && return 0
    sleep 0.1
  done
  fail "the log of $1 never showed \"$2\" (has: $OUT)"
  return 1
}

# attach_bg NAME INPUT ARGS...: cove ARGS in the background with stdin from the file INPUT;
# output in $T/bg/NAME.{out,err,rc}.
attach_bg() {
  local name=$1 input=$2
  shift 2
  mkdir -p "$T/bg"
  (
    as_user timeout -k 10 "$CMD_TIMEOUT" "$COVE_BIN" "${COVE_GLOBAL[@]}" "$@" \
      >"$T/bg/$name.out" 2>"$T/bg/$name.err" <"$input"
    echo $? >"$T/bg/$name.rc"
  ) &
  BG_PIDS+=($!)
}

# Waits up to 10 s for PIDS (a space-separated list) to be gone; fails the test otherwise.
expect_gone() {
  local pid left
  for _ in $(seq 1 100); do
    left=""
    for pid in $1; do kill -0 "$pid" 2>/dev/null && left+="$pid "; done
    [[ -z $left ]] && return 0
    sleep 0.1
  done
  fail "still running after 10 s: $(describe_pids $left)"
}
