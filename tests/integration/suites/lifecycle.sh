# Detached containers without a daemon: run -d and its monitor, ps, logs, stop, kill, wait, rm,
# inspect; truthful status after the monitor is killed or the recorded pid is reused.

# ctr_state NAME: the container's State.Status from inspect.
ctr_state() {
  cove inspect --format '{{.State.Status}}' "$1"
  echo "$OUT"
}

# wait_state NAME STATUS: waits up to 10 s for the container to reach STATUS.
wait_state() {
  local i
  for i in $(seq 1 100); do
    [[ $(ctr_state "$1") == "$2" ]] && return 0
    sleep 0.1
  done
  fail "container $1 never reached $2 (last: $(ctr_state "$1"))"
  return 1
}

# The monitor of a running container: the parent of its init.
monitor_pid() {
  cove inspect --format '{{.State.Pid}}' "$1"
  awk '/^PPid:/ { print $2 }' "/proc/$OUT/status" 2>/dev/null
}

suite_main() {
  TEST "pull the image"
  expect_success cove pull -q "$IMG"

  TEST "run -d prints the full id and returns while the container runs"
  local started=$SECONDS
  expect_success cove run -d --name sleeper "$IMG" sleep 1000
  expect_match "$OUT" '^[0-9a-f]{64}$' "run -d output"
  local id=$OUT
  ((SECONDS - started < 10)) || fail "run -d took $((SECONDS - started)) s"
  expect_eq "$(ctr_state sleeper)" running "status"
  expect_success cove ps
  expect_line "$OUT" "^${id:0:12} +$IMG +\"sleep 1000\" +.* +Up .* +sleeper$" "ps"
  expect_line "$OUT" '^CONTAINER ID +IMAGE +COMMAND +CREATED +STATUS +PORTS +NAMES$' "ps header"

  TEST "ps -q, --no-trunc, --format and filters"
  expect_success cove ps -q
  expect_eq "$OUT" "${id:0:12}" "ps -q"
  expect_success cove ps -q --no-trunc
  expect_eq "$OUT" "$id" "ps -q --no-trunc"
  expect_success cove ps --format '{{.Names}} {{.State}} {{.Command}}'
  expect_eq "$OUT" 'sleeper running "sleep 1000"' "ps --format"
  expect_success cove ps --format json
  expect_eq "$(jq -r '.[0].Names[0]' <<<"$OUT")" sleeper "ps --format json"
  expect_success cove ps -a --filter name=sleep --filter status=running -q
  expect_eq "$OUT" "${id:0:12}" "filtered ps"
  expect_success cove ps -a --filter status=exited -q
  expect_eq "$OUT" "" "ps filtered on exited"

  TEST "inspect a container with Docker's fields, by name and by id prefix"
  expect_success cove inspect sleeper
  expect_eq "$(jq -r '.[0].Id' <<<"$OUT")" "$id" "Id"
  expect_eq "$(jq -r '.[0].Name' <<<"$OUT")" /sleeper "Name"
  expect_eq "$(jq -r '.[0].State.Running' <<<"$OUT")" true "State.Running"
  expect_eq "$(jq -r '.[0].Config.Cmd | join(" ")' <<<"$OUT")" "sleep 1000" "Config.Cmd"
  expect_eq "$(jq -r '.[0].Config.Image' <<<"$OUT")" "$IMG" "Config.Image"
  local pid
  pid=$(jq -r '.[0].State.Pid' <<<"$OUT")
  [[ $(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) == "sleep 1000 " ]] ||
    fail "State.Pid $pid is not the container's sleep"
  expect_success cove container inspect --format '{{.State.Status}} {{.Name}}' "${id:0:8}"
  expect_eq "$OUT" "running /sleeper" "container inspect by prefix"

  TEST "nothing of cove stays resident but the monitor, which is small"
  local mon rss
  mon=$(monitor_pid sleeper)
  [[ $(readlink "/proc/$mon/exe") == "$COVE_BIN" ]] || fail "the container's parent is not cove's monitor"
  rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$mon/status")
  diag "monitor RSS: ${rss} kB"
  local n
  n=$(for p in /proc/[0-9]*; do [[ $(readlink "$p/exe" 2>/dev/null) == "$COVE_BIN" ]] && echo x; done | wc -l)
  expect_eq "$n" 1 "cove processes while one container runs"

  TEST "the name cannot be taken twice"
  expect_cove_error "already in use" cove run -d --name sleeper "$IMG" true

  TEST "rm refuses a running container; stop (sleep ignores SIGTERM as pid 1) escalates to SIGKILL"
  expect_cove_error "running" cove rm sleeper
  started=$SECONDS
  expect_success cove stop -t 1 sleeper
  expect_eq "$OUT" sleeper "stop output"
  ((SECONDS - started < 8)) || fail "stop -t 1 took $((SECONDS - started)) s"
  expect_eq "$(ctr_state sleeper)" exited "status after stop"
  expect_success cove ps -a --format '{{.Names}} {{.Status}}'
  expect_line "$OUT" '^sleeper Exited \(137\) .*ago$' "ps -a after stop"
  expect_success cove ps -q
  expect_eq "$OUT" "" "ps shows no running container"

  TEST "rm removes the stopped container and frees its name"
  expect_success cove rm sleeper
  expect_eq "$OUT" sleeper "rm output"
  expect_missing "$STORE/containers/$id"
  expect_cove_error "no such container" cove container inspect sleeper

  TEST "stop with a handler: the stop signal ends it with its own code"
  expect_success cove run -d --name trapper "$IMG" sh -c "trap 'exit 7' TERM; while :; do sleep 0.1; done"
  started=$SECONDS
  expect_success cove stop trapper
  ((SECONDS - started < 5)) || fail "stop took $((SECONDS - started)) s despite the handler"
  expect_success cove wait trapper
  expect_eq "$OUT" 7 "exit code"

  TEST "logs keep stdout and stderr apart; --tail and -t"
  expect_success cove run -d --name talker "$IMG" sh -c 'echo out1; echo err1 >&2; echo out2; printf no-newline'
  expect_success cove wait talker
  expect_eq "$OUT" 0 "wait"
  expect_success cove logs talker
  expect_eq "$OUT" "$(printf 'out1\nout2\nno-newline')" "stdout"
  expect_eq "$ERR" err1 "stderr"
  expect_success cove logs --tail 1 talker
  expect_eq "$OUT" no-newline "--tail 1"
  expect_success cove logs -t talker
  expect_line "$OUT" '^20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z out1$' "logs -t"
  local log=$STORE/containers/$(cove inspect --format '{{.Id}}' talker; echo "$OUT")/ctr.log
  expect_line "$(cat "$log")" '^[0-9T:.-]+Z stderr F err1$' "k8s-file log"

  TEST "logs -f follows live output until the container exits"
  expect_success cove run -d --name ticker "$IMG" sh -c 'for i in 1 2 3 4; do echo tick$i; sleep 0.5; done'
  expect_success cove logs -f ticker
  expect_eq "$OUT" "$(printf 'tick1\ntick2\ntick3\ntick4')" "followed output"

  TEST "wait returns the exit code; ps and inspect agree"
  expect_success cove run -d --name three "$IMG" sh -c 'sleep 0.3; exit 3'
  expect_success cove wait three
  expect_eq "$OUT" 3 "wait"
  expect_success cove inspect --format '{{.State.ExitCode}} {{.State.Status}} {{.State.Running}}' three
  expect_eq "$OUT" "3 exited false" "inspect"
  expect_success cove ps -a --filter name=three --format '{{.Status}}'
  expect_match "$OUT" '^Exited \(3\) ' "ps status"

  TEST "kill -s delivers a signal; kill defaults to SIGKILL"
  expect_success cove run -d --name catcher "$IMG" sh -c "trap 'echo got-usr1' USR1; while :; do sleep 0.1; done"
  sleep 0.3
  expect_success cove kill -s USR1 catcher
  local i
  for i in $(seq 1 50); do cove logs catcher; [[ $OUT == *got-usr1* ]] && break; sleep 0.1; done
  expect_contains "$OUT" got-usr1 "logs after kill -s USR1"
  expect_success cove kill catcher
  expect_success cove wait catcher
  expect_eq "$OUT" 137 "exit code after kill"
  expect_cove_error "not running" cove kill catcher

  TEST "a container running as another uid is stopped and removed from the host"
  if [[ $IDENTITY == nosub ]]; then
    skip_test "uid 1000 is not mapped without a subuid range"
  else
    expect_success cove run -d --name other-uid -u 1000:1000 "$IMG" sh -c "trap 'exit 5' TERM; while :; do sleep 0.1; done"
    expect_success cove stop other-uid
    expect_success cove wait other-uid
    expect_eq "$OUT" 5 "exit code"
  fi

  TEST "monitor killed with SIGKILL: ps shows the truth and rm works"
  expect_success cove run -d --name orphan "$IMG" sleep 1000
  mon=$(monitor_pid orphan)
  if [[ -n $mon ]]; then
    kill -KILL "$mon"
    for i in $(seq 1 50); do [[ -d /proc/$mon ]] || break; sleep 0.1; done
  else
    fail "no monitor found"
  fi
  wait_state orphan exited
  expect_success cove ps -q
  expect_eq "$OUT" "" "ps shows no running container"
  expect_success cove ps -a --filter name=orphan --format '{{.Status}}'
  expect_match "$OUT" '^Exited \(137\)' "ps -a"
  expect_success cove rm orphan

  TEST "a recorded pid that was reused does not count as the container"
  expect_success cove run -d --name reused "$IMG" sleep 1000
  cove inspect --format '{{.Id}}' reused
  local rid=$OUT json
  json=$STORE/containers/$rid/container.json
  mon=$(monitor_pid reused)
  kill -KILL "$mon"
  sleep 0.3
  # Point the record at live processes that are not the container (this shell): same pid
  # number, different start time is what a reused pid looks like.
  if ((SWITCH_USER)); then
    local tmp=$T/reused.json
    jq --argjson p $$ '.state.process.pid = $p | .state.monitor.pid = $p | .state.status = "running"' "$json" >"$tmp" &&
      chown "$RUN_UID:$RUN_GID" "$tmp" && chmod 0600 "$tmp" && mv "$tmp" "$json"
  else
    jq --argjson p $$ '.state.process.pid = $p | .state.monitor.pid = $p | .state.status = "running"' "$json" >"$json.new" && mv "$json.new" "$json"
  fi
  expect_success cove ps -q
  expect_eq "$OUT" "" "ps with a reused pid"
  expect_eq "$(ctr_state reused)" exited "status"
  expect_success cove rm reused

  TEST "run -d --rm removes the container after it exits"
  expect_success cove run -d --rm --name gone "$IMG" true
  for i in $(seq 1 50); do cove ps -a -q --filter name=gone; [[ -z $OUT ]] && break; sleep 0.1; done
  expect_eq "$OUT" "" "ps -a after --rm"

  TEST "a command that does not exist: exit 127, the reason in the monitor's log"
  expect_success cove run -d --name missing "$IMG" no-such-command
  local mid=$OUT
  expect_success cove wait missing
  expect_eq "$OUT" 127 "exit code"
  expect_contains "$(cat "$STORE/containers/$mid/monitor.log")" "no-such-command" "monitor.log"

  TEST "exec joins the container: its pid namespace, hostname, environment; exit codes"
  expect_success cove run -d --name box -e FOO=bar "$IMG" sleep 1000
  local bid=$OUT
  expect_success cove exec box sh -c 'echo $FOO; hostname; tr "\0" " " </proc/1/cmdline'
  expect_eq "$OUT" "$(printf 'bar\n%s\nsleep 1000 ' "${bid:0:12}")" "exec output"
  expect_exit 4 cove exec box sh -c 'exit 4'
  expect_success cove exec -w /tmp -e X=1 box sh -c 'echo $X $(pwd)'
  expect_eq "$OUT" "1 /tmp" "-e and -w"
  expect_exit 127 cove exec box no-such-command
  if [[ $IDENTITY != nosub ]]; then
    expect_success cove exec -u 1000:1000 box id -u
    expect_eq "$OUT" 1000 "exec -u"
  fi
  expect_cove_error "not running" cove exec three true
  expect_success cove rm -f box

  TEST "create, then start -a prints the output and returns the exit code"
  expect_success cove create --name later "$IMG" sh -c 'echo hello-later; exit 2'
  expect_match "$OUT" '^[0-9a-f]{64}$' "create output"
  expect_eq "$(ctr_state later)" created "status after create"
  expect_success cove ps -a --filter name=later --format '{{.Status}}'
  expect_eq "$OUT" Created "ps status"
  expect_exit 2 cove start -a later
  expect_eq "$OUT" hello-later "start -a output"
  expect_success cove start later
  expect_success cove wait later
  expect_eq "$OUT" 2 "exit code of the second start"
  expect_success cove logs later
  expect_eq "$OUT" "$(printf 'hello-later\nhello-later')" "logs of both runs"
  expect_success cove rm later

  TEST "restart stops and starts again; container prune removes what is stopped"
  expect_success cove run -d --name again "$IMG" sh -c "trap 'exit 0' TERM; echo run; while :; do sleep 0.1; done"
  local pid1 pid2
  pid1=$(cove inspect --format '{{.State.Pid}}' again; echo "$OUT")
  expect_success cove restart again
  expect_eq "$OUT" again "restart output"
  pid2=$(cove inspect --format '{{.State.Pid}}' again; echo "$OUT")
  expect_eq "$(ctr_state again)" running "status after restart"
  expect_ne "$pid2" "$pid1" "pid after restart"
  expect_success cove run -d --name stopped-one "$IMG" true
  expect_success cove wait stopped-one
  local three_id
  three_id=$(cove inspect --format '{{.Id}}' three; echo "$OUT")
  expect_success cove container prune -f
  expect_contains "$OUT" "$three_id" "pruned ids"
  expect_success cove ps -a --format '{{.Names}}'
  expect_eq "$OUT" again "what prune left"
  expect_success cove rm -f again

  TEST "20 containers started in parallel"
  for i in $(seq 1 20); do cove_bg "par$i" run -d --name "par$i" "$IMG" sleep 1000; done
  wait_bg
  local ok=0
  for i in $(seq 1 20); do
    [[ $(cat "$T/bg/par$i.rc") == 0 ]] && ok=$((ok + 1))
  done
  expect_eq "$ok" 20 "successful starts"
  expect_success cove ps -q
  expect_eq "$(wc -l <<<"$OUT")" 20 "running containers"
  expect_success cove rm -f $(for i in $(seq 1 20); do echo "par$i"; done)
  expect_eq "$(wc -l <<<"$OUT")" 20 "removed"

  TEST "rm -f removes everything left"
  cove ps -a -q
  if [[ -n $OUT ]]; then
    # shellcheck disable=SC2086
    expect_success cove rm -f $OUT
  fi
  expect_success cove ps -a -q
  expect_eq "$OUT" "" "containers left"
  expect_eq "$(container_count)" 0 "container directories left"
}
