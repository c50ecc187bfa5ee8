# More commands on detached containers: rename, attach (output, exit code, stdin, detach keys),
# logs --since/--until, exec -d and --env-file, top, port.

# wait_for_text FILE TEXT: waits up to 30 s until FILE contains TEXT.
wait_for_text() {
  for _ in $(seq 1 300); do
    grep -qF -- "$2" "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  fail "$1 never showed \"$2\" (has: $(head -c 300 "$1" 2>/dev/null))"
  return 1
}

# tty_cove INPUT_COMMAND COVE_ARGS...: cove under script(1), so that it has a terminal; the output
# of the shell command INPUT_COMMAND is typed into it. OUT has \r removed.
tty_cove() {
  local input=$1 feeder rc
  shift
  LAST_CMD="script -qec 'cove $*'"
  as_user timeout -k 10 "$CMD_TIMEOUT" script -qec "$(cove_cmdline "$@")" /dev/null \
    >"$T/last.out" 2>"$T/last.err" < <(bash -c "$input"; exec sleep "$CMD_TIMEOUT")
  rc=$? feeder=$!
  kill "$feeder" 2>/dev/null
  _collect $rc
  OUT=$(tr -d '\r' <<<"$OUT")
}

test_rename() {
  TEST "rename a running container: ps and inspect show the new name, the old one is free"
  expect_success cove run -d --network none --name first "$IMG" sleep 1000
  local id=$OUT
  expect_success cove rename first renamed
  expect_eq "$OUT" "" "rename output"
  expect_success cove ps --format '{{.Names}}'
  expect_eq "$OUT" renamed "ps after rename"
  expect_eq "$(ctr_field "${id:0:12}" '{{.Name}}')" /renamed "inspect after rename"
  expect_cove_error "no such container" cove container inspect first
  expect_success cove create --network none --name first "$IMG" true
  expect_success cove rm first

  TEST "rename refuses a taken name, an invalid name and the same name"
  expect_success cove create --network none --name taken "$IMG" true
  expect_cove_error "already in use" cove rename renamed taken
  expect_cove_error "invalid container name" cove rename renamed 'bad/name'
  expect_cove_error "same name" cove rename renamed renamed
  expect_cove_error "no such container" cove rename nothing-here x
  expect_eq "$(ctr_field renamed '{{.Name}}')" /renamed "name after refused renames"

  TEST "rename a stopped container; the monitor does not undo a rename when it records the exit"
  expect_success cove rename taken taken2
  expect_eq "$(ctr_field taken2 '{{.Name}}')" /taken2 "stopped container renamed"
  expect_success cove stop -t 1 renamed
  expect_eq "$(ctr_field "${id:0:12}" '{{.Name}} {{.State.Status}}')" "/renamed exited" \
    "name after the exit was recorded"
  expect_success cove rm renamed taken2
}

