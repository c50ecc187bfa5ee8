# cove build run concurrently: identical builds of one context at once (same stages, same
# intermediate images, same step keys) must all succeed, each with a working image, and leave
# the step cache usable. Every RUN runs as root in the container, so nosub works too.

SUITE_IDENTITIES="user nosub root"

# Image records without a name: what a build leaves behind besides its result.
unnamed_images() {
  cove images -a --format '{{.Repository}}:{{.Tag}} {{.ID}}'
  grep -c '^<none>:<none> ' <<<"$OUT"
}

# Starts `cove build` N times at once (tags local/same:PREFIX-1..N) with ARGS; waits for all.
parallel_builds() {
  local n=$1 prefix=$2 i
  shift 2
  for ((i = 1; i <= n; i++)); do
    cove_bg "$prefix-$i" build -t "local/same:$prefix-$i" "$@"
  done
  wait_bg
}

suite_main() {
  local ctx=$WORK/same i rcs
  mkdir -p "$ctx"
  echo "from the context" >"$ctx/f.txt"
  # Several RUN steps on identical stages: each one's intermediate image is the same for all
  # builds, and the first RUN's even has the same parent config.
  cat >"$ctx/Dockerfile" <<DF
FROM $IMG
RUN echo one >/one
RUN true
COPY f.txt /f.txt
RUN cat /one /f.txt >/both
ENV DONE=yes
RUN true
DF
  own_contexts

  TEST "four identical builds at once all succeed and each image runs"
  parallel_builds 4 cold --no-cache "$ctx"
  rcs=""
  for i in 1 2 3 4; do rcs+="$(cat "$T/bg/cold-$i.rc") "; done
  expect_eq "$rcs" "0 0 0 0 " "exit statuses"
  for i in 1 2 3 4; do
    if [[ $(cat "$T/bg/cold-$i.rc") != 0 ]]; then
      diag "build cold-$i stderr: $(tail -n 5 "$T/bg/cold-$i.err")"
    fi
    expect_success cove run --rm --network none "local/same:cold-$i" sh -c 'cat /both; echo $DONE'
    expect_eq "$OUT" "$(printf 'one\nfrom the context\nyes')" "image cold-$i"
  done
  expect_eq "$(unnamed_images)" 0 "intermediate image records left"

  TEST "four identical builds at once with the cache: all hit, all succeed"
  parallel_builds 4 warm "$ctx"
  rcs=""
  for i in 1 2 3 4; do
    rcs+="$(cat "$T/bg/warm-$i.rc") "
    expect_eq "$(grep -c -- '--> Using cache' "$T/bg/warm-$i.out")" 5 "cached steps of warm-$i"
  done
  expect_eq "$rcs" "0 0 0 0 " "exit statuses"
  for i in 1 2 3 4; do
    expect_success cove run --rm --network none "local/same:warm-$i" cat /both
    expect_eq "$OUT" "$(printf 'one\nfrom the context')" "image warm-$i"
  done
  expect_eq "$(unnamed_images)" 0 "intermediate image records left"
  expect_eq "$(ls -A "$STORE/build-images")" ".lock" "step image bookkeeping left"
}
