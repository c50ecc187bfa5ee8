# cp, diff, export and commit on running and stopped containers: confined to the container's
# rootfs, ownership as Docker maps it, overlay whiteouts kept as deletions.

suite_main() {
  local H=$WORK/fs
  user_cmd mkdir -p "$H" # cove writes here as the test user
  TEST "pull the image"
  expect_success cove pull -q "$IMG"

  TEST "cp into and out of a running container"
  expect_success cove run -d --name live "$IMG" sleep 1000
  printf 'hello from the host\n' >"$H/in.txt"
  expect_success cove cp "$H/in.txt" live:/tmp/in.txt
  expect_success cove exec live cat /tmp/in.txt
  expect_eq "$OUT" "hello from the host" "file copied in"
  expect_success cove exec live stat -c '%u:%g' /tmp/in.txt
  expect_eq "$OUT" "0:0" "copied file belongs to the container's root"
  expect_success cove exec live sh -c 'mkdir -p /data/sub && echo one >/data/a && echo two >/data/sub/b && ln -s a /data/link'
  expect_success cove cp live:/data "$H/out"
  expect_eq "$(cat "$H/out/a" "$H/out/sub/b")" "$(printf 'one\ntwo')" "directory copied out"
  expect_eq "$(readlink "$H/out/link")" a "symlink copied as a link"
  expect_eq "$(stat -c %u "$H/out/a")" "$RUN_UID" "copied-out file belongs to the user"

  TEST "cp follows Docker's rules for /. and existing destinations"
  user_cmd mkdir -p "$H/contents"
  expect_success cove cp live:/data/. "$H/contents"
  expect_exists "$H/contents/a"
  expect_exists "$H/contents/sub/b"
  expect_success cove cp live:/data "$H/contents"
  expect_exists "$H/contents/data/a"
  expect_cove_error "" cove cp live:/data "$H/in.txt"
  expect_cove_error "" cove cp "$H/in.txt" live:/no/such/dir/
  expect_cove_error "no such file" cove cp live:/nonexistent "$H/x"

  TEST "cp through symlinks pointing at / or ../.. stays inside the container"
  expect_success cove exec live sh -c 'ln -s / /escape && ln -s ../../../../.. /tmp/up && echo inside >/marker'
  echo host-secret >"$H/marker"
  expect_success cove cp live:/escape/marker "$H/got1"
  expect_eq "$(cat "$H/got1")" inside "read through a link to /"
  expect_cove_error "no such file" cove cp "live:/tmp/up$H/marker" "$H/got2"
  printf 'written\n' >"$H/payload"
  expect_success cove cp "$H/payload" "live:/escape/tmp/"
  expect_success cove exec live cat /tmp/payload
  expect_eq "$OUT" written "written through a link to /"
  expect_cove_error "" cove cp "$H/payload" "live:/tmp/up$H/evil"
  expect_missing "$H/evil"

  TEST "cp with - streams a tar both ways"
  expect_success cove cp live:/data -
  cp "$T/last.out" "$H/data.tar"
  run_cmd tar -tf "$H/data.tar"
  expect_line "$OUT" '^data/sub/b$' "tar listing"
  (cd "$H" && tar -cf "$H/stream.tar" in.txt)
  COVE_STDIN=$H/stream.tar cove cp - live:/home
  [[ $RC == 0 ]] || { fail "cp - failed"; show_last; }
  expect_success cove exec live cat /home/in.txt
  expect_eq "$OUT" "hello from the host" "extracted from stdin"

  TEST "diff lists additions, changes and deletions"
  expect_success cove exec live sh -c 'rm /bin/vi && echo "extra:x:5:5::/:/bin/sh" >>/etc/passwd'
  expect_success cove diff live
  expect_line "$OUT" '^A /tmp/in.txt$' "diff"
  expect_line "$OUT" '^A /data/sub/b$' "diff"
  expect_line "$OUT" '^C /etc$' "diff"
  expect_line "$OUT" '^C /etc/passwd$' "diff"
  expect_line "$OUT" '^D /bin/vi$' "diff"
  expect_not_contains "$OUT" "/proc" "diff"

  TEST "export writes the whole filesystem as a tar"
  expect_success cove export -o "$H/live.tar" live
  run_cmd tar -tf "$H/live.tar"
  expect_line "$OUT" '^bin/busybox$' "export listing"
  expect_line "$OUT" '^data/sub/b$' "export listing"
  expect_not_contains "$OUT" "bin/vi"$'\n' "export listing"
  expect_success cove export live
  expect_eq "$(tar -tf "$T/last.out" | grep -c '^data/a$')" 1 "export to stdout"

  TEST "commit makes a runnable image; deletions stay deleted"
  expect_success cove commit -m "fs test" -a "Tester <t@example.com>" -c 'ENV COMMITTED=yes' live fsimage:v1
  expect_match "$OUT" '^sha256:[0-9a-f]{64}$' "commit output"
  expect_success cove images --format '{{.Repository}}:{{.Tag}}'
  expect_line "$OUT" 'fsimage:v1$' "images"
  expect_success cove run --rm fsimage:v1 sh -c 'cat /tmp/in.txt /data/sub/b; echo $COMMITTED; test -e /bin/vi && echo vi-present || echo vi-gone'
  expect_eq "$OUT" "$(printf 'hello from the host\ntwo\nyes\nvi-gone')" "run of the committed image"
  expect_success cove image inspect fsimage:v1
  expect_eq "$(jq -r '.[0].Author' <<<"$OUT")" "Tester <t@example.com>" "Author"
  expect_eq "$(jq -r '.[0].RootFS.Layers | length' <<<"$OUT")" \
    "$(($(cove image inspect "$IMG"; jq -r '.[0].RootFS.Layers | length' <<<"$OUT") + 1))" "one more layer"

  TEST "cp, diff, export and commit on a stopped container"
  expect_success cove stop -t 0 live
  printf 'after stop\n' >"$H/late.txt"
  expect_success cove cp "$H/late.txt" live:/late.txt
  expect_success cove cp live:/late.txt "$H/late-back.txt"
  expect_eq "$(cat "$H/late-back.txt")" "after stop" "round trip through a stopped container"
  expect_success cove diff live
  expect_line "$OUT" '^A /late.txt$' "diff of the stopped container"
  expect_success cove export -o "$H/stopped.tar" live
  expect_eq "$(tar -tf "$H/stopped.tar" | grep -c '^late.txt$')" 1 "export of the stopped container"
  expect_success cove commit live fsimage:v2
  expect_success cove run --rm fsimage:v2 cat /late.txt
  expect_eq "$OUT" "after stop" "committed stopped container"
  expect_success cove start live
  expect_success cove exec live cat /late.txt
  expect_eq "$OUT" "after stop" "restarted container keeps the copied file"

  TEST "cp -a keeps owners; a created container takes files too"
  expect_success cove create --name fresh "$IMG" cat /seed
  printf 'seed\n' >"$H/seed"
  expect_success cove cp "$H/seed" fresh:/seed
  expect_success cove start -a fresh
  expect_eq "$OUT" seed "created container reads the copied file"
  # /home/app/.profile belongs to 1000:1000 in the image (to root without a subuid range).
  local want=$RUN_UID
  [[ $IDENTITY == user ]] && want=$((SUBUID_START + 999))
  [[ $IDENTITY == root ]] && want=1000
  expect_success cove cp -a live:/home/app/.profile "$H/owned"
  expect_eq "$(stat -c %u "$H/owned")" "$want" "cp -a keeps the container's owner"
  expect_success cove cp live:/home/app/.profile "$H/not-owned"
  expect_eq "$(stat -c %u "$H/not-owned")" "$RUN_UID" "without -a the copy is the user's"

  TEST "the copy driver: diff and commit compare the rootfs with the layers"
  local -a copy=(--storage-driver copy)
  expect_success cove "${copy[@]}" run -d --name copied "$IMG" sleep 1000
  expect_success cove "${copy[@]}" exec copied sh -c 'rm /bin/vi && echo new >/added'
  expect_success cove "${copy[@]}" cp "$H/in.txt" copied:/tmp/
  expect_success cove "${copy[@]}" diff copied
  expect_line "$OUT" '^A /added$' "copy-driver diff"
  expect_line "$OUT" '^A /tmp/in.txt$' "copy-driver diff"
  expect_line "$OUT" '^D /bin/vi$' "copy-driver diff"
  expect_not_contains "$OUT" "/etc/hosts" "copy-driver diff"
  expect_success cove "${copy[@]}" commit copied fsimage:copy
  expect_success cove "${copy[@]}" run --rm fsimage:copy sh -c 'cat /added /tmp/in.txt; test -e /bin/vi || echo vi-gone'
  expect_eq "$OUT" "$(printf 'new\nhello from the host\nvi-gone')" "run of the image committed from a copy"
  expect_success cove "${copy[@]}" rm -f copied
  expect_success cove rmi fsimage:copy

  TEST "errors"
  expect_cove_error "no such container" cove cp nosuch:/x "$H/x"
  expect_cove_error "" cove cp "$H/x" "$H/y"
  expect_cove_error "no such container" cove diff nosuch

  expect_success cove rm -f live fresh
  expect_success cove rmi fsimage:v1 fsimage:v2
}
