# cove build: RUN --mount=type=cache|secret|ssh|bind|tmpfs and RUN --network / build --network.
# Every RUN here runs as root in the container, so the nosub identity (one mapped id) works too
# (the ssh mount owned by uid 1000 is skipped there).

SUITE_IDENTITIES="user nosub root"

# cove_env VAR=VALUE... -- ARGS...: cove with extra environment variables (cove() clears them).
cove_env() {
  local vars=()
  while [[ $1 != -- ]]; do vars+=("$1"); shift; done
  shift
  LAST_CMD="${vars[*]} cove $(printf '%q ' "$@")"
  as_user env "${vars[@]}" timeout -k 10 "$CMD_TIMEOUT" "$COVE_BIN" "${COVE_GLOBAL[@]}" "$@" \
    >"$T/last.out" 2>"$T/last.err" </dev/null
  _collect $?
}

# The files of the store holding TEXT (blobs, layers, records), one per line.
store_files_with() {
  grep -rlF -- "$1" "$STORE" 2>/dev/null
}

# Entries of every layer tar in the store matching ERE.
layer_entries_matching() {
  local blob
  for blob in "$STORE"/blobs/sha256/*; do
    tar -tf "$blob" 2>/dev/null | grep -E -- "$1" | sed "s|^|${blob##*/}: |"
  done
}

test_cache_mounts() {
  local ctx=$WORK/cache
  mkdir -p "$ctx"
  cat >"$ctx/Dockerfile" <<DF
FROM $IMG
RUN --mount=type=cache,target=/var/cache/app,id=app-cache sh -c 'if [ -f /var/cache/app/seen ]; then echo "cache: kept \$(cat /var/cache/app/seen)"; else echo first-build >/var/cache/app/seen; echo "cache: empty"; fi; echo built >/marker'
DF
  own_contexts

  TEST "a cache mount starts empty and its content is not in the image"
  expect_success cove build -t local/cachemount:1 "$ctx"
  expect_line "$OUT" "^cache: empty$" "first build"
  expect_success cove run --rm --network none local/cachemount:1 sh -c 'cat /marker; test ! -e /var/cache/app && echo no-cache-dir'
  expect_eq "$OUT" "$(printf 'built\nno-cache-dir')" "image content"
  expect_eq "$(layer_entries_matching 'var/cache/app|seen$')" "" "layer entries of the cache mount"

  TEST "a later build sees what the first wrote in the cache mount"
  expect_success cove build --no-cache -t local/cachemount:2 "$ctx"
  expect_line "$OUT" "^cache: kept first-build$" "second build"
  expect_success cove run --rm --network none local/cachemount:2 sh -c 'test ! -e /var/cache/app && echo no-cache-dir'
  expect_eq "$OUT" "no-cache-dir" "image content"

  TEST "cache mounts: a new id is a new cache; uid, gid and mode apply to a new one; ro"
  cat >"$ctx/Options" <<DF
FROM $IMG
RUN --mount=type=cache,target=/c,id=other,mode=0710,uid=0,gid=0 sh -c 'ls -A /c | wc -l; stat -c "%a %u:%g" /c; touch /o1'
RUN --mount=type=cache,target=/c,id=app-cache,ro sh -c 'cat /c/seen; if touch /c/x 2>/dev/null; then echo writable; else echo read-only; fi; touch /o2'
DF
  own_contexts
  expect_success cove build -f "$ctx/Options" "$ctx"
  expect_line "$OUT" "^0$" "new cache is empty"
  expect_line "$OUT" "^710 0:0$" "mode and owner"
  expect_line "$OUT" "^first-build$" "ro cache content"
  expect_line "$OUT" "^read-only$" "ro cache"

  TEST "cache mounts with sharing=locked: concurrent builds take turns"
  cat >"$ctx/Locked" <<DF
FROM $IMG
ARG WHO
# ENV makes each build's intermediate image its own
ENV WHO=\$WHO
RUN --mount=type=cache,target=/c,id=turns,sharing=locked sh -c 'echo "start \$WHO" >>/c/log; sleep 1; echo "end \$WHO" >>/c/log'
DF
  printf 'FROM %s\nRUN --mount=type=cache,target=/c,id=turns cat /c/log\n' "$IMG" >"$ctx/ShowLog"
  own_contexts
  cove_bg a build --no-cache --build-arg WHO=a -f "$ctx/Locked" "$ctx"
  cove_bg b build --no-cache --build-arg WHO=b -f "$ctx/Locked" "$ctx"
  wait_bg
  expect_eq "$(cat "$T/bg/a.rc") $(cat "$T/bg/b.rc")" "0 0" "both builds"
  expect_success cove build --no-cache -f "$ctx/ShowLog" "$ctx"
  expect_match "$(grep -E '^(start|end) ' <<<"$OUT" | tr '\n' ' ')" '^start (a|b) end \1 start (a|b) end \2 $' "log order"

  TEST "cache mount errors name the line and the option"
  printf 'FROM %s\nRUN --mount=type=cache,target=/c,sharing=sometimes true\n' "$IMG" >"$ctx/Bad"
  own_contexts
  expect_cove_error 'Bad:2: RUN: --mount=type=cache,target=/c,sharing=sometimes: sharing=sometimes: expected shared, private or locked' \
    cove build -f "$ctx/Bad" "$ctx"
}

