# cove run: output, exit codes, environment, working dir, user, entrypoint/cmd rules, naming,
# --rm, hostname.

suite_main() {
  seed_image app-config --env GREETING=hello-from-config --workdir /home/app \
    --entrypoint '["/bin/echo","entry:"]' --cmd '["default-cmd"]'
  seed_image app-user --user app --workdir /home/app
  seed_image cmd-only --no-env --cmd '["sh","-c","echo cmd-only"]'

  TEST "run --rm echo hello"
  expect_success cove run --rm "$IMG" echo hello
  expect_eq "$OUT" hello "stdout"

  TEST "the container's exit status is cove's"
  expect_exit 0 cove run --rm "$IMG" true
  expect_exit 1 cove run --rm "$IMG" false
  expect_exit 3 cove run --rm "$IMG" sh -c 'exit 3'

  TEST "an unknown cove flag exits 125"
  expect_cove_error "" cove run --no-such-flag "$IMG" true

  TEST "a command that cannot be invoked exits 126"
  expect_exit 126 cove run --rm "$IMG" /etc/passwd

  TEST "a command that does not exist exits 127"
  expect_exit 127 cove run --rm "$IMG" no-such-command
  expect_exit 127 cove run --rm "$IMG" /no/such/path

  TEST "a process killed by a signal exits 128+N through the shell"
  # The shell is pid 1 of the container, which its own namespace cannot SIGKILL: a child dies.
  expect_exit 137 cove run --rm "$IMG" sh -c 'sh -c "kill -9 \$\$"; exit $?'
  expect_exit 143 cove run --rm "$IMG" sh -c 'sh -c "kill -15 \$\$"; exit $?'

  TEST "the container's main process killed by a signal: cove exits 128+N"
  # Durations unique to this harness, as other suites may run at the same time.
  local pid secs=$((100000 + $$))
  cove_bg sigkill run --rm "$IMG" sleep "$secs"
  if pid=$(wait_for_process "sleep $secs"); then
    kill -KILL "$pid"
  else
    fail "the container process never appeared"
  fi
  wait_bg
  expect_eq "$(cat "$T/bg/sigkill.rc")" 137 "exit status"

  TEST "SIGTERM sent to cove reaches the container"
  secs=$((secs + 1))
  cove_bg sigterm run --rm "$IMG" sh -c "trap 'echo got-term; exit 42' TERM; sleep $secs & wait"
  if wait_for_process "sleep $secs" >/dev/null && pid=$(cove_main_pid); then
    kill -TERM "$pid"
  else
    fail "the container or cove process never appeared"
  fi
  wait_bg
  expect_eq "$(cat "$T/bg/sigterm.rc")" 42 "exit status"
  expect_eq "$(cat "$T/bg/sigterm.out")" got-term "stdout"

  TEST "stdout and stderr stay separate"
  expect_success cove run --rm "$IMG" sh -c 'echo to-out; echo to-err >&2'
  expect_eq "$OUT" to-out "stdout"
  expect_contains "$ERR" to-err "stderr"

  TEST "-e sets variables, --env-file reads a file"
  cp "$FIXTURES/env.list" "$WORK/env.list"
  chmod 0644 "$WORK/env.list"
  expect_success cove run --rm -e ONE=1 --env TWO=two=2 --env-file "$WORK/env.list" "$IMG" env
  expect_contains "$OUT" "ONE=1" "env"
  expect_contains "$OUT" "TWO=two=2" "env"
  expect_contains "$OUT" "FROM_FILE=file-value" "env"
  expect_contains "$OUT" "SPACED=a b c" "env"

  TEST "image Env is applied and -e overrides it"
  expect_success cove run --rm --entrypoint /bin/sh "$REG/app-config" -c 'echo $GREETING'
  expect_eq "$OUT" hello-from-config "GREETING from the image"
  expect_success cove run --rm --entrypoint /bin/sh -e GREETING=override "$REG/app-config" -c 'echo $GREETING'
  expect_eq "$OUT" override "GREETING overridden"

  TEST "PATH gets a default when the image sets none"
  expect_success cove run --rm "$REG/cmd-only" env
  expect_line "$OUT" '^PATH=.*/bin' "env"

  TEST "default working dir is / and -w changes it"
  expect_success cove run --rm "$IMG" pwd
  expect_eq "$OUT" / "pwd"
  expect_success cove run --rm -w /tmp "$IMG" pwd
  expect_eq "$OUT" /tmp "pwd with -w /tmp"
  expect_success cove run --rm --workdir /new/dir "$IMG" pwd
  expect_eq "$OUT" /new/dir "pwd with a missing -w dir (created, as docker does)"

  TEST "image WorkingDir is honoured"
  expect_success cove run --rm --entrypoint /bin/sh "$REG/app-config" -c 'pwd; id -u'
  expect_eq "$OUT" $'/home/app\n0' "pwd, uid"

  other_users_tests

  TEST "the default user is root"
  expect_success cove run --rm "$IMG" id -u
  expect_eq "$OUT" 0 "default user"

  TEST "an unknown user name is a cove error"
  expect_failure "125|126" "nosuchuser" cove run --rm -u nosuchuser "$IMG" true

  TEST "entrypoint and cmd combine as docker's"
  expect_success cove run --rm "$REG/app-config"
  expect_eq "$OUT" "entry: default-cmd" "image Entrypoint + Cmd"
  expect_success cove run --rm "$REG/app-config" a b
  expect_eq "$OUT" "entry: a b" "arguments replace Cmd"
  expect_success cove run --rm --entrypoint /bin/echo "$REG/app-config"
  expect_eq "$OUT" "" "--entrypoint drops the image Cmd"
  expect_success cove run --rm --entrypoint /bin/echo "$REG/app-config" x y
  expect_eq "$OUT" "x y" "--entrypoint with arguments"
  expect_success cove run --rm "$REG/cmd-only"
  expect_eq "$OUT" "cmd-only" "image Cmd alone"
  expect_success cove run --rm "$REG/cmd-only" echo replaced
  expect_eq "$OUT" "replaced" "arguments replace the image Cmd"

  TEST "everything after IMAGE belongs to the container"
  expect_success cove run --rm "$IMG" echo -la --rm -e X=1
  expect_eq "$OUT" "-la --rm -e X=1" "echo"
  local before
  before=$(container_count)
  expect_exit 1 cove run "$IMG" ls -la --rm
  expect_contains "$ERR" "rm" "ls complains about its own --rm"
  expect_eq "$(container_count)" "$((before + 1))" "containers (cove did not take --rm)"

  TEST "--rm leaves no container directory"
  before=$(container_count)
  expect_success cove run --rm "$IMG" true
  expect_exit 5 cove run --rm "$IMG" sh -c 'exit 5'
  expect_exit 127 cove run --rm "$IMG" no-such-command
  expect_eq "$(container_count)" "$before" "containers after --rm runs"

  TEST "without --rm the container directory stays"
  before=$(container_count)
  expect_success cove run "$IMG" true
  expect_eq "$(container_count)" "$((before + 1))" "containers"

  TEST "--name clash is refused while the first container exists"
  expect_success cove run --name named-one "$IMG" true
  expect_cove_error "named-one" cove run --rm --name named-one "$IMG" true
  expect_success cove run --rm --name named-two "$IMG" true
  expect_success cove run --rm --name named-two "$IMG" true

  TEST "hostname: a short id by default, --hostname sets it"
  expect_success cove run --rm "$IMG" hostname
  expect_match "$OUT" '^[0-9a-f]{12}$' "default hostname"
  expect_success cove run --rm --hostname box.example "$IMG" hostname
  expect_eq "$OUT" box.example "hostname"
  expect_success cove run --rm --hostname box "$IMG" cat /etc/hostname
  expect_eq "$OUT" box "/etc/hostname"

  TEST "/etc/hosts and /etc/resolv.conf exist in the container"
  expect_success cove run --rm "$IMG" sh -c 'test -f /etc/hosts && test -e /etc/resolv.conf && grep -c localhost /etc/hosts'

  TEST "-i passes stdin through"
  printf 'line one\nline two\n' >"$T/stdin.txt"
  COVE_STDIN=$T/stdin.txt expect_success cove run --rm -i "$IMG" wc -l
  expect_eq "$(tr -d ' ' <<<"$OUT")" 2 "lines read from stdin"

  TEST "no mount of the container is visible on the host"
  expect_success cove run --rm "$IMG" true
  local left
  left=$(grep -c -e "$T/" /proc/self/mountinfo)
  expect_eq "$left" 0 "mountinfo entries under the test dir"

  TEST "cove version and info"
  expect_success cove version
  expect_match "$OUT" '[0-9]+\.[0-9]+\.[0-9]+' "version"
  expect_success cove info
  expect_match "$OUT" '(overlay|fuse-overlayfs|copy)' "info names the storage driver"
}

