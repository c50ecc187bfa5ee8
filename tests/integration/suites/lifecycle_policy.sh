# What the monitor does for a detached container besides running it once: restart policies
# (--restart), cove-init as PID 1 (--init), and pause/unpause through the cgroup freezer.

# inspect_field NAME TEMPLATE: one inspect value.
inspect_field() {
  cove inspect --format "$2" "$1"
  echo "$OUT"
}

# wait_for NAME TEMPLATE VALUE: waits up to 30 s until the inspect value is VALUE.
wait_for() {
  local i
  for i in $(seq 1 300); do
    [[ $(inspect_field "$1" "$2") == "$3" ]] && return 0
    sleep 0.1
  done
  fail "container $1: $2 never became $3 (last: $(inspect_field "$1" "$2"))"
  return 1
}

# wait_for_at_least NAME TEMPLATE N: waits up to 60 s until the inspect value is >= N.
wait_for_at_least() {
  local i value
  for i in $(seq 1 600); do
    value=$(inspect_field "$1" "$2")
    [[ $value =~ ^[0-9]+$ ]] && ((value >= $3)) && return 0
    sleep 0.1
  done
  fail "container $1: $2 never reached $3 (last: $value)"
  return 1
}

# The v1 freezer or a writable cgroup v2 cgroup for this identity, else a reason on stdout.
freezer_missing() {
  if [[ $IDENTITY == root ]]; then
    if grep -qw freezer /proc/self/cgroup 2>/dev/null || [[ -e /sys/fs/cgroup/cgroup.freeze ]] ||
      grep -q cgroup2 /proc/self/mountinfo; then
      return 1
    fi
    echo "no cgroup freezer (v1 freezer hierarchy or cgroup v2) on this host"
    return 0
  fi
  local own
  own=$(awk -F: '$1 == "0" { print $3 }' /proc/self/cgroup)
  local mount
  mount=$(awk '$9 == "cgroup2" { print $5; exit }' /proc/self/mountinfo)
  if [[ -n $mount && -n $own ]] && user_cmd test -w "$mount$own" && ((RC == 0)); then
    return 1
  fi
  echo "no cgroup delegated to $RUN_AS (the freezer needs root or a delegated cgroup v2)"
  return 0
}