test_attach() {
  TEST "attach follows live output, stdout and stderr apart, and returns the exit code"
  expect_success cove run -d --network none --name talker "$IMG" sh -c \
    'while [ ! -e /tmp/go ]; do echo tick; sleep 0.2; done; echo live-out; echo live-err >&2; exit 3'
  cove_bg talk attach talker
  wait_for_text "$T/bg/talk.out" tick
  expect_success cove exec talker touch /tmp/go
  wait_bg
  expect_eq "$(cat "$T/bg/talk.rc")" 3 "attach exit code"
  expect_contains "$(cat "$T/bg/talk.out")" live-out "attach stdout"
  expect_not_contains "$(cat "$T/bg/talk.out")" live-err "attach stdout"
  expect_eq "$(cat "$T/bg/talk.err")" live-err "attach stderr"
  # attach ends when the monitor reports the exit, which it records a moment later.
  expect_success cove wait talker
  expect_eq "$OUT" 3 "wait after attach"
  expect_eq "$(ctr_field talker '{{.State.Status}} {{.State.ExitCode}}')" "exited 3" "state after"

  TEST "attach refuses a stopped container"
  expect_cove_error "stopped container" cove attach talker
  expect_success cove rm talker

  TEST "attach passes stdin to a -di container"
  expect_success cove run -di --network none --name catter "$IMG" cat
  printf 'hello-stdin\n' >"$WORK/stdin.txt"
  attach_bg cat "$WORK/stdin.txt" attach catter
  wait_for_logs catter hello-stdin
  wait_for_text "$T/bg/cat.out" hello-stdin
  expect_success cove kill catter
  wait_bg
  expect_eq "$(cat "$T/bg/cat.rc")" 137 "attach exit code after SIGKILL"

  TEST "--no-stdin does not pass stdin; Ctrl-P Ctrl-Q detaches and leaves it running"
  expect_success cove run -di --network none --name catter2 "$IMG" cat
  printf 'not-sent\n' >"$WORK/nostdin.txt"
  printf 'kept\n\x10\x11dropped\n' >"$WORK/detach.txt"
  attach_bg nostdin "$WORK/nostdin.txt" attach --no-stdin catter2
  attach_bg detach "$WORK/detach.txt" attach catter2
  for _ in $(seq 1 300); do [[ -s $T/bg/detach.rc ]] && break; sleep 0.1; done
  expect_eq "$(cat "$T/bg/detach.rc" 2>/dev/null)" 0 "attach exit code after the detach keys"
  wait_for_logs catter2 kept
  expect_eq "$(ctr_field catter2 '{{.State.Status}}')" running "container after detach"
  expect_success cove stop -t 1 catter2
  wait_bg
  expect_success cove logs catter2
  expect_eq "$OUT" kept "what reached the container"
  expect_success cove rm catter catter2

  TEST "attach to a -dit shell through a terminal; Ctrl-P Ctrl-Q detaches"
  if ! command -v script >/dev/null; then
    skip_test "script(1) not found (bsdutils)"
  else
    expect_success cove run -dit --network none --name tsh "$IMG" sh
    # The keys come after cove has put the terminal in raw mode: a cooked terminal would take
    # ^Q as flow control.
    tty_cove "printf 'echo at-\$((6*7))\\n'; sleep 2; printf '\\020\\021'" attach tsh
    expect_eq "$RC" 0 "attach exit status after the detach keys"
    expect_contains "$OUT" at-42 "the shell's answer through the terminal"
    expect_eq "$(ctr_field tsh '{{.State.Status}}')" running "container after detach"
    expect_success cove rm -f tsh
  fi
}

test_logs_window() {
  TEST "logs --since and --until with times, Unix timestamps and durations"
  expect_success cove run -d --network none --name stamps "$IMG" sh -c \
    'echo first; while [ ! -e /tmp/go ]; do sleep 0.1; done; echo second'
  wait_for_logs stamps first
  sleep 1.1 # the two lines must fall in different seconds for the Unix timestamp check
  expect_success cove exec stamps touch /tmp/go
  expect_success cove wait stamps
  expect_success cove logs -t stamps
  expect_line "$OUT" '^20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{9}Z first$' \
    "logs -t (RFC 3339 with nanoseconds, as Docker)"
  local t1 t2
  t1=$(sed -n 's/ first$//p' <<<"$OUT")
  t2=$(sed -n 's/ second$//p' <<<"$OUT")
  expect_success cove logs --since "$t2" stamps
  expect_eq "$OUT" second "--since the second line's time"
  expect_success cove logs --until "$t1" stamps
  expect_eq "$OUT" first "--until the first line's time"
  expect_success cove logs --since "$(date -u -d "$t2" +%s)" stamps
  expect_eq "$OUT" second "--since a Unix timestamp"
  expect_success cove logs --since 1h stamps
  expect_eq "$OUT" "$(printf 'first\nsecond')" "--since 1h"
  expect_success cove logs --until 1h30m stamps
  expect_eq "$OUT" "" "--until 1h30m ago"
  expect_success cove logs --since 0 --until "$(($(date +%s) + 60))" stamps
  expect_eq "$OUT" "$(printf 'first\nsecond')" "--since 0 --until a minute ahead"
  expect_cove_error "--since" cove logs --since yesterday stamps
  expect_success cove rm stamps
}