test_secrets() {
  local ctx=$WORK/secret value
  value="cove-secret-$RANDOM$RANDOM$RANDOM"
  mkdir -p "$ctx"
  printf '%s' "$value" >"$WORK/token.txt"
  chmod 600 "$WORK/token.txt"
  cat >"$ctx/Dockerfile" <<DF
FROM $IMG
RUN --mount=type=secret,id=tok cat /run/secrets/tok >/dev/null && test -s /run/secrets/tok && echo "secret mode \$(stat -c %a /run/secrets/tok)" && sha256sum /run/secrets/tok >/checksum
RUN --mount=type=secret,id=tok,target=/etc/app/token,mode=0444 sh -c 'echo "len=\$(wc -c </etc/app/token | tr -d "[:space:]")"; if echo x >/etc/app/token 2>/dev/null; then echo writable; else echo read-only; fi; touch /s2'
RUN --mount=type=secret,id=absent sh -c 'test ! -e /run/secrets/absent && echo absent-skipped && touch /s3'
DF
  own_contexts

  TEST "a secret is readable during RUN, read-only, and nowhere in the image or the store"
  expect_success cove build -t local/secret:1 --secret "id=tok,src=$WORK/token.txt" "$ctx"
  expect_line "$OUT" "^secret mode 400$" "secret file"
  expect_line "$OUT" "^len=${#value}$" "secret at its target"
  expect_line "$OUT" "^read-only$" "secret is read-only"
  expect_line "$OUT" "^absent-skipped$" "a secret not given and not required is left out"
  expect_eq "$(store_files_with "$value")" "" "files of the store holding the secret"
  expect_eq "$(layer_entries_matching 'run/secrets|etc/app/token')" "" "layer entries of the secret mounts"
  expect_success cove run --rm --network none local/secret:1 sh -c 'test ! -e /run/secrets && test ! -e /etc/app/token && cat /checksum'
  expect_eq "$OUT" "$(printf '%s' "$value" | sha256sum | cut -d' ' -f1)  /run/secrets/tok" "what the step saw"
  expect_success cove image inspect --format '{{json .History}}' local/secret:1
  expect_contains "$OUT" "--mount=type=secret,id=tok" "history keeps the instruction"
  expect_not_contains "$OUT" "$value" "history"

  TEST "a secret from an environment variable; the cache key ignores the value"
  cove_env "COVE_TEST_TOKEN=$value" -- build -t local/secret:2 --secret id=tok,env=COVE_TEST_TOKEN "$ctx"
  expect_eq "$RC" 0 "exit status"
  expect_eq "$(grep -c -- '--> Using cache' <<<"$OUT")" 3 "cached steps with the same secret from elsewhere"
  cove_env "COVE_TEST_TOKEN=other-$value" -- build --no-cache -t local/secret:3 --secret id=tok,env=COVE_TEST_TOKEN "$ctx"
  expect_eq "$RC" 0 "exit status"
  expect_line "$OUT" "^len=$((${#value} + 6))$" "the new value was mounted"
  expect_eq "$(store_files_with "$value")" "" "files of the store holding the secret"

  TEST "a missing required secret fails clearly, before running anything"
  printf 'FROM %s\nRUN --mount=type=secret,id=needed,required touch /ran\n' "$IMG" >"$ctx/Required"
  own_contexts
  expect_cove_error 'Required:2: RUN: secret "needed" is required but was not given' cove build -f "$ctx/Required" "$ctx"
  expect_cove_error '"/nonexistent/token" is not a readable file' \
    cove build --secret id=needed,src=/nonexistent/token -f "$ctx/Required" "$ctx"
  expect_cove_error 'id= is required' cove build --secret src=/x "$ctx"
}

