# The last pieces of the container lifecycle: published ports in ps, exec into a paused
# container, --detach-keys (attach, exec -it), commit --pause, and the prune commands'
# confirmation and label filters.

# wait_rc NAME: waits up to 30 s for the background command NAME to end.
wait_rc() {
  for _ in $(seq 1 300); do
    [[ -s $T/bg/$1.rc ]] && return 0
    sleep 0.1
  done
  return 1
}

# tty_cove INPUT_COMMAND COVE_ARGS...: cove under script(1), so that it has a terminal; the
# output of the shell command INPUT_COMMAND is typed into it. OUT has \r and cove's warnings
# removed.
tty_cove() {
  local input=$1 feeder rc
  shift
  LAST_CMD="script -qec 'cove $*'"
  as_user timeout -k 10 "$CMD_TIMEOUT" script -qec "$(cove_cmdline "$@")" /dev/null \
    >"$T/last.out" 2>"$T/last.err" < <(bash -c "$input"; exec sleep "$CMD_TIMEOUT")
  rc=$? feeder=$!
  kill "$feeder" 2>/dev/null
  _collect $rc
  # stderr shares the terminal: drop cove's own warnings (e.g. about a single-id mapping).
  OUT=$(tr -d '\r' <<<"$OUT" | grep -v '^cove: warning:')
}

# Why pausing cannot work for this identity here ("" when it can); as lifecycle_policy's.
freezer_missing() {
  if [[ $IDENTITY == root ]]; then
    if grep -qw freezer /proc/self/cgroup 2>/dev/null || [[ -e /sys/fs/cgroup/cgroup.freeze ]] ||
      grep -q cgroup2 /proc/self/mountinfo; then
      return 1
    fi
    echo "no cgroup freezer (v1 freezer hierarchy or cgroup v2) on this host"
    return 0
  fi
  local own mount
  own=$(awk -F: '$1 == "0" { print $3 }' /proc/self/cgroup)
  mount=$(awk '$9 == "cgroup2" { print $5; exit }' /proc/self/mountinfo)
  if [[ -n $mount && -n $own ]] && user_cmd test -w "$mount$own" && ((RC == 0)); then
    return 1
  fi
  echo "no cgroup delegated to $RUN_AS (the freezer needs root or a delegated cgroup v2)"
  return 0
}

# free_ports N: the first of N consecutive ports free on 127.0.0.1 (TCP and UDP).
free_ports() {
  python3 - "$1" <<'EOF'
import socket, sys
n = int(sys.argv[1])
import random
for base in random.sample(range(20000, 60000, 4), 500):
    try:
        held = []
        for p in range(base, base + n):
            for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
                s = socket.socket(socket.AF_INET, kind)
                held.append(s)
                s.bind(("0.0.0.0", p))
        for s in held:
            s.close()
        print(base)
        break
    except OSError:
        for s in held:
            s.close()
EOF
}