test_exec_top() {
  TEST "exec -d prints nothing, returns 0 and leaves the process running"
  expect_success cove run -d --network none --name box "$IMG" sleep 1000
  expect_success cove exec -d box sleep 777
  expect_eq "$OUT$ERR" "" "exec -d output"
  expect_exit 127 cove exec -d box no-such-command
  expect_contains "$ERR" "not found" "exec -d of a missing command"
  expect_cove_error "-d" cove exec -d -i box true

  TEST "exec --env-file, then -e over it"
  printf '# comment\nA=from-file\nC=file\n' >"$WORK/exec.env"
  expect_success cove exec --env-file "$WORK/exec.env" -e C=flag box sh -c 'echo $A $C'
  expect_eq "$OUT" "from-file flag" "exec environment"
  expect_cove_error "" cove exec --env-file "$WORK/missing.env" box true

  TEST "top shows the container's processes with Docker's columns"
  expect_success cove top box
  expect_line "$OUT" '^UID +PID +PPID +C +STIME +TTY +TIME +CMD$' "top header"
  expect_line "$OUT" ' sleep 1000$' "top: the init"
  expect_line "$OUT" ' sleep 777$' "top: the exec -d process"
  expect_eq "$(wc -l <<<"$OUT")" 3 "top rows (header and two processes)"
  local pid
  pid=$(ctr_field box '{{.State.Pid}}')
  expect_line "$OUT" "^[^ ]+ +$pid +" "top shows the init's host pid"

  TEST "top passes ps options through"
  expect_success cove top box -o pid,comm
  expect_line "$OUT" '^PID +COMMAND$' "top -o header"
  expect_line "$OUT" "^$pid +sleep$" "top -o row"
  expect_success cove container top box aux
  expect_line "$OUT" '^USER +PID ' "top aux header"
  expect_eq "$(wc -l <<<"$OUT")" 3 "top aux rows"
  expect_success cove stop -t 1 box
  expect_cove_error "not running" cove top box
  expect_success cove rm box
}

test_port() {
  TEST "port prints the published ports as Docker does"
  if ! command -v slirp4netns >/dev/null; then
    skip_test "slirp4netns is not installed (needed to publish ports)"
    return
  fi
  if ! as_user test -r /dev/net/tun -a -w /dev/net/tun; then
    skip_test "/dev/net/tun is not usable by the test user"
    return
  fi
  local port
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  expect_success cove run -d --network slirp4netns -p "127.0.0.1:$port:80" -p 127.0.0.1::81/udp \
    --name web "$IMG" sleep 1000
  expect_success cove port web
  expect_line "$OUT" "^80/tcp -> 127\.0\.0\.1:$port$" "port"
  expect_line "$OUT" '^81/udp -> 127\.0\.0\.1:[1-9][0-9]*$' "port with a chosen host port"
  expect_eq "$(wc -l <<<"$OUT")" 2 "port lines"
  expect_success cove port web 80
  expect_eq "$OUT" "127.0.0.1:$port" "port web 80"
  expect_success cove port web 81/udp
  expect_match "$OUT" '^127\.0\.0\.1:[1-9][0-9]*$' "port web 81/udp"
  expect_cove_error "no public port '81/tcp'" cove port web 81
  expect_cove_error "invalid port" cove port web http
  expect_success cove stop -t 1 web
  expect_success cove port web
  expect_eq "$OUT" "" "port of a stopped container"
  expect_success cove rm web
}

suite_main() {
  TEST "pull the image"
  expect_success cove pull -q "$IMG"
  test_rename
  test_attach
  test_logs_window
  test_exec_top
  test_port
}
