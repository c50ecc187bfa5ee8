# Volumes: volume create/ls/inspect/rm/prune, named volumes shared by containers, anonymous
# volumes (-v /path, image VOLUME filled from the image), --mount of each type, --tmpfs, :ro, :U,
# rm -v, and the rules that keep named volumes and volumes in use.

# vol_names: volume names, one per line, into OUT.
vol_names() {
  cove volume ls -q
}

# mount_names CTR: the volume names of a container's Mounts, space separated, into OUT.
mount_names() {
  cove inspect --format '{{range .Mounts}}{{if .Name}}{{.Name}} {{end}}{{end}}' "$1"
}

# image_volume_checks CONTAINERFILE: runs local/volimg:1, whose VOLUME /seeded has content.
image_volume_checks() {
  local file=$1 anon
  expect_success cove run --name vimg local/volimg:1 sh -c 'cat /seeded/file /seeded/sub/deep; echo added > /seeded/new'
  expect_eq "$OUT" $'from-image\ndeeper' "image content seen through the volume"
  mount_names vimg
  anon=${OUT% }
  expect_match "$anon" '^[0-9a-f]{64}$' "anonymous volume"
  expect_eq "$(cat "$STORE/volumes/$anon/_data/file" 2>&1)" from-image "copied into the volume"
  if [[ $file == Containerfile ]]; then
    expect_eq "$(stat -c %a "$STORE/volumes/$anon/_data")" 751 "the directory's mode is copied"
  fi
  expect_success cove start -a vimg
  expect_success cove run --rm -v "$anon:/v" "$IMG" cat /v/new
  expect_eq "$OUT" added "the volume keeps what the container wrote"
  expect_success cove run --rm -v keepmine:/seeded local/volimg:1 cat /seeded/file
  expect_eq "$OUT" from-image "a new named volume is filled too"
  expect_success cove run --rm -v nocopy1:/seeded:nocopy local/volimg:1 sh -c 'ls -A /seeded | wc -l'
  expect_eq "$(tr -d ' ' <<<"$OUT")" 0 "nocopy leaves it empty"
  expect_success cove rm -v vimg
  expect_missing "$STORE/volumes/$anon"
}

