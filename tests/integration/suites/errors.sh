# Bad input: invalid references, missing images, unreachable registries, broken registry
# answers (through scripts/fault-proxy.py), tampered blobs, malicious layer tars.

# The image is not in the store (images does not list it).
expect_not_stored() {
  local ref=$1
  cove images
  expect_not_contains "$OUT" "$ref " "images after the failed pull"
}

# Nothing of ESCAPES exists in $TARGET, and /etc/passwd is untouched.
expect_no_escape() {
  local name
  for name in "$@"; do
    expect_missing "$TARGET/$name"
  done
  local stray
  stray=$(find "$T" -name 'escape-*' -not -path "$STORE/*" 2>/dev/null)
  [[ -z $stray ]] || fail "files escaped the store: $stray"
  expect_eq "$(stat -c %h:%s /etc/passwd)" "$PASSWD_STAT" "link count and size of /etc/passwd"
  expect_eq "$(cat "$TARGET/victim")" "victim content" "content of the hardlink victim"
  expect_eq "$(stat -c %h "$TARGET/victim")" 1 "link count of the hardlink victim"
}

# Pulls a malicious image: refused (125) or confined; never a crash, never an escape.
pull_malicious() {
  local repo=$1
  shift
  cove pull "$REG/$repo"
  if [[ $RC != 0 && $RC != 125 ]]; then
    fail "pull of $repo exited $RC (expected 125, or 0 with the entries confined)"
    show_last
  fi
  diag "pull $repo: exit $RC${ERR:+, stderr: $(head -c 300 <<<"$ERR")}"
  expect_no_escape "$@"
}