restart_tests() {
  TEST "--restart is validated like Docker's"
  expect_cove_error "conflicting options" cove run --rm --restart always "$IMG" true
  expect_cove_error "invalid restart policy" cove run -d --restart sometimes "$IMG" true
  expect_cove_error "only allowed with on-failure" cove run -d --restart always:3 "$IMG" true
  expect_cove_error "--restart needs -d" cove run --restart always "$IMG" true
  expect_success cove ps -aq
  expect_eq "$OUT" "" "containers left by rejected runs"

  TEST "on-failure:2 restarts a failing command exactly twice"
  expect_success cove run -d --name onfail --restart on-failure:2 "$IMG" sh -c 'echo ran; exit 3'
  expect_success cove wait onfail
  expect_eq "$OUT" 3 "wait"
  expect_eq "$(inspect_field onfail '{{.RestartCount}}')" 2 "RestartCount"
  expect_eq "$(inspect_field onfail '{{.State.Status}} {{.State.ExitCode}} {{.State.Restarting}}')" \
    "exited 3 false" "State"
  expect_eq "$(inspect_field onfail '{{.HostConfig.RestartPolicy.Name}}:{{.HostConfig.RestartPolicy.MaximumRetryCount}}')" \
    "on-failure:2" "HostConfig.RestartPolicy"
  expect_success cove logs onfail
  expect_eq "$(grep -c '^ran$' <<<"$OUT")" 3 "runs in the log"

  TEST "on-failure never restarts a command that succeeds"
  expect_success cove run -d --name onsuccess --restart on-failure "$IMG" true
  expect_success cove wait onsuccess
  expect_eq "$OUT" 0 "wait"
  expect_eq "$(inspect_field onsuccess '{{.RestartCount}}')" 0 "RestartCount"

  TEST "always restarts a container that dies, with a new process"
  expect_success cove run -d --name always --restart always "$IMG" sh -c 'echo up; exec sleep 1000'
  local first
  first=$(inspect_field always '{{.State.Pid}}')
  [[ $first =~ ^[1-9][0-9]*$ ]] || fail "no pid for the running container: $first"
  # Killed from outside cove (as a crash would): not a stop by the user.
  user_cmd kill -KILL "$first"
  expect_eq "$RC" 0 "kill the container's process"
  wait_for_at_least always '{{.RestartCount}}' 1
  wait_for always '{{.State.Status}}' running
  local second
  second=$(inspect_field always '{{.State.Pid}}')
  expect_ne "$second" "$first" "the restarted container's pid"
  expect_ne "$second" 0 "the restarted container's pid"

  TEST "stop ends always for good: the container stays exited"
  expect_success cove stop -t 1 always
  expect_eq "$(inspect_field always '{{.State.Status}} {{.State.Restarting}}')" "exited false" "State"
  local count
  count=$(inspect_field always '{{.RestartCount}}')
  expect_success cove ps -q --filter name=always --filter status=running
  expect_eq "$OUT" "" "running containers named always"
  # stop returned after the monitor exited: nothing is left that could start it again.
  expect_eq "$(inspect_field always '{{.RestartCount}}')" "$count" "RestartCount after stop"

  TEST "start after stop runs it again and resets RestartCount"
  expect_success cove start always
  wait_for always '{{.State.Status}}' running
  expect_eq "$(inspect_field always '{{.RestartCount}}')" 0 "RestartCount"

  TEST "kill by the user is a manual stop too"
  expect_success cove kill always
  expect_success cove wait always
  expect_eq "$OUT" 137 "wait"
  expect_eq "$(inspect_field always '{{.State.Status}} {{.RestartCount}}')" "exited 0" "State"

  TEST "a crashing container is shown as restarting between runs; stop ends that too"
  expect_success cove run -d --name crasher --restart unless-stopped "$IMG" sh -c 'exit 2'
  # The back-off doubles from 100 ms: after a few runs it mostly waits.
  wait_for_at_least crasher '{{.RestartCount}}' 4
  wait_for crasher '{{.State.Status}}' restarting
  expect_eq "$(inspect_field crasher '{{.State.Restarting}} {{.State.Running}} {{.State.Pid}}')" \
    "true true 0" "State while restarting"
  expect_success cove ps -a --filter name=crasher --format '{{.Status}}'
  expect_match "$OUT" '^Restarting \(2\) ' "ps status"
  expect_success cove stop crasher
  # 2 from its last run, or 143 if the stop caught it during one of its short runs.
  expect_match "$(inspect_field crasher '{{.State.Status}} {{.State.Restarting}} {{.State.ExitCode}}')" \
    '^exited false (2|143)$' "State after stop"

  TEST "rm -f removes a container with a restart policy"
  expect_success cove run -d --name doomed --restart always "$IMG" sleep 1000
  expect_success cove rm -f doomed
  expect_success cove ps -aq --filter name=doomed
  expect_eq "$OUT" "" "containers named doomed"
  cove rm onfail onsuccess always crasher
}