test_ps_ports() {
  TEST "ps shows published ports as Docker does, ranges collapsed, in templates and JSON"
  if ! command -v slirp4netns >/dev/null; then
    skip_test "slirp4netns is not installed (needed to publish ports)"
    return
  fi
  if ! as_user test -r /dev/net/tun -a -w /dev/net/tun; then
    skip_test "/dev/net/tun is not usable by the test user"
    return
  fi
  local base
  base=$(free_ports 4)
  local p1=$base p2=$((base + 1)) r1=$((base + 2)) r2=$((base + 3))
  expect_success cove run -d --network slirp4netns -p "127.0.0.1:$p1:80" -p "0.0.0.0:$p2:90/udp" \
    --name web "$IMG" sleep 1000
  expect_success cove ps --format '{{.Ports}}'
  expect_eq "$OUT" "127.0.0.1:$p1->80/tcp, 0.0.0.0:$p2->90/udp" "{{.Ports}}"
  expect_success cove ps
  expect_line "$OUT" "127\.0\.0\.1:$p1->80/tcp, 0\.0\.0\.0:$p2->90/udp +web$" "the PORTS column"
  expect_line "$(head -n 1 <<<"$OUT")" ' PORTS +NAMES$' "the table header"
  expect_success cove ps --format json
  local ports
  ports=$(python3 -c 'import json, sys
for p in json.load(sys.stdin)[0]["Ports"]:
    print(p["host_ip"], p["host_port"], p["container_port"], p["range"], p["protocol"])' <<<"$OUT")
  expect_eq "$ports" "$(printf '127.0.0.1 %s 80 1 tcp\n0.0.0.0 %s 90 1 udp' "$p1" "$p2")" \
    "ps --format json Ports"
  expect_success cove inspect --format \
    '{{(index (index .NetworkSettings.Ports "80/tcp") 0).HostPort}} {{json .HostConfig.PortBindings}}' web
  expect_eq "$OUT" "$p1 {\"80/tcp\":[{\"HostIp\":\"127.0.0.1\",\"HostPort\":\"$p1\"}],\"90/udp\":[{\"HostIp\":\"0.0.0.0\",\"HostPort\":\"$p2\"}]}" \
    "inspect: NetworkSettings.Ports and HostConfig.PortBindings"
  expect_success cove stop -t 1 web
  expect_success cove ps -a --format '{{.Names}}:{{.Ports}}'
  expect_eq "$OUT" "web:" "a stopped container publishes nothing"
  expect_success cove rm web

  TEST "ps collapses a published range"
  expect_success cove run -d --network slirp4netns -p "127.0.0.1:$r1-$r2:80-81" --name ranged \
    "$IMG" sleep 1000
  expect_success cove ps --format '{{.Ports}}'
  expect_eq "$OUT" "127.0.0.1:$r1-$r2->80-81/tcp" "{{.Ports}} of a range"
  expect_success cove ps --format json
  expect_contains "$OUT" '"range": 2' "the range in JSON"
  expect_success cove rm -f ranged
}

test_exec_paused() {
  local missing
  missing=$(freezer_missing)
  TEST "exec into a paused container is refused with 125; after unpause it works"
  if [[ -n $missing ]]; then
    skip_test "$missing"
    return
  fi
  expect_success cove run -d --network none --name frozen "$IMG" sleep 1000
  expect_success cove pause frozen
  expect_cove_error "container frozen is paused, unpause the container before exec" \
    cove exec frozen true
  expect_cove_error "is paused" cove exec -d frozen sleep 1
  expect_cove_error "is paused" cove exec -i frozen true
  expect_success cove unpause frozen
  expect_success cove exec frozen echo thawed
  expect_eq "$OUT" thawed "exec after unpause"
  expect_success cove rm -f frozen
}

test_detach_keys() {
  TEST "--detach-keys: invalid specs are refused with 125"
  expect_success cove run -di --network none --name dk "$IMG" cat
  expect_cove_error "invalid detach keys" cove attach --detach-keys ctrl-pp dk
  expect_contains "$ERR" '"ctrl-pp"' "the bad key quoted"
  expect_cove_error "invalid detach keys" cove attach --detach-keys 'a,,b' dk
  expect_cove_error "invalid detach keys" cove exec -it --detach-keys ctrl-P dk true
  expect_cove_error "invalid detach keys" cove exec --detach-keys ctrl- dk true
  expect_cove_error "needs -i and -t" cove exec -i --detach-keys ctrl-x dk true
  expect_cove_error "needs -i" cove start --detach-keys ctrl-x dk
  expect_cove_error "needs -i" cove run --rm -t --detach-keys ctrl-x "$IMG" true
  expect_cove_error "does not apply to -d" cove run -d -i --detach-keys ctrl-x "$IMG" true

  TEST "attach --detach-keys ctrl-x detaches on ^X and leaves the container running"
  printf 'kept\n\x10\x11also-kept\n\x18dropped\n' >"$WORK/ctrlx.txt"
  attach_bg ctrlx "$WORK/ctrlx.txt" attach --detach-keys ctrl-x dk
  wait_rc ctrlx || fail "attach --detach-keys ctrl-x did not detach"
  expect_eq "$(cat "$T/bg/ctrlx.rc" 2>/dev/null)" 0 "attach exit code after ^X"
  wait_for_logs dk also-kept
  expect_eq "$(ctr_field dk '{{.State.Status}}')" running "container after detach"

  TEST "attach --detach-keys a,b: two plain characters"
  printf 'xyz\nab-gone\n' >"$WORK/ab.txt"
  attach_bg ab "$WORK/ab.txt" attach --detach-keys a,b dk
  wait_rc ab || fail "attach --detach-keys a,b did not detach"
  expect_eq "$(cat "$T/bg/ab.rc" 2>/dev/null)" 0 "attach exit code after a,b"
  wait_for_logs dk xyz
  expect_success cove stop -t 1 dk
  wait_bg
  expect_success cove logs dk
  expect_eq "$OUT" "$(printf 'kept\n\x10\x11also-kept\nxyz')" "what reached the container"
  expect_success cove rm dk

  TEST "attach --detach-keys '': Ctrl-P Ctrl-Q reach the container, attach lasts until the end"
  expect_success cove run -di --network none --name nodk "$IMG" sh -c 'head -n 1; echo done'
  printf 'a\x10\x11b\n' >"$WORK/nodk.txt"
  attach_bg nodk "$WORK/nodk.txt" attach --detach-keys '' nodk
  wait_rc nodk || fail "attach did not end with the container"
  expect_eq "$(cat "$T/bg/nodk.rc" 2>/dev/null)" 0 "attach returns the exit code"
  expect_eq "$(cat "$T/bg/nodk.out" 2>/dev/null)" "$(printf 'a\x10\x11b\ndone')" \
    "the keys went through to the container"
  wait_bg
  expect_success cove rm nodk

  TEST "start -i passes stdin to a container created with -i and returns its exit code"
  expect_success cove create -i --network none --name sti "$IMG" sh -c 'head -n 1; echo got; exit 4'
  printf 'line-in\n' >"$WORK/sti.txt"
  attach_bg sti "$WORK/sti.txt" start -i sti
  wait_rc sti || fail "start -i did not end"
  expect_eq "$(cat "$T/bg/sti.rc" 2>/dev/null)" 4 "start -i exit code"
  expect_eq "$(cat "$T/bg/sti.out" 2>/dev/null)" "$(printf 'line-in\ngot')" "start -i output"
  expect_cove_error "invalid detach keys" cove start -a -i --detach-keys ctrl-\? sti

  TEST "start -a -i --detach-keys ctrl-x detaches and leaves the container running"
  expect_success cove create -i --network none --name stk "$IMG" cat
  printf 'before\n\x18after\n' >"$WORK/stk.txt"
  attach_bg stk "$WORK/stk.txt" start -a -i --detach-keys ctrl-x stk
  wait_rc stk || fail "start -a -i did not detach"
  expect_eq "$(cat "$T/bg/stk.rc" 2>/dev/null)" 0 "start exit code after ^X"
  wait_for_logs stk before
  expect_eq "$(ctr_field stk '{{.State.Status}}')" running "container after detach"
  expect_success cove stop -t 1 stk
  expect_success cove logs stk
  expect_eq "$OUT" before "what reached the container"
  wait_bg
  expect_success cove rm sti stk

  TEST "run -i --detach-keys: detaching leaves the container running under a monitor"
  expect_cove_error "invalid detach keys" cove run --rm --detach-keys ctrl-pp "$IMG" true
  printf 'in\n\x18after\n' >"$WORK/rdk.txt"
  attach_bg rdk "$WORK/rdk.txt" run -i --network none --detach-keys ctrl-x --name rdk "$IMG" cat
  wait_rc rdk || fail "run -i --detach-keys did not detach"
  expect_eq "$(cat "$T/bg/rdk.rc" 2>/dev/null)" 0 "run exit code after ^X"
  expect_eq "$(ctr_field rdk '{{.State.Status}}')" running "container after detach"
  wait_for_logs rdk in
  expect_success cove rm -f rdk

  TEST "run --rm -i --detach-keys without detaching: output, exit code, container removed"
  printf 'x-in\n' >"$WORK/rrm.txt"
  attach_bg rrm "$WORK/rrm.txt" run --rm -i --network none --detach-keys ctrl-x --name rrm \
    "$IMG" sh -c 'head -n 1; echo x-out >&2; exit 5'
  wait_rc rrm || fail "run --rm -i did not end"
  wait_bg
  expect_eq "$(cat "$T/bg/rrm.rc" 2>/dev/null)" 5 "the container's exit code"
  expect_eq "$(cat "$T/bg/rrm.out" 2>/dev/null)" x-in "stdout"
  expect_contains "$(cat "$T/bg/rrm.err" 2>/dev/null)" x-out "stderr"
  expect_cove_error "no such container" cove container inspect rrm

  if ! command -v script >/dev/null; then
    TEST "exec -it --detach-keys"
    skip_test "script(1) not found (bsdutils)"
    return
  fi
  TEST "exec -it: the detach keys leave the command running with its terminal"
  expect_success cove run -d --network none --name ex "$IMG" sleep 1000
  # The keys come after cove has put the terminal in raw mode: a cooked terminal would take
  # ^Q as flow control.
  tty_cove "printf 'echo at-\$((6*7))\\n'; sleep 2; printf '\\030'" \
    exec -it --detach-keys ctrl-x ex sh -c 'sh; echo sh-ended >/tmp/ended'
  expect_eq "$RC" 0 "exec exit status after the detach keys"
  expect_contains "$OUT" at-42 "the shell's answer through the terminal"
  expect_success cove top ex -o pid,args
  expect_line "$OUT" '^ *[0-9]+ +sh -c sh; echo sh-ended' "the exec'd command still runs"
  expect_success cove exec ex sh -c 'test -e /tmp/ended && echo ended || echo running'
  expect_eq "$OUT" running "the exec'd shell was not hung up"

  TEST "start -ai of a -it shell through a terminal; Ctrl-P Ctrl-Q detaches"
  expect_success cove create -it --network none --name tsh "$IMG" sh
  tty_cove "sleep 1; printf 'echo at-\$((6*7))\\n'; sleep 2; printf '\\020\\021'" start -ai tsh
  expect_eq "$RC" 0 "start -ai exit status after the detach keys"
  expect_contains "$OUT" at-42 "the shell's answer through the terminal"
  expect_eq "$(ctr_field tsh '{{.State.Status}}')" running "container after detach"
  expect_success cove rm -f tsh

  TEST "run -it --detach-keys through a terminal: ^X detaches, the shell runs on"
  tty_cove "sleep 1; printf 'echo at-\$((6*7))\\n'; sleep 2; printf '\\030'" \
    run -it --network none --detach-keys ctrl-x --name rtty "$IMG" sh
  expect_eq "$RC" 0 "run exit status after the detach keys"
  expect_contains "$OUT" at-42 "the shell's answer through the terminal"
  expect_eq "$(ctr_field rtty '{{.State.Status}}')" running "container after detach"
  expect_success cove rm -f rtty

  TEST "exec -it: Ctrl-P Ctrl-Q by default; --detach-keys '' passes them on"
  tty_cove "sleep 1; printf '\\020\\021'" exec -it ex sh
  expect_eq "$RC" 0 "exec exit status after Ctrl-P Ctrl-Q"
  # -ixon: the container's cooked terminal would otherwise take ^Q as flow control.
  tty_cove "sleep 1; printf 'stty -ixon; od -An -c; exit 7\\n'; sleep 1; printf '\\020\\021\\n\\004'" \
    exec -it --detach-keys '' ex sh
  expect_eq "$RC" 7 "exec runs to its end without detach keys"
  expect_contains "$OUT" '020 021' "the keys reached the command"
  expect_success cove rm -f ex
}

test_commit_pause() {
  local missing
  missing=$(freezer_missing)
  expect_success cove run -d --network none --name busy "$IMG" sh -c 'echo x >/made; sleep 1000'
  if [[ -n $missing ]]; then
    TEST "commit --pause without a usable freezer fails clearly; without --pause it commits"
    expect_cove_error "cgroup freezer is not available" cove commit --pause busy nofreeze:1
    expect_cove_error "cgroup freezer is not available" cove commit -p busy nofreeze:1
    expect_success cove commit busy nofreeze:2
    expect_success cove commit --pause=false busy nofreeze:3
    expect_success cove stop -t 1 busy
    expect_success cove commit --pause busy nofreeze:4
    expect_success cove run --rm --network none nofreeze:4 cat /made
    expect_eq "$OUT" x "content of the image committed from the stopped container"
    expect_success cove rm busy
    expect_success cove rmi nofreeze:2 nofreeze:3 nofreeze:4
    return
  fi
  TEST "commit --pause pauses a running container while committing and resumes it"
  expect_success cove commit --pause busy paused:1
  expect_eq "$(ctr_field busy '{{.State.Status}} {{.State.Paused}}')" "running false" \
    "state after commit --pause"
  expect_success cove exec busy echo alive
  expect_eq "$OUT" alive "the container runs after commit --pause"
  expect_success cove run --rm --network none paused:1 cat /made
  expect_eq "$OUT" x "content of the committed image"

  TEST "commit --pause leaves an already paused container paused"
  expect_success cove pause busy
  expect_success cove commit -p busy paused:2
  expect_eq "$(ctr_field busy '{{.State.Paused}}')" true "still paused"
  expect_success cove unpause busy
  expect_success cove rm -f busy
  expect_success cove rmi paused:1 paused:2
}

test_volume_prune() {
  TEST "volume prune: no question without a terminal; --filter label= and label!="
  expect_success cove volume create --label keep=yes v-keep
  expect_success cove volume create --label tier=web v-web
  expect_success cove volume create v-plain
  expect_success cove run -d --network none -v v-used:/data --name user1 "$IMG" sleep 1000
  expect_cove_error "invalid filter" cove volume prune --filter dangling=true
  expect_cove_error "invalid filter" cove volume prune --filter label=
  expect_success cove volume prune --filter label=tier=web
  expect_eq "$OUT" v-web "prune --filter label=tier=web"
  expect_success cove volume prune --filter 'label!=keep'
  expect_eq "$OUT" v-plain "prune --filter label!=keep"
  expect_success cove volume prune
  expect_eq "$OUT" v-keep "prune without a terminal does not ask"
  expect_success cove volume ls -q
  expect_eq "$OUT" v-used "the volume in use stays"

  if ! command -v script >/dev/null; then
    TEST "volume prune asks on a terminal"
    skip_test "script(1) not found (bsdutils)"
  else
    TEST "volume prune asks on a terminal: N keeps, y removes, -f does not ask"
    expect_success cove volume create v-ask
    tty_cove "sleep 1; printf 'n\\n'" volume prune
    expect_eq "$RC" 0 "exit status after no"
    expect_contains "$OUT" "WARNING! This will remove all volumes not used by at least one container. The following volumes will be removed:" "the warning"
    expect_line "$OUT" '^v-ask$' "the volume listed"
    expect_not_contains "$OUT" v-used "a volume in use is not listed"
    expect_contains "$OUT" "Are you sure you want to continue? [y/N]" "the question"
    expect_success cove volume ls -q
    expect_contains "$OUT" v-ask "kept after no"
    tty_cove "sleep 1; printf 'y\\n'" volume prune
    expect_line "$OUT" 'v-ask$' "removed after yes"
    expect_success cove volume ls -q
    expect_eq "$OUT" v-used "after yes"
    expect_success cove volume create v-force
    tty_cove "true" volume prune -f
    expect_not_contains "$OUT" "Are you sure" "-f does not ask"
    expect_eq "$OUT" v-force "-f output"
  fi
  expect_success cove rm -f user1
  expect_success cove volume rm v-used
}

test_container_prune() {
  TEST "container prune: no question without a terminal; --filter label"
  expect_success cove run --network none --name base "$IMG" true
  expect_success cove commit -c 'LABEL tier=web' base labeled:1
  expect_success cove run --network none --name web1 labeled:1 true
  local web1
  web1=$(ctr_field_id web1)
  expect_success cove run -d --network none --name up1 labeled:1 sleep 1000
  expect_cove_error "invalid filter" cove container prune --filter until=1h
  expect_success cove container prune --filter label=tier=web
  expect_eq "$OUT" "$web1" "prune --filter label=tier=web removed only web1"
  expect_success cove ps -a --format '{{.Names}}'
  expect_eq "$(sort <<<"$OUT" | tr '\n' ' ')" "base up1 " "left after the label filter"
  expect_success cove run --network none --name web2 labeled:1 true
  expect_success cove container prune --filter 'label!=tier'
  expect_success cove ps -a --format '{{.Names}}'
  expect_eq "$(sort <<<"$OUT" | tr '\n' ' ')" "up1 web2 " "left after label!=tier"

  if ! command -v script >/dev/null; then
    TEST "container prune asks on a terminal"
    skip_test "script(1) not found (bsdutils)"
  else
    TEST "container prune asks on a terminal: N keeps, y removes"
    tty_cove "sleep 1; printf 'N\\n'" container prune
    expect_eq "$RC" 0 "exit status after no"
    expect_contains "$OUT" "WARNING! This will remove all non running containers." "the warning"
    expect_contains "$OUT" "Are you sure you want to continue? [y/N]" "the question"
    expect_success cove ps -a --format '{{.Names}}'
    expect_contains "$OUT" web2 "kept after no"
    tty_cove "sleep 1; printf 'Y\\n'" container prune
    expect_success cove ps -a --format '{{.Names}}'
    expect_eq "$OUT" up1 "after yes: the running one stays"
  fi
  expect_success cove container prune -f
  expect_success cove rm -f up1
  expect_success cove rmi labeled:1
}

# What a crash leaves of a `run` whose record was not synced yet: an empty or garbled
# container.json (records are replaced by rename, so nothing else ever sees one).
test_incomplete_record() {
  TEST "a record a crash left empty or garbled: ps skips it, rm and container prune remove it"
  expect_success cove create --network none --name torn1 "$IMG" true
  local id1 id2
  id1=$(ctr_field_id torn1)
  expect_success cove create --network none --name torn2 "$IMG" true
  id2=$(ctr_field_id torn2)
  expect_success cove create --network none --name whole "$IMG" true
  # Rewritten in place, so the files keep their owner.
  run_cmd truncate -s 0 "$STORE/containers/$id1/container.json"
  run_cmd sh -c "printf '\\0\\0\\0{\"id' >'$STORE/containers/$id2/container.json'"
  expect_success cove ps -a --format '{{.Names}}'
  expect_eq "$OUT" whole "ps -a lists only the whole container"
  expect_cove_error "torn1" cove inspect torn1
  expect_cove_error "no such container" cove start torn1
  expect_success cove rm "${id1:0:12}"
  expect_eq "$OUT" "${id1:0:12}" "rm prints the name it was given"
  expect_missing "$STORE/containers/$id1"
  expect_success cove create --network none --name torn1 "$IMG" true
  expect_success cove ps -a --format '{{.Names}}'
  expect_eq "$(sort <<<"$OUT" | tr '\n' ' ')" "torn1 whole " "the name of the removed one is free again"
  expect_success cove container prune -f
  expect_contains "$OUT" "$id2" "prune removes the garbled one"
  expect_missing "$STORE/containers/$id2"
  expect_success cove ps -a --format '{{.Names}}'
  expect_eq "$OUT" "" "nothing left after prune"
}

# ctr_field_id NAME: the full id of container NAME.
ctr_field_id() {
  cove inspect --format '{{.Id}}' "$1"
  echo "$OUT"
}

suite_main() {
  TEST "pull the image"
  expect_success cove pull -q "$IMG"
  test_ps_ports
  test_exec_paused
  test_detach_keys
  test_commit_pause
  test_volume_prune
  test_container_prune
  test_incomplete_record
}