suite_main() {
  TARGET=$WORK/target
  mkdir -p "$TARGET"
  chmod 0777 "$TARGET"
  echo "victim content" >"$TARGET/victim"
  chmod 0666 "$TARGET/victim"
  PASSWD_STAT=$(stat -c %h:%s /etc/passwd)
  ((SWITCH_USER)) && chown -R "$RUN_UID:$RUN_GID" "$TARGET"

  TEST "invalid references exit 125 with a message"
  expect_cove_error "invalid reference" cove pull 'UPPER/Case'
  expect_cove_error "invalid reference" cove pull 'busybox:bad tag'
  expect_cove_error "invalid reference" cove pull "$REG/busybox@sha256:1234"
  expect_cove_error "invalid reference" cove run --rm '::' true

  TEST "an image the registry does not have"
  expect_cove_error "" cove pull "$REG/no-such-image"
  expect_line "$ERR" "no-such-image" "error"
  expect_cove_error "" cove pull "$REG/busybox:no-such-tag"
  expect_cove_error "" cove run --rm "$REG/no-such-image" true

  TEST "an unreachable registry"
  local port
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  expect_cove_error "127.0.0.1:$port" cove pull "127.0.0.1:$port/busybox"

  TEST "a manifest that is not JSON"
  start_fault_proxy --fault '/manifests/' garbage
  expect_cove_error "manifest" cove pull "$PROXY/busybox"
  expect_not_stored "$PROXY/busybox"

  TEST "JSON that is no manifest"
  start_fault_proxy --fault '/manifests/' garbage-json
  expect_cove_error "manifest" cove pull "$PROXY/busybox"

  TEST "HTTP 500 from the registry"
  start_fault_proxy --fault '/manifests/' status:500
  expect_cove_error "500" cove pull "$PROXY/busybox"

  TEST "the connection closes without an answer"
  start_fault_proxy --fault '/manifests/' abort
  expect_cove_error "" cove pull "$PROXY/busybox"

  local layer
  layer=$(curl -s -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
    "http://$REG/v2/busybox/manifests/latest" | jq -r '.layers[0].digest')

  TEST "a truncated blob fails the pull and leaves nothing trusted"
  start_fault_proxy --fault "/blobs/$layer" truncate
  expect_cove_error "" cove pull "$PROXY/busybox"
  expect_not_stored "$PROXY/busybox"
  expect_missing "$STORE/blobs/sha256/${layer#sha256:}"
  expect_eq "$(bad_blobs)" "" "blobs whose content does not match their name"

  TEST "a blob longer than its Content-Length says"
  start_fault_proxy --fault "/blobs/$layer" short-length
  expect_cove_error "" cove pull "$PROXY/busybox"
  expect_not_stored "$PROXY/busybox"

  TEST "a Content-Length longer than the blob"
  start_fault_proxy --fault "/blobs/$layer" bad-length
  expect_cove_error "" cove pull "$PROXY/busybox"
  expect_not_stored "$PROXY/busybox"

  TEST "a slow registry is only slow"
  start_fault_proxy --fault "/blobs/$layer" slow:2000000
  expect_success cove pull "$PROXY/busybox"
  expect_eq "$(bad_blobs)" "" "blobs whose content does not match their name"
  expect_success cove rmi "$PROXY/busybox"

  TEST "after the faults, a clean pull works and the store verifies"
  expect_success cove pull "$IMG"
  expect_success cove run --rm "$IMG" echo ok
  expect_eq "$OUT" ok "run"
  expect_eq "$(bad_blobs)" "" "blobs whose content does not match their name"

  TEST "a tampered config blob: digest mismatch"
  seed_image tampered-config --tamper config --registry-storage "$REG_STORAGE"
  expect_cove_error "digest" cove pull "$REG/tampered-config"
  expect_not_stored "$REG/tampered-config"
  expect_missing "$STORE/blobs/sha256/$(image_info tampered-config image_id)"

  TEST "a tampered uncompressed layer: digest mismatch"
  seed_image tampered-layer --tamper layer --compression none --registry-storage "$REG_STORAGE"
  expect_cove_error "digest" cove pull "$REG/tampered-layer"
  expect_not_stored "$REG/tampered-layer"

  TEST "a tampered gzip layer fails the pull"
  seed_image tampered-gzip --tamper layer --registry-storage "$REG_STORAGE"
  expect_cove_error "" cove pull "$REG/tampered-gzip"
  expect_not_stored "$REG/tampered-gzip"
  expect_eq "$(bad_blobs)" "" "blobs whose content does not match their name"

  local v
  for v in traversal absolute symlink symlink-cross hardlink device; do
    seed_image "evil-$v" --variant "evil-$v" --target "$TARGET"
  done

  TEST "layer with ../ path traversal"
  pull_malicious evil-traversal escape-traversal escape-traversal-mid
  expect_missing "$STORE/escape-traversal-short"
  expect_missing "$(dirname "$STORE")/escape-traversal-short"

  TEST "layer with absolute paths"
  pull_malicious evil-absolute escape-absolute

  TEST "layer writing through a symlink"
  pull_malicious evil-symlink escape-symlink-abs escape-symlink-rel escape-symlink-up

  TEST "symlink in one layer, write through it in the next"
  pull_malicious evil-symlink-cross escape-symlink-cross

  TEST "hardlinks to files outside the layer"
  pull_malicious evil-hardlink

  TEST "device nodes and setuid files"
  pull_malicious evil-device

  TEST "running the images that were accepted escapes nothing, with every driver"
  local driver repo
  for repo in evil-traversal evil-absolute evil-symlink evil-symlink-cross evil-hardlink evil-device; do
    cove images
    [[ $OUT == *"$REG/$repo "* ]] || continue
    for driver in overlay copy; do
      cove --storage-driver "$driver" run --rm "$REG/$repo" sh -c 'ls / >/dev/null; cat /cross-link/escape-symlink-cross 2>/dev/null; true'
      [[ $RC == 0 || $RC == 125 ]] || { fail "run of $repo with $driver exited $RC"; show_last; }
    done
  done
  expect_no_escape escape-traversal escape-traversal-mid escape-absolute escape-symlink-abs \
    escape-symlink-rel escape-symlink-up escape-symlink-cross

  TEST "--pull never with an image that is not there"
  expect_cove_error "" cove run --rm --pull never "$REG/never-pulled" true

  TEST "bad flag values"
  expect_cove_error "" cove run --rm --network bogus "$IMG" true
  expect_cove_error "" cove run --rm --pull sometimes "$IMG" true
  expect_cove_error "" cove run --rm -v "$WORK:relative/target" "$IMG" true
  expect_cove_error "" cove run --rm --env-file "$WORK/no-such-file" "$IMG" true
  expect_cove_error "" cove --log-level chatty images
  expect_cove_error "" cove no-such-command
}