init_tests() {
  TEST "--init runs cove-init as PID 1 with the command as its child"
  expect_success cove run --rm --init "$IMG" sh -c 'tr "\0" " " </proc/1/cmdline; echo; echo $$'
  expect_eq "$(sed -n 1p <<<"$OUT")" "/dev/init -- sh -c tr \"\\0\" \" \" </proc/1/cmdline; echo; echo \$\$ " \
    "PID 1's command line"
  expect_ne "$(sed -n 2p <<<"$OUT")" 1 "the command's pid"
  expect_success cove run -d --init --name withinit "$IMG" true
  expect_success cove wait withinit
  expect_eq "$(inspect_field withinit '{{.HostConfig.Init}}')" true "HostConfig.Init"
  cove rm withinit

  TEST "--init passes the exit code on, and 128+N for a signal"
  expect_exit 7 cove run --rm --init "$IMG" sh -c 'exit 7'
  expect_exit 137 cove run --rm --init "$IMG" sh -c 'kill -KILL $$'
  expect_exit 127 cove run --rm --init "$IMG" no-such-command
  expect_contains "$ERR" "no-such-command" "stderr"

  TEST "--init reaps orphaned zombies"
  # The inner shell exits at once, so its background sleep is orphaned to PID 1; only a PID 1
  # that reaps makes it vanish once it has exited.
  local script='sh -c "sleep 0.2 & echo \$! >/tmp/orphan"; p=$(cat /tmp/orphan); i=0
while [ -d /proc/$p ] && ! grep -q "^State:.Z" /proc/$p/status 2>/dev/null && [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done
i=0; while [ -d /proc/$p ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done
if [ -d /proc/$p ]; then echo "zombie $p"; else echo reaped; fi
grep -l "^State:.Z" /proc/[0-9]*/status 2>/dev/null | wc -l'
  expect_success cove run --rm --init "$IMG" sh -c "$script"
  expect_eq "$(sed -n 1p <<<"$OUT")" reaped "the orphan"
  expect_eq "$(sed -n 2p <<<"$OUT")" 0 "zombies left"

  TEST "--init forwards SIGTERM: stop ends a shell PID 1 would keep alive, with 143"
  # Without an init, sh as PID 1 ignores SIGTERM and stop would wait, then SIGKILL (137).
  expect_success cove run -d --init --name initstop "$IMG" sh -c 'sleep 1000'
  expect_success cove stop -t 60 initstop
  expect_eq "$(inspect_field initstop '{{.State.ExitCode}}')" 143 "exit code after stop"
  cove rm initstop

  TEST "--init without cove-init next to cove fails clearly"
  mkdir -p "$WORK/noinit"
  cp "$COVE_BIN" "$WORK/noinit/cove"
  chmod 755 "$WORK/noinit" "$WORK/noinit/cove"
  user_cmd "$WORK/noinit/cove" "${COVE_GLOBAL[@]}" run --rm --init "$IMG" true
  expect_eq "$RC" 125 "exit status"
  expect_contains "$ERR" "$WORK/noinit/cove-init" "stderr"
  rm -rf "$WORK/noinit"
}

pause_tests() {
  local missing
  missing=$(freezer_missing)
  if [[ -n $missing && $IDENTITY == root ]]; then
    TEST "pause and unpause"
    skip_test "$missing"
    return 0
  fi
  expect_success cove run -d --name counter "$IMG" sh -c 'i=0; while true; do i=$((i+1)); echo $i >/tmp/count; sleep 0.05; done'
  if [[ -n $missing ]]; then
    TEST "pause fails clearly without a usable cgroup freezer"
    expect_cove_error "cgroup freezer is not available" cove pause counter
    expect_contains "$ERR" "freezer" "the reason"
    expect_eq "$(inspect_field counter '{{.State.Status}} {{.State.Paused}}')" "running false" "State"
    expect_cove_error "not paused" cove unpause counter
    cove rm -f counter
    return 0
  fi

  TEST "pause freezes the container: its counter does not advance"
  wait_for_count() {
    local i
    for i in $(seq 1 100); do
      cove exec counter cat /tmp/count
      [[ $OUT =~ ^[0-9]+$ ]] && ((OUT > 2)) && return 0
      sleep 0.1
    done
  }
  wait_for_count
  expect_success cove pause counter
  expect_eq "$OUT" counter "pause output"
  expect_eq "$(inspect_field counter '{{.State.Status}} {{.State.Paused}} {{.State.Running}}')" \
    "paused true true" "State"
  expect_success cove ps --filter name=counter --format '{{.State}} {{.Status}}'
  expect_match "$OUT" '^paused Up .* \(Paused\)$' "ps"
  # exec is refused while paused (as Docker's); cp reads the file through the frozen init.
  expect_success cove cp counter:/tmp/count "$WORK/count1"
  local frozen
  frozen=$(cat "$WORK/count1")
  sleep 0.5
  expect_success cove cp counter:/tmp/count "$WORK/count2"
  expect_eq "$(cat "$WORK/count2")" "$frozen" "the counter while paused"
  expect_cove_error "is paused" cove exec counter cat /tmp/count
  expect_cove_error "already paused" cove pause counter

  TEST "unpause thaws it: the counter moves again"
  expect_success cove unpause counter
  expect_eq "$(inspect_field counter '{{.State.Status}} {{.State.Paused}}')" "running false" "State"
  local i moved=0
  for i in $(seq 1 100); do
    cove exec counter cat /tmp/count
    [[ $OUT =~ ^[0-9]+$ ]] && ((OUT > frozen)) && { moved=1; break; }
    sleep 0.1
  done
  expect_eq "$moved" 1 "the counter moved after unpause"
  expect_cove_error "not paused" cove unpause counter

  TEST "stop, kill and rm -f work on a paused container"
  expect_success cove pause counter
  expect_success cove stop -t 1 counter
  expect_eq "$(inspect_field counter '{{.State.Status}}')" exited "status after stop"
  expect_success cove start counter
  expect_success cove pause counter
  expect_success cove kill counter
  expect_success cove wait counter
  expect_eq "$OUT" 137 "exit code after kill"
  expect_success cove start counter
  expect_success cove pause counter
  local id
  id=$(inspect_field counter '{{.Id}}')
  expect_success cove rm -f counter
  expect_success cove ps -aq --filter name=counter
  expect_eq "$OUT" "" "containers named counter"
  if [[ $IDENTITY == root ]]; then
    expect_missing "/sys/fs/cgroup/freezer/cove/$id"
  fi

  TEST "pause of a container that is not running fails"
  expect_success cove create --name idle "$IMG" true
  expect_cove_error "not running" cove pause idle
  cove rm idle
}

suite_main() {
  TEST "pull the image"
  expect_success cove pull -q "$IMG"
  restart_tests
  init_tests
  pause_tests
}