test_binds() {
  local ctx=$WORK/bind
  mkdir -p "$ctx/sub"
  echo "from the context" >"$ctx/a.txt"
  echo "original" >"$ctx/sub/b.txt"
  echo "ignored" >"$ctx/debug.log"
  echo '*.log' >"$ctx/.dockerignore"
  echo outside >"$WORK/outside.txt"
  cat >"$ctx/Dockerfile" <<DF
FROM $IMG AS tools
RUN mkdir -p /out && echo "made in the tools stage" >/out/msg
FROM $IMG
RUN --mount=type=bind,target=/ctx sh -c 'cat /ctx/a.txt; ls /ctx; if touch /ctx/new 2>/dev/null; then echo writable; else echo read-only; fi; cat /ctx/a.txt >/copied'
RUN --mount=type=bind,source=sub,target=/sub,rw sh -c 'echo changed >/sub/b.txt && cat /sub/b.txt && touch /b5'
RUN --mount=type=bind,source=a.txt,target=/etc/a.txt sh -c 'cat /etc/a.txt && touch /b6'
RUN --mount=type=bind,from=tools,source=/out,target=/tools cp /tools/msg /from-stage
RUN --mount=type=bind,from=$IMG,source=/bin,target=/img-bin sh -c 'test -e /img-bin/sh && touch /b8'
DF
  own_contexts

  TEST "bind mounts of the context (read-only, .dockerignore applied, rw discarded) and of a stage and an image"
  expect_success cove build -t local/bind:1 "$ctx"
  expect_line "$OUT" "^from the context$" "context file"
  expect_line "$OUT" "^read-only$" "context bind is read-only"
  expect_not_contains "$OUT" "debug.log" "ignored file"
  expect_line "$OUT" "^changed$" "rw bind is writable"
  expect_eq "$(cat "$ctx/sub/b.txt")" "original" "context file after an rw bind"
  expect_success cove run --rm --network none local/bind:1 sh -c 'cat /copied /from-stage; for p in /ctx /sub /etc/a.txt /tools /img-bin /out; do test ! -e $p || echo "left: $p"; done'
  expect_eq "$OUT" "$(printf 'from the context\nmade in the tools stage')" "image content"

  TEST "the cache key covers what a context bind exposes, not ignored files"
  expect_success cove build -t local/bind:1 "$ctx"
  expect_eq "$(grep -c -- '--> Using cache' <<<"$OUT")" 6 "cached steps"
  echo "ignored, changed" >"$ctx/debug.log"
  expect_success cove build -t local/bind:1 "$ctx"
  expect_eq "$(grep -c -- '--> Using cache' <<<"$OUT")" 6 "cached steps after changing an ignored file"
  echo "changed in the context" >"$ctx/a.txt"
  own_contexts
  expect_success cove build -t local/bind:1 "$ctx"
  expect_eq "$(grep -c -- '--> Using cache' <<<"$OUT")" 1 "cached steps (the stage) after changing a.txt"
  expect_line "$OUT" "^changed in the context$" "the step ran again"

  TEST "bind sources outside the context are refused"
  ln -sf ../outside.txt "$ctx/link-out"
  printf 'FROM %s\nRUN --mount=type=bind,source=link-out,target=/x cat /x\n' "$IMG" >"$ctx/Link"
  printf 'FROM %s\nRUN --mount=type=bind,source=../outside.txt,target=/x cat /x\n' "$IMG" >"$ctx/Up"
  own_contexts
  expect_cove_error "outside the build context" cove build -f "$ctx/Link" "$ctx"
  expect_cove_error "outside the mount's source" cove build -f "$ctx/Up" "$ctx"
}

