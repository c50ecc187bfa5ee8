# cove pull / images / rmi / image inspect against a local registry: single and multi-layer,
# gzip/zstd/uncompressed, OCI and Docker media types, indexes with platform selection, digests.

# Pulls REF (extra flags before it) and checks the printed image id against REPO's config.
pull_and_check_id() {
  local repo=$1
  shift
  expect_success cove pull "$@"
  local id
  id=$(tail -n 1 <<<"$OUT")
  id=${id#sha256:}
  expect_eq "$id" "$(image_info "$repo" image_id)" "image id printed by pull"
}

# The inspect JSON of REF, or fails the test.
inspect() {
  cove image inspect "$1"
  if [[ $RC != 0 ]] || ! jq -e 'type == "array" and length == 1' >/dev/null 2>&1 <<<"$OUT"; then
    fail "image inspect $1 did not give a one-element JSON array"
    show_last
    return 1
  fi
}

suite_main() {
  seed_image multi --variant multi
  seed_image multi-docker --variant multi --format docker
  seed_image zstd --variant multi --compression zstd
  seed_image plain --variant multi --compression none
  seed_image docker-single --format docker
  seed_image index --variant index
  seed_image index-docker --variant index --format docker
  seed_image tagged:v1.2 --env VERSION=1.2
  local arch other
  arch=$(image_info index arch)
  other=arm64
  [[ $arch == arm64 ]] && other=amd64

  TEST "pull a single-layer OCI gzip image prints its id"
  pull_and_check_id busybox "$IMG"
  expect_exists "$STORE/blobs/sha256/$(image_info busybox image_id)"

  TEST "the manifest and every layer are stored under their digest"
  local manifest
  manifest=$(image_info busybox manifest)
  expect_exists "$STORE/blobs/sha256/${manifest#sha256:}"
  expect_eq "$(bad_blobs)" "" "blobs whose content does not match their name"

  TEST "pull again is a no-op that prints the same id"
  pull_and_check_id busybox "$IMG"

  TEST "pull -q prints only the id"
  expect_success cove pull -q "$IMG"
  expect_match "$OUT" '^(sha256:)?[0-9a-f]{64}$' "pull -q output"

  TEST "multi-layer OCI gzip image"
  pull_and_check_id multi "$REG/multi"
  expect_success cove run --rm "$REG/multi" sh -c 'cat /opt/added.txt /etc/motd; ls /data/gone; test ! -e /etc/todelete && echo deleted'
  expect_eq "$OUT" $'added in layer 2\nmotd from layer 3\nnew\ndeleted' "layered content"

  TEST "multi-layer Docker v2 image"
  pull_and_check_id multi-docker "$REG/multi-docker"
  expect_success cove run --rm "$REG/multi-docker" cat /etc/motd
  expect_eq "$OUT" "motd from layer 3" "content"

  TEST "zstd layers"
  pull_and_check_id zstd "$REG/zstd"
  expect_success cove run --rm "$REG/zstd" sh -c 'cat /etc/motd; ls /data/gone'
  expect_eq "$OUT" $'motd from layer 3\nnew' "content"

  TEST "uncompressed layers"
  pull_and_check_id plain "$REG/plain"
  expect_success cove run --rm "$REG/plain" cat /opt/added.txt
  expect_eq "$OUT" "added in layer 2" "content"

  TEST "single-layer Docker v2 image"
  pull_and_check_id docker-single "$REG/docker-single"

  TEST "an OCI index resolves to the host platform"
  expect_success cove pull "$REG/index"
  expect_eq "$(tail -n 1 <<<"$OUT" | sed 's/^sha256://')" "$(image_info index "config_$arch" | sed 's/^sha256://')" "image id"
  expect_success cove run --rm "$REG/index" cat /etc/arch
  expect_eq "$OUT" "$arch" "/etc/arch"

  TEST "--platform picks another manifest from the index"
  expect_success cove pull --platform "linux/$other" "$REG/index-docker"
  expect_eq "$(tail -n 1 <<<"$OUT" | sed 's/^sha256://')" "$(image_info index-docker "config_$other" | sed 's/^sha256://')" "image id"
  if inspect "$REG/index-docker"; then
    expect_eq "$(jq -r '.[0].Architecture' <<<"$OUT")" "$other" "Architecture"
  fi

  TEST "--platform with no matching manifest is an error"
  expect_cove_error "" cove pull --platform linux/s390x "$REG/index"

  TEST "pull by digest"
  local digest
  digest=$(image_info tagged:v1.2 manifest)
  pull_and_check_id tagged:v1.2 "$REG/tagged@$digest"
  expect_success cove run --rm "$REG/tagged@$digest" sh -c 'echo $VERSION'
  expect_eq "$OUT" "1.2" "VERSION from the config"

  TEST "pull by tag"
  pull_and_check_id tagged:v1.2 "$REG/tagged:v1.2"

  TEST "images lists what was pulled"
  expect_success cove images
  expect_line "$OUT" '^REPOSITORY +TAG +IMAGE ID +CREATED +SIZE' "images header"
  expect_line "$OUT" "^$REG/busybox +latest +$(image_info busybox image_id | cut -c1-12) " "busybox row"
  expect_line "$OUT" "^$REG/tagged +v1.2 " "tagged row"
  expect_line "$OUT" "^$REG/multi-docker +latest " "multi-docker row"

  TEST "images -q prints ids"
  expect_success cove images -q
  expect_line "$OUT" "^$(image_info busybox image_id | cut -c1-12)" "images -q"
  local bad
  bad=$(grep -Evc '^[0-9a-f]{12,64}$' <<<"$OUT")
  expect_eq "$bad" 0 "lines of images -q that are not ids"

  TEST "images --format json"
  expect_success cove images --format json
  if jq -e 'type == "array"' >/dev/null 2>&1 <<<"$OUT"; then
    expect_contains "$OUT" "$REG/busybox" "images JSON"
    expect_contains "$OUT" "$(image_info busybox image_id)" "images JSON"
  else
    fail "images --format json is not a JSON array"
    show_last
  fi

  TEST "image inspect shows the docker fields"
  if inspect "$IMG"; then
    local j=$OUT
    expect_eq "$(jq -r '.[0].Id | sub("^sha256:"; "")' <<<"$j")" "$(image_info busybox image_id)" "Id"
    expect_eq "$(jq -r '.[0].Os' <<<"$j")" linux "Os"
    expect_eq "$(jq -r '.[0].Architecture' <<<"$j")" "$arch" "Architecture"
    expect_eq "$(jq -r '.[0].RepoTags | index("'"$REG"'/busybox:latest") != null' <<<"$j")" true "RepoTags has the tag"
    expect_eq "$(jq -r '.[0].Config.Cmd | join(" ")' <<<"$j")" sh "Config.Cmd"
    expect_eq "$(jq -r '.[0].Config.Env[0]' <<<"$j")" "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" "Config.Env"
    expect_eq "$(jq -r '.[0].RootFS.Layers | length' <<<"$j")" 1 "RootFS.Layers"
    expect_contains "$(jq -r '.[0].RepoDigests | join(" ")' <<<"$j")" "$manifest" "RepoDigests"
  fi

  TEST "image inspect of an unknown image is an error"
  expect_cove_error "" cove image inspect "$REG/not-pulled"

  TEST "rmi removes the tag"
  expect_success cove rmi "$REG/tagged:v1.2"
  expect_success cove images
  grep -Eq "^$REG/tagged +v1.2 " <<<"$OUT" && fail "images still lists $REG/tagged:v1.2"
  expect_cove_error "" cove image inspect "$REG/tagged:v1.2"

  TEST "rmi of an unknown image is an error that names the image"
  expect_failure "1|125" "not-pulled" cove rmi "$REG/not-pulled"

  TEST "rmi several images at once"
  expect_success cove rmi "$REG/plain" "$REG/zstd"
  expect_success cove images
  expect_not_contains "$OUT" "$REG/plain " "images"
  expect_not_contains "$OUT" "$REG/zstd " "images"

  TEST "rmi -f of an image a stopped container uses"
  expect_success cove run "$REG/docker-single" true
  expect_success cove rmi -f "$REG/docker-single"
  expect_success cove images
  expect_not_contains "$OUT" "$REG/docker-single " "images"

  TEST "pull after rmi works again and the store still verifies"
  pull_and_check_id zstd "$REG/zstd"
  expect_eq "$(bad_blobs)" "" "blobs whose content does not match their name"

  TEST "--pull never with a missing image fails, missing pulls, always re-checks"
  expect_cove_error "" cove run --rm --pull never "$REG/multi-docker-absent" true
  expect_success cove run --rm --pull missing "$REG/docker-single" true
  expect_success cove run --rm --pull always "$IMG" true
  expect_success cove run --rm --pull=never "$IMG" true
}
