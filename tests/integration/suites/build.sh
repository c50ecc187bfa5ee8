# cove build: Dockerfile steps that need no container (FROM, config instructions, COPY) produce
# an image that cove run, images and image inspect accept; .dockerignore; confined contexts;
# errors that name the Dockerfile line.

# USER and --chown use uid 1000, which only a subordinate range (or root) can map.
SUITE_IDENTITIES="user root"

suite_main() {
  local ctx=$WORK/app
  mkdir -p "$ctx/src/sub"
  echo "hello from the context" >"$ctx/hello.txt"
  echo "nested" >"$ctx/src/sub/deep.txt"
  echo "skip me" >"$ctx/src/debug.log"
  echo "but keep me" >"$ctx/src/keep.log"
  printf '**/*.log\n!src/keep.log\n**/secret*\n' >"$ctx/.dockerignore"
  echo "top secret" >"$ctx/src/secret.key"
  cat >"$ctx/Dockerfile" <<DF
# syntax=docker/dockerfile:1
ARG BASE=$IMG
FROM \${BASE}
ARG GREETING=hi
ENV GREETING=\${GREETING}-there \\
    OTHER="two words"
LABEL org.example.title="cove build test" version=1
WORKDIR /app
COPY hello.txt ./
COPY --chown=1000:1000 src/ /app/src/
COPY --chmod=0640 hello.txt /app/private.txt
COPY <<EOF /app/inline.txt
made by \${GREETING}
EOF
USER 1000
EXPOSE 8080
CMD ["sh", "-c", "echo \$GREETING; echo \$OTHER; pwd; id -u; cat hello.txt inline.txt"]
DF
  own_contexts

  TEST "build FROM the test image with ENV/WORKDIR/USER/COPY/CMD"
  expect_success cove build -t local/app:1 --build-arg GREETING=hey "$ctx"
  expect_contains "$OUT" "STEP 1/12: FROM \${BASE}" "step output"
  expect_contains "$OUT" "STEP 7/12: COPY --chown=1000:1000 src/ /app/src/" "step output"
  expect_contains "$ERR" "ignoring syntax directive" "syntax note"

  TEST "the built image runs with its config"
  expect_success cove run --rm --network none local/app:1
  expect_eq "$OUT" "$(printf 'hey-there\ntwo words\n/app\n1000\nhello from the context\nmade by hey-there')" "output"

  TEST "COPY --chown and --chmod are visible inside the container"
  expect_success cove run --rm --network none local/app:1 stat -c '%u:%g %a %n' /app/src/sub/deep.txt /app/private.txt /app/hello.txt
  expect_line "$OUT" "1000:1000 644 /app/src/sub/deep.txt" "chowned file"
  expect_line "$OUT" "0:0 640 /app/private.txt" "chmod file"
  expect_line "$OUT" "0:0 644 /app/hello.txt" "plain file"

  TEST ".dockerignore: excluded files are absent, ! exceptions present"
  expect_success cove run --rm --network none local/app:1 find /app/src -type f
  expect_contains "$OUT" "/app/src/keep.log" "re-included file"
  expect_not_contains "$OUT" "debug.log" "ignored file"
  expect_not_contains "$OUT" "secret" "ignored by **"

  TEST "images and image inspect show the built image"
  expect_success cove images
  expect_contains "$OUT" "local/app" "images"
  expect_success cove image inspect --format '{{index .Config.Labels "org.example.title"}} {{.Config.User}}' local/app:1
  expect_eq "$OUT" "cove build test 1000" "inspect"

  TEST "-q prints only the id, --iidfile writes it"
  expect_success cove build -q --iidfile "$WORK/iid" -t local/app:2 "$ctx"
  expect_match "$OUT" '^sha256:[0-9a-f]{64}$' "quiet output"
  expect_eq "$(cat "$WORK/iid")" "$OUT" "iidfile"

  TEST "-f picks another Dockerfile, --target a stage"
  printf 'FROM %s AS base\nENV STAGE=base\nFROM base AS final\nENV STAGE=final\n' "$IMG" >"$ctx/Stages"
  own_contexts
  expect_success cove build -f "$ctx/Stages" --target base -t local/stage:base "$ctx"
  expect_success cove run --rm --network none local/stage:base sh -c 'echo $STAGE'
  expect_eq "$OUT" base "target stage"
  expect_success cove build -f "$ctx/Stages" -t local/stage:final "$ctx"
  expect_success cove run --rm --network none local/stage:final sh -c 'echo $STAGE'
  expect_eq "$OUT" final "last stage built on the first"

  TEST "RUN: files it creates, owners it sets and files it deletes end up in the image"
  local runctx=$WORK/runctx
  mkdir -p "$runctx"
  cat >"$runctx/Dockerfile" <<DF
FROM $IMG
ENTRYPOINT ["/bin/echo", "entrypoint must not run for RUN"]
ARG WHO=builder
RUN mkdir -p /data/sub && echo "made by \$WHO" >/data/made.txt && touch /data/gone /data/sub/old
RUN chown 1000:1001 /data/made.txt && chown 2000:2000 /data/sub && rm /data/gone && rm -r /data/sub/old
RUN ["/bin/sh", "-c", "echo exec form >/data/exec.txt"]
USER 1000
RUN id -u >/data/uid.txt || echo denied-as-expected
ENTRYPOINT []
CMD ["sh", "-c", "cat /data/made.txt /data/exec.txt; stat -c '%u:%g %n' /data/made.txt /data/sub; ls /data"]
DF
  own_contexts
  expect_success cove build -t local/run:1 --build-arg WHO=tester "$runctx"
  expect_line "$OUT" "^denied-as-expected$" "RUN as USER 1000 cannot write root's /data"
  expect_success cove run --rm --network none local/run:1
  expect_line "$OUT" "^made by tester$" "ARG visible to RUN"
  expect_line "$OUT" "^exec form$" "exec-form RUN"
  expect_line "$OUT" "^1000:1001 /data/made.txt$" "chowned file"
  expect_line "$OUT" "^2000:2000 /data/sub$" "chowned dir"
  expect_not_contains "$OUT" "gone" "file deleted by a later RUN"
  expect_not_contains "$OUT" "uid.txt" "file a failed command did not write"

  TEST "WORKDIR creates a missing directory; --chmod must be octal"
  printf 'FROM %s\nWORKDIR /made/by/workdir\nRUN pwd >here.txt\n' "$IMG" >"$runctx/Workdir"
  printf 'FROM %s\nCOPY --chmod=rw Workdir /x\n' "$IMG" >"$runctx/Chmod"
  own_contexts
  expect_success cove build -f "$runctx/Workdir" -t local/workdir:1 "$runctx"
  expect_success cove run --rm --network none local/workdir:1 sh -c 'cat here.txt; stat -c "%u %a" /made/by'
  expect_eq "$OUT" "$(printf '/made/by/workdir\n0 755')" "workdir"
  expect_cove_error "expected an octal mode" cove build -f "$runctx/Chmod" "$runctx"

  TEST "two RUN steps that change nothing (the same empty layer twice) still run"
  printf 'FROM %s\nRUN true\nRUN true\nCMD ["echo", "ran"]\n' "$IMG" >"$runctx/Twice"
  own_contexts
  expect_success cove build --network none -f "$runctx/Twice" -t local/twice:1 "$runctx"
  expect_success cove run --rm --network none local/twice:1
  expect_eq "$OUT" ran "output"

  TEST "RUN after VOLUME: writes under the volume are discarded, no volume is left behind"
  printf 'FROM %s\nVOLUME /data\nRUN echo lost > /data/x && echo kept > /kept\n' "$IMG" >"$runctx/Vol"
  own_contexts
  expect_success cove volume ls -q
  local volumes_before=$OUT
  expect_success cove build --network none -f "$runctx/Vol" -t local/vol:1 "$runctx"
  expect_success cove volume ls -q
  expect_eq "$OUT" "$volumes_before" "volumes after the build"
  expect_success cove run --rm --network none local/vol:1 sh -c 'cat /kept; ls /data'
  expect_eq "$OUT" kept "image content"

  TEST "a failing RUN reports its status and leaves no image behind"
  printf 'FROM %s\nRUN echo before; exit 3\n' "$IMG" >"$runctx/Fail"
  own_contexts
  expect_cove_error "exited with status 3" cove build -f "$runctx/Fail" -t local/fail:1 "$runctx"
  expect_contains "$ERR" "Fail:2: RUN" "error names the line"
  expect_success cove images --format '{{.Repository}}'
  expect_not_contains "$OUT" "local/fail" "images"
  expect_success cove ps -a --format '{{.Names}}'
  expect_not_contains "$OUT" "cove-build" "leftover build containers"

  TEST "cache: an unchanged rebuild reuses every layer"
  local cachectx=$WORK/cachectx stamps
  mkdir -p "$cachectx"
  echo a1 >"$cachectx/a.txt"
  echo b1 >"$cachectx/b.txt"
  printf 'FROM %s\nRUN cat /proc/sys/kernel/random/uuid >/stamp1\nCOPY a.txt /a.txt\nRUN cat /proc/sys/kernel/random/uuid >/stamp2\nCOPY b.txt /b.txt\n' \
    "$IMG" >"$cachectx/Dockerfile"
  own_contexts
  expect_success cove build -t local/cache:1 "$cachectx"
  expect_not_contains "$OUT" "Using cache" "first build"
  expect_success cove run --rm --network none local/cache:1 cat /stamp1 /stamp2
  stamps=$OUT
  expect_success cove build -t local/cache:1 "$cachectx"
  expect_eq "$(grep -c -- '--> Using cache' <<<"$OUT")" 4 "cached steps"
  expect_success cove run --rm --network none local/cache:1 cat /stamp1 /stamp2
  expect_eq "$OUT" "$stamps" "RUN results reused"

  TEST "cache: touching a file without changing it still hits"
  touch -d '2001-01-01' "$cachectx/a.txt"
  expect_success cove build -t local/cache:1 "$cachectx"
  expect_eq "$(grep -c -- '--> Using cache' <<<"$OUT")" 4 "cached steps"

  TEST "cache: changing one copied file rebuilds from that step"
  echo a2 >"$cachectx/a.txt"
  own_contexts
  expect_success cove build -t local/cache:1 "$cachectx"
  expect_eq "$(grep -c -- '--> Using cache' <<<"$OUT")" 1 "cached steps"
  expect_success cove run --rm --network none local/cache:1 cat /stamp1 /stamp2 /a.txt
  expect_eq "$(sed -n 1p <<<"$OUT")" "$(sed -n 1p <<<"$stamps")" "RUN before the change reused"
  expect_ne "$(sed -n 2p <<<"$OUT")" "$(sed -n 2p <<<"$stamps")" "RUN after the change rerun"
  expect_eq "$(sed -n 3p <<<"$OUT")" a2 "new content"

  TEST "cache: --no-cache rebuilds every step"
  expect_success cove build --no-cache -t local/cache:1 "$cachectx"
  expect_not_contains "$OUT" "Using cache" "--no-cache build"

  TEST "multi-stage: COPY --from a build stage into a slim image"
  local msctx=$WORK/msctx
  mkdir -p "$msctx"
  cat >"$msctx/Dockerfile" <<DF
FROM $IMG AS builder
RUN mkdir -p /out && printf '#!/bin/sh\\necho built in stage one\\n' >/out/hello && chmod 755 /out/hello && touch /out/junk
FROM $IMG
COPY --from=builder /out/hello /usr/local/bin/hello
COPY --from=0 /out/hello /copy-by-index
CMD ["hello"]
FROM builder AS again
COPY --from=1 /usr/local/bin/hello /again
DF
  own_contexts
  expect_success cove build --target 1 -t local/multi:1 "$msctx"
  expect_contains "$OUT" "STEP 1/6: FROM $IMG AS builder" "the needed stage is built first"
  expect_contains "$OUT" "STEP 6/6: CMD" "steps of both stages counted"
  expect_success cove build -t local/multi:again "$msctx"
  expect_eq "$(grep -c '^STEP' <<<"$OUT")" 8 "each stage built once"
  expect_success cove run --rm --network none local/multi:again sh -c 'ls /again /out/hello'
  expect_eq "$OUT" "$(printf '/again\n/out/hello')" "FROM a stage plus COPY --from another"
  expect_success cove run --rm --network none local/multi:1
  expect_eq "$OUT" "built in stage one" "binary from stage one"
  expect_success cove run --rm --network none local/multi:1 sh -c 'ls /out 2>&1; stat -c %a /copy-by-index'
  expect_contains "$OUT" "No such file" "stage one's tree is not in the final image"
  expect_contains "$OUT" "755" "copied by stage index"

  TEST "Containerfile is the default name too; -f - reads the Dockerfile from stdin"
  local cfctx=$WORK/cfctx
  mkdir -p "$cfctx"
  printf 'FROM %s\nLABEL from=containerfile\n' "$IMG" >"$cfctx/Containerfile"
  printf 'FROM %s\nLABEL from=stdin\n' "$IMG" >"$WORK/stdin.Dockerfile"
  own_contexts
  expect_success cove build -t local/cf:1 "$cfctx"
  expect_success cove image inspect --format '{{index .Config.Labels "from"}}' local/cf:1
  expect_eq "$OUT" containerfile "label"
  COVE_STDIN=$WORK/stdin.Dockerfile cove build -f - -t local/cf:2 "$cfctx"
  expect_eq "$RC" 0 "exit status"
  expect_success cove image inspect --format '{{index .Config.Labels "from"}}' local/cf:2
  expect_eq "$OUT" stdin "label"

  TEST "an unknown instruction names the file and line"
  printf 'FROM %s\n\nRNU make\n' "$IMG" >"$ctx/Bad"
  own_contexts
  expect_cove_error 'Bad:3: unknown instruction "RNU"' cove build -f "$ctx/Bad" "$ctx"

  TEST "sources outside the context are refused"
  echo outside >"$WORK/outside.txt"
  ln -sf ../outside.txt "$ctx/link-out"
  printf 'FROM %s\nCOPY ../outside.txt /x\n' "$IMG" >"$ctx/Up"
  printf 'FROM %s\nCOPY link-out /x\n' "$IMG" >"$ctx/Link"
  own_contexts
  expect_cove_error "outside the build context" cove build -f "$ctx/Up" "$ctx"
  expect_cove_error "outside the build context" cove build -f "$ctx/Link" "$ctx"

}