test_tmpfs_and_network() {
  local ctx=$WORK/net host_ifaces
  mkdir -p "$ctx"
  cat >"$ctx/Dockerfile" <<DF
FROM $IMG
RUN --network=none sh -c 'echo "routes=\$(tail -n +2 /proc/net/route | wc -l)"; echo "ifaces=\$(ls /sys/class/net | tr "\n" " ")"; touch /n1'
RUN --mount=type=tmpfs,target=/scratch sh -c 'echo x >/scratch/f && grep " /scratch " /proc/mounts | cut -d" " -f3; touch /n2'
DF
  cat >"$ctx/Default" <<DF
FROM $IMG
RUN echo "routes=\$(tail -n +2 /proc/net/route | wc -l)" && touch /d1
RUN --network=host sh -c 'tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d " " | sort | tr "\n" " "; echo; touch /d2'
DF
  own_contexts

  TEST "RUN --network=none has no route; a tmpfs mount is a tmpfs and leaves nothing"
  expect_success cove build -t local/net:1 "$ctx"
  expect_line "$OUT" "^routes=0$" "routes"
  expect_line "$OUT" "^ifaces=lo $" "interfaces"
  expect_line "$OUT" "^tmpfs$" "tmpfs mount"
  expect_success cove run --rm --network none local/net:1 sh -c 'test ! -e /scratch && echo clean'
  expect_eq "$OUT" clean "image content"

  TEST "build --network none applies to every RUN; RUN --network=host overrides it"
  expect_success cove build --network none -f "$ctx/Default" "$ctx"
  expect_line "$OUT" "^routes=0$" "routes with build --network none"
  host_ifaces=$(tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' ' | sort | tr '\n' ' ')
  expect_line "$OUT" "^${host_ifaces}$" "interfaces with RUN --network=host"

  TEST "bad network values are refused"
  printf 'FROM %s\nRUN --network=bridge true\n' "$IMG" >"$ctx/Bad"
  own_contexts
  expect_cove_error 'Bad:2: --network=bridge: expected default, none or host' cove build -f "$ctx/Bad" "$ctx"
  expect_cove_error 'bridge' cove build --network bridge "$ctx"
}

# The host's ssh-add with the libraries it links, for an image that has no agent client (the
# test image is busybox, whose nc cannot open a Unix socket).
host_ssh_add() {
  local dir=$1 lib
  mkdir -p "$dir"
  cp /usr/bin/ssh-add "$dir/ssh-add"
  for lib in $(ldd /usr/bin/ssh-add | grep -o '/[^ ]*'); do
    cp -L "$lib" "$dir/"
  done
  ln -sf "$(basename "$(ldd /usr/bin/ssh-add | grep -o '/[^ ]*ld-linux[^ ]*')")" "$dir/ld.so"
}