suite_main() {
  TEST "pull the image"
  expect_success cove pull -q "$IMG"

  TEST "volume create prints the name; without one a 64-hex name is generated"
  expect_success cove volume create --label app=web --label tier data1
  expect_eq "$OUT" data1 "create output"
  expect_success cove volume create
  expect_match "$OUT" '^[0-9a-f]{64}$' "generated name"
  local generated=$OUT
  expect_success cove volume create data1
  expect_eq "$OUT" data1 "creating an existing volume is not an error"
  expect_cove_error "invalid volume name" cove volume create 'bad/name'

  TEST "volume ls: Docker's columns, -q and --format"
  expect_success cove volume ls
  expect_line "$OUT" '^DRIVER +VOLUME NAME$' "header"
  expect_line "$OUT" '^local +data1$' "data1 row"
  expect_line "$OUT" "^local +$generated\$" "generated row"
  vol_names
  expect_line "$OUT" '^data1$' "-q"
  expect_success cove volume ls --format '{{.Name}}:{{.Driver}}:{{.Labels}}'
  expect_line "$OUT" '^data1:local:app=web,tier=$' "--format"

  TEST "volume inspect: Docker's fields"
  expect_success cove volume inspect data1
  expect_eq "$(jq -r '.[0] | [.Name, .Driver, .Scope, .Labels.app, .Mountpoint] | join(" ")' <<<"$OUT")" \
    "data1 local local web $STORE/volumes/data1/_data" "inspect JSON"
  expect_match "$(jq -r '.[0].CreatedAt' <<<"$OUT")" '^[0-9]{4}-[0-9]{2}-[0-9]{2}T' "CreatedAt"
  expect_success cove volume inspect --format '{{.Mountpoint}}' data1
  expect_eq "$OUT" "$STORE/volumes/data1/_data" "--format"
  expect_cove_error "no such volume" cove volume inspect nosuchvolume

  TEST "a named volume's data persists across containers"
  expect_success cove run --rm -v data1:/data "$IMG" sh -c 'echo kept > /data/file'
  expect_success cove run --rm -v data1:/data "$IMG" cat /data/file
  expect_eq "$OUT" kept "second container reads it"

  TEST "-v NAME:/path creates the volume on first use"
  expect_success cove run --rm -v fresh1:/data "$IMG" sh -c 'ls -A /data | wc -l'
  expect_eq "$(tr -d ' ' <<<"$OUT")" 0 "a new volume is empty"
  vol_names
  expect_line "$OUT" '^fresh1$' "volume listed"

  TEST ":ro refuses writes"
  expect_exit 1 cove run --rm -v data1:/data:ro "$IMG" sh -c 'cat /data/file && touch /data/nope'
  expect_eq "$OUT" kept "still readable"
  expect_contains "$ERR" "Read-only file system" "stderr"
  expect_missing "$STORE/volumes/data1/_data/nope"

  TEST "container inspect shows volumes in Mounts"
  expect_success cove create --name withvol -v data1:/data -v "$WORK:/host:ro" "$IMG" true
  expect_success cove inspect withvol
  expect_eq "$(jq -r '.[0].Mounts[] | select(.Type == "volume") | [.Name, .Source, .Destination, .Driver, (.RW|tostring)] | join(" ")' <<<"$OUT")" \
    "data1 $STORE/volumes/data1/_data /data local true" "volume mount"
  expect_eq "$(jq -r '.[0].Mounts[] | select(.Type == "bind") | [.Source, .Destination, (.RW|tostring)] | join(" ")' <<<"$OUT")" \
    "$WORK /host false" "bind mount"

  TEST "volume rm of a volume in use is refused; -f removes it"
  expect_cove_error "in use" cove volume rm data1
  expect_exists "$STORE/volumes/data1/_data/file"
  expect_success cove volume create busy2
  expect_success cove create --name busy -v busy2:/b "$IMG" true
  expect_success cove volume rm -f busy2
  expect_eq "$OUT" busy2 "rm -f output"
  expect_missing "$STORE/volumes/busy2"
  expect_success cove start -a busy
  vol_names
  expect_line "$OUT" '^busy2$' "the container's next start recreates it"
  expect_success cove rm busy

  TEST "rm of the container keeps the data; volume rm then removes it"
  expect_success cove rm withvol
  expect_success cove run --rm -v data1:/data "$IMG" cat /data/file
  expect_eq "$OUT" kept "data survives rm"
  expect_success cove volume rm data1
  expect_eq "$OUT" data1 "rm output"
  expect_missing "$STORE/volumes/data1"
  expect_cove_error "no such volume" cove volume rm data1

  TEST "rm -v removes anonymous volumes, never named ones"
  expect_success cove run --name rmv -v named2:/named -v /anon "$IMG" sh -c 'echo a > /anon/f; echo n > /named/f'
  mount_names rmv
  local anon
  for name in $OUT; do [[ $name != named2 ]] && anon=$name; done
  expect_match "$anon" '^[0-9a-f]{64}$' "anonymous volume name"
  expect_exists "$STORE/volumes/$anon/_data/f"
  expect_success cove rm -v rmv
  expect_missing "$STORE/volumes/$anon"
  expect_exists "$STORE/volumes/named2/_data/f"

  TEST "rm without -v keeps anonymous volumes; run --rm removes them"
  expect_success cove run --name keepanon -v /anon "$IMG" true
  mount_names keepanon
  anon=${OUT% }
  expect_success cove rm keepanon
  expect_exists "$STORE/volumes/$anon/_data"
  local before
  vol_names
  before=$(wc -l <<<"$OUT")
  expect_success cove run --rm -v /tmpanon "$IMG" sh -c 'echo x > /tmpanon/x'
  vol_names
  expect_eq "$(wc -l <<<"$OUT")" "$before" "no volume left by run --rm"

  TEST "a run refused for a taken name leaves no anonymous volume behind"
  expect_success cove create --name taken "$IMG" true
  expect_cove_error "already in use" cove run --name taken -v /clash "$IMG" true
  vol_names
  expect_eq "$(wc -l <<<"$OUT")" "$before" "volumes after the refused run"
  expect_success cove rm taken

  TEST "container prune never removes named volumes"
  expect_success cove run --name pruned -v named3:/n "$IMG" sh -c 'echo p > /n/p'
  expect_success cove container prune -f
  expect_exists "$STORE/volumes/named3/_data/p"

  TEST "volume prune removes only unused volumes"
  expect_success cove create --name holder -v held1:/h "$IMG" true
  expect_success cove volume prune -f
  expect_line "$OUT" '^named3$' "pruned"
  expect_line "$OUT" "^$anon\$" "pruned anonymous"
  vol_names
  expect_eq "$OUT" held1 "only the used one is left"
  expect_success cove rm holder
  expect_success cove volume prune -f
  vol_names
  expect_eq "$OUT" "" "nothing left"

  TEST "image VOLUME: an anonymous volume filled with the image's content"
  local ctx=$WORK/volimg
  mkdir -p "$ctx/seed/sub"
  echo from-image >"$ctx/seed/file"
  echo deeper >"$ctx/seed/sub/deep"
  printf 'FROM %s\nCOPY seed /seeded\nRUN chmod 0751 /seeded\nVOLUME /seeded\n' "$IMG" >"$ctx/Containerfile"
  printf 'FROM %s\nCOPY seed /seeded\nVOLUME /seeded\n' "$IMG" >"$ctx/Containerfile.norun"
  ((SWITCH_USER)) && chown -R "$RUN_UID:$RUN_GID" "$ctx"
  local file=Containerfile
  [[ $IDENTITY == nosub ]] && file=Containerfile.norun # RUN needs a subordinate range
  cove build -q -t local/volimg:1 -f "$ctx/$file" "$ctx"
  if ((RC != 0)); then
    skip_test "cove build could not make the test image: $ERR"
  else
    image_volume_checks "$file"
  fi

  TEST "--mount type=volume, type=bind, type=tmpfs"
  mkdir -p "$WORK/bindsrc"
  echo bound >"$WORK/bindsrc/f"
  chmod -R a+rwX "$WORK/bindsrc"
  ((SWITCH_USER)) && chown -R "$RUN_UID:$RUN_GID" "$WORK/bindsrc"
  expect_success cove run --rm --mount type=volume,source=mvol,target=/mv \
    --mount "type=bind,src=$WORK/bindsrc,dst=/mb" \
    --mount type=tmpfs,destination=/mt,tmpfs-size=1m,tmpfs-mode=1770 \
    "$IMG" sh -c 'echo v > /mv/v; cat /mb/f; echo t > /mt/t; grep " /mt " /proc/mounts; stat -c %a /mt'
  expect_line "$OUT" '^bound$' "bind content"
  expect_line "$OUT" '^tmpfs /mt tmpfs .*size=1024k' "tmpfs in /proc/mounts"
  expect_line "$OUT" '^1770$' "tmpfs mode"
  expect_exists "$STORE/volumes/mvol/_data/v"
  expect_exit 1 cove run --rm --mount "type=bind,src=$WORK/bindsrc,dst=/mb,readonly" "$IMG" touch /mb/no
  expect_contains "$ERR" "Read-only file system" "readonly bind"
  expect_exit 1 cove run --rm --mount type=volume,src=mvol,dst=/mv,ro "$IMG" touch /mv/no
  expect_contains "$ERR" "Read-only file system" "ro volume"
  expect_cove_error "--mount" cove run --rm --mount type=nfs,dst=/x "$IMG" true

  TEST "--tmpfs mounts a tmpfs"
  expect_success cove run --rm --tmpfs /scratch --tmpfs /sized:size=2m,mode=700 "$IMG" \
    sh -c 'grep -E " /(scratch|sized) " /proc/mounts; echo x > /scratch/x && cat /scratch/x'
  expect_line "$OUT" '^tmpfs /scratch tmpfs rw,nosuid,nodev,noexec' "default options"
  expect_line "$OUT" '^tmpfs /sized tmpfs .*size=2048k,mode=700' "size and mode"
  expect_line "$OUT" '^x$' "writable"
  expect_cove_error "invalid tmpfs option" cove run --rm --tmpfs /t:bogus "$IMG" true

  TEST ":U chowns the source to the container user"
  if [[ $IDENTITY == nosub ]]; then
    skip_test "a single-id mapping cannot map uid 1234"
  else
    mkdir -p "$WORK/chown/sub"
    ((SWITCH_USER)) && chown -R "$RUN_UID:$RUN_GID" "$WORK/chown"
    expect_success cove run --rm -u 1234:2345 -v "$WORK/chown:/u:U" "$IMG" \
      sh -c 'stat -c "%u %g" /u /u/sub; touch /u/mine'
    expect_eq "$OUT" $'1234 2345\n1234 2345' "owner inside"
    expect_success cove run --rm -u 1234:2345 -v uvol:/u:U "$IMG" sh -c 'stat -c "%u %g" /u; touch /u/ok'
    expect_eq "$OUT" "1234 2345" "named volume owner inside"
    expect_exit 1 cove run --rm -u 1234 -v uvol2:/u "$IMG" touch /u/denied
    expect_contains "$ERR" "Permission denied" "without :U the volume belongs to root"
  fi

  TEST "bad -v values are refused before anything is created"
  expect_cove_error "invalid volume" cove run --rm -v "/h:/c:bogus" "$IMG" true
  expect_cove_error "duplicate mount point" cove run --rm -v a1:/x -v a2:/x "$IMG" true
}
