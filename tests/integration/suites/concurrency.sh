# Parallel invocations share one store safely: concurrent pulls of one image into an empty
# store, concurrent runs, and the store verifies afterwards.

# Waits for the background jobs NAMES (from cove_bg) and checks each exited WANT.
expect_bg() {
  local want=$1 name rc
  shift
  wait_bg
  for name in "$@"; do
    rc=$(cat "$T/bg/$name.rc" 2>/dev/null || echo missing)
    if [[ $rc != "$want" ]]; then
      fail "$name exited $rc, expected $want"
      diag "stderr of $name: $(head -c 1500 "$T/bg/$name.err" 2>/dev/null)"
    fi
  done
}

suite_main() {
  seed_image multi --variant multi
  local i names

  TEST "4 concurrent pulls of one image into an empty store"
  names=()
  for i in 1 2 3 4; do
    cove_bg "pull$i" pull "$REG/multi"
    names+=("pull$i")
  done
  expect_bg 0 "${names[@]}"
  for i in 2 3 4; do
    expect_eq "$(tail -n 1 "$T/bg/pull$i.out")" "$(tail -n 1 "$T/bg/pull1.out")" "image id printed by pull$i"
  done

  TEST "the store verifies: every blob matches its digest"
  expect_eq "$(bad_blobs)" "" "blobs whose content does not match their name"
  expect_exists "$STORE/blobs/sha256/$(image_info multi image_id)"

  TEST "images lists the image once"
  expect_success cove images -q
  expect_eq "$(grep -c . <<<"$OUT")" 1 "lines of images -q"
  expect_success cove images --format json
  expect_eq "$(jq length <<<"$OUT")" 1 "entries in images --format json"

  TEST "nothing is left in the store's tmp dir"
  local leftovers
  leftovers=$(find "$STORE/tmp" -mindepth 1 -maxdepth 1 2>/dev/null | grep -v '\.lock$' | head -n 5)
  expect_eq "$leftovers" "" "entries in tmp/"

  TEST "8 concurrent run --rm"
  names=()
  for i in 1 2 3 4 5 6 7 8; do
    cove_bg "run$i" run --rm "$REG/multi" sh -c "echo run-$i; cat /etc/motd; echo $i > /tmp/mine; sleep 0.2; cat /tmp/mine"
    names+=("run$i")
  done
  expect_bg 0 "${names[@]}"
  for i in 1 2 3 4 5 6 7 8; do
    expect_eq "$(cat "$T/bg/run$i.out")" $'run-'"$i"$'\nmotd from layer 3\n'"$i" "output of run$i"
  done
  expect_eq "$(container_count)" 0 "container dirs after --rm"

  TEST "8 concurrent runs of an image not yet pulled, with 4 concurrent pulls"
  seed_image late --variant multi --compression zstd --env LATE=1
  names=()
  for i in 1 2 3 4; do
    cove_bg "late-pull$i" pull "$REG/late"
    names+=("late-pull$i")
  done
  for i in 1 2 3 4 5 6 7 8; do
    cove_bg "late-run$i" run --rm "$REG/late" cat /opt/added.txt
    names+=("late-run$i")
  done
  expect_bg 0 "${names[@]}"
  for i in 1 2 3 4 5 6 7 8; do
    expect_eq "$(cat "$T/bg/late-run$i.out")" "added in layer 2" "output of late-run$i"
  done
  expect_eq "$(bad_blobs)" "" "blobs whose content does not match their name"
  expect_success cove images -q
  expect_eq "$(grep -c . <<<"$OUT")" 2 "images"

  TEST "concurrent named containers: exactly one wins a name"
  # The winner still runs (sleep) while the others try, and its record is written durably (no
  # --rm), which widens the window in which a claim exists before its container directory: a
  # live claim must never look stale to a concurrent claimer.
  local round ok refused rc
  for round in 1 2 3 4; do
    for i in 1 2 3 4 5 6; do
      cove_bg "named$round-$i" run --name "same-name-$round" "$REG/multi" sleep 2
    done
    wait_bg
    ok=0 refused=0
    for i in 1 2 3 4 5 6; do
      rc=$(cat "$T/bg/named$round-$i.rc")
      case $rc in
        0) ok=$((ok + 1)) ;;
        125) refused=$((refused + 1))
          expect_contains "$(cat "$T/bg/named$round-$i.err")" "is already in use" "stderr of a refused run" ;;
      esac
    done
    expect_eq "$ok:$refused" "1:5" "succeeded:refused in round $round"
  done
  expect_eq "$(container_count)" 4 "container dirs"

  TEST "a --rm container's name is free again once it exited"
  expect_success cove run --rm --name rm-name "$REG/multi" true
  expect_success cove run --rm --name rm-name "$REG/multi" true
  expect_cove_error "already in use" cove run --rm --name same-name-1 "$REG/multi" true

  TEST "a killed pull leaves nothing a later run trusts"
  # A layer no other image has, so the pull must download it (slowly) and can be killed midway.
  seed_image killed --variant multi --filler 3000000
  start_fault_proxy --fault '/blobs/' slow:200000
  cove_bg killed pull "$PROXY/killed"
  sleep 1.5
  local pid
  for pid in $(stray_pids); do
    [[ $(describe_pids "$pid") == *" pull $PROXY/killed"* ]] && kill -KILL "$pid"
  done
  wait_bg
  expect_ne "$(cat "$T/bg/killed.rc")" 0 "status of the killed pull"
  expect_eq "$(bad_blobs)" "" "blobs whose content does not match their name"
  expect_success cove run --rm "$REG/killed" sh -c 'cat /etc/motd; wc -c < /filler.bin'
  expect_eq "$OUT" $'motd from layer 3\n3000000' "run after the killed pull"
  expect_eq "$(bad_blobs)" "" "blobs whose content does not match their name"
}