test_ssh() {
  local ctx=$WORK/ssh sock=$WORK/agent.sock sock2=$WORK/agent2.sock agent_pids=() fp out tool s pid
  mkdir -p "$ctx"

  TEST "RUN --mount=type=ssh reaches the --ssh agent; nothing of it in the image"
  for tool in ssh-agent ssh-add ssh-keygen ldd; do
    command -v "$tool" >/dev/null || { skip_test "$tool not found (openssh-client, libc-bin)"; return 0; }
  done
  host_ssh_add "$ctx/hostssh"
  ssh-keygen -q -t ed25519 -N '' -C cove-test-key -f "$WORK/key"
  own_contexts
  for s in "$sock" "$sock2"; do
    user_cmd ssh-agent -a "$s" -s
    out=$OUT
    agent_pids+=("$(sed -n 's/^SSH_AGENT_PID=\([0-9]*\);.*/\1/p' <<<"$out")")
  done
  user_cmd env SSH_AUTH_SOCK="$sock" ssh-add -q "$WORK/key"
  expect_eq "$RC" 0 "ssh-add the test key"
  fp=$(ssh-keygen -l -f "$WORK/key.pub" | cut -d' ' -f2)
  cat >"$ctx/Dockerfile" <<DF
FROM $IMG
RUN --mount=type=bind,source=hostssh,target=/h --mount=type=ssh sh -c 'echo "sock=\$SSH_AUTH_SOCK"; stat -c "%F %u:%g %a" "\$SSH_AUTH_SOCK"; /h/ld.so --library-path /h /h/ssh-add -l; touch /s1'
RUN --mount=type=ssh,id=other,target=/tmp/agent sh -c 'if test -S /tmp/agent; then echo other-mounted; else echo other-absent; fi; echo "sock=\$SSH_AUTH_SOCK"; touch /s2'
DF
  own_contexts
  cove_env "SSH_AUTH_SOCK=$sock" -- build -t local/ssh:1 --ssh default "$ctx"
  expect_eq "$RC" 0 "exit status"
  [[ $RC == 0 ]] || show_last
  expect_line "$OUT" "^sock=/run/buildkit/ssh_agent.0$" "SSH_AUTH_SOCK of the first step"
  expect_line "$OUT" "^socket 0:0 600$" "the socket in the container"
  expect_contains "$OUT" " $fp cove-test-key (ED25519)" "the agent's keys, listed in the step"
  expect_line "$OUT" "^other-absent$" "an ssh id not given and not required is left out"
  expect_line "$OUT" "^sock=/tmp/agent$" "SSH_AUTH_SOCK names the mount's target"
  expect_eq "$(layer_entries_matching 'ssh_agent|run/buildkit|tmp/agent|hostssh|h/ssh-add')" "" "layer entries of the mounts"
  expect_success cove run --rm --network none local/ssh:1 sh -c 'test ! -e /run/buildkit && test ! -e /tmp/agent && test ! -e /h && echo clean; echo "env=$SSH_AUTH_SOCK"'
  expect_eq "$OUT" "$(printf 'clean\nenv=')" "image content and environment"
  expect_success cove image inspect --format '{{json .Config.Env}}' local/ssh:1
  expect_not_contains "$OUT" "SSH_AUTH_SOCK" "the image's environment"

  TEST "the cache key holds the ssh id, not the socket behind it; a second id"
  cove_env "SSH_AUTH_SOCK=$sock2" -- build -t local/ssh:2 --ssh default "$ctx"
  expect_eq "$RC" 0 "exit status"
  expect_eq "$(grep -c -- '--> Using cache' <<<"$OUT")" 2 "cached steps with another agent"
  expect_success cove build --no-cache -t local/ssh:3 --ssh "default=$sock2" --ssh "other=$sock" "$ctx"
  expect_line "$OUT" "^other-mounted$" "the second id"
  expect_line "$OUT" "agent has no identities" "the first step used the other (empty) agent"

  TEST "ssh mount uid, gid and mode (without a subuid range: a clear error)"
  printf 'FROM %s\nRUN --mount=type=bind,source=hostssh,target=/h --mount=type=ssh,uid=1000,gid=1000,mode=0660 sh -c '\''stat -c "%%u:%%g %%a" $SSH_AUTH_SOCK; su app -c "/h/ld.so --library-path /h /h/ssh-add -l"'\''\n' "$IMG" >"$ctx/Owner"
  own_contexts
  if [[ $IDENTITY == nosub ]]; then
    expect_cove_error 'Owner:2: RUN: --mount=type=ssh,target=/run/buildkit/ssh_agent.0: ssh agent socket: chown to 1000:1000 (is that id mapped?)' \
      cove build --ssh "default=$sock" -f "$ctx/Owner" "$ctx"
  else
    expect_success cove build --ssh "default=$sock" -f "$ctx/Owner" "$ctx"
    expect_line "$OUT" "^1000:1000 660$" "the socket's owner and mode"
    expect_contains "$OUT" " $fp cove-test-key (ED25519)" "the agent as uid 1000"
  fi

  TEST "ssh errors: a required id missing names the line; bad --ssh values"
  printf 'FROM %s\nRUN --mount=type=ssh,id=git,required=true touch /ran\n' "$IMG" >"$ctx/Required"
  own_contexts
  expect_cove_error 'Required:2: RUN: ssh agent "git" is required but was not given' cove build -f "$ctx/Required" "$ctx"
  expect_cove_error 'SSH_AUTH_SOCK is not set' cove build --ssh default "$ctx"
  expect_cove_error 'is not a socket' cove build --ssh "default=$WORK/key" "$ctx"

  for pid in "${agent_pids[@]}"; do
    [[ -n $pid ]] && kill "$pid" 2>/dev/null
  done
}

suite_main() {
  test_cache_mounts
  test_secrets
  test_binds
  test_tmpfs_and_network
  test_ssh
}