# Users other than root exist in the container only with subordinate ids (or as real root).
other_users_tests() {
  TEST "image User and WorkingDir are honoured"
  if [[ $IDENTITY == nosub ]]; then
    skip_test "uid 1000 is not mapped without subordinate ids"
    return
  fi
  expect_success cove run --rm "$REG/app-user" sh -c 'pwd; id -u; id -g'
  expect_eq "$OUT" $'/home/app\n1000\n1000' "pwd, uid, gid"
  expect_success cove run --rm -u root "$REG/app-user" id -u
  expect_eq "$OUT" 0 "-u root over the image's User"

  TEST "-u app / -u 1000:1000 / -u root"
  expect_success cove run --rm -u app "$IMG" id
  expect_contains "$OUT" "uid=1000(app) gid=1000(app)" "id"
  expect_success cove run --rm -u 1000:1000 "$IMG" id
  expect_contains "$OUT" "uid=1000(app) gid=1000(app)" "id"
  expect_success cove run --rm -u app:root "$IMG" id -g
  expect_eq "$OUT" 0 "gid for app:root"

  TEST "--ulimit sets the container's limits; without it the open-file limit is the hard one"
  expect_success cove run --rm --ulimit nofile=512:1024 --ulimit nproc=300 "$IMG" \
    sh -c 'ulimit -n; ulimit -Hn; ulimit -u'
  expect_eq "$OUT" $'512\n1024\n300' "soft and hard nofile, nproc"
  user_cmd prlimit --nofile=64: "$COVE_BIN" "${COVE_GLOBAL[@]}" run --rm "$IMG" \
    sh -c 'ulimit -n; ulimit -Hn'
  expect_eq "$RC" "0" "exit status"
  expect_eq "$(sed -n 1p <<<"$OUT")" "$(sed -n 2p <<<"$OUT")" "the default soft nofile"
  expect_success cove create --name limited --ulimit nofile=300:400 "$IMG" sh -c 'ulimit -n'
  expect_success cove inspect --format '{{json .HostConfig.Ulimits}}' limited
  expect_eq "$OUT" '[{"Name":"nofile","Soft":300,"Hard":400}]' "HostConfig.Ulimits"
  expect_success cove start -a limited
  expect_eq "$OUT" 300 "the limit on a later start"
  expect_success cove rm limited
  expect_success cove run -d --name limited --ulimit nofile=300:400 "$IMG" sleep 1000
  expect_success cove exec limited sh -c 'ulimit -n; ulimit -Hn'
  expect_eq "$OUT" $'300\n400' "the limits of a process started by exec"
  expect_success cove rm -f limited
  expect_cove_error "above the hard limit" cove run --rm --ulimit nofile=20:10 "$IMG" true
  expect_cove_error "unknown resource" cove run --rm --ulimit files=10 "$IMG" true
  if [[ $IDENTITY == root ]]; then
    diag "root may raise hard limits: the refusal is for the other identities"
  else
    local hard
    hard=$(as_user sh -c 'ulimit -Hn')
    if [[ $hard == unlimited ]]; then
      diag "no finite hard open-file limit here to exceed"
    else
      expect_cove_error "only root can raise it" cove run --rm --ulimit "nofile=$((hard + 1))" "$IMG" true
    fi
  fi
}
