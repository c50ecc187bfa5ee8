# The user namespace: id mappings for a user with and without subordinate ids, ownership of
# unpacked layers and of files written through bind mounts.

# Normalizes /proc/self/uid_map text into "inside outside count" lines.
squeeze() { awk '{ print $1, $2, $3 }' <<<"$1"; }

suite_main() {
  # Pulled apart from the runs, so warnings about squashed layer owners do not count as the run's.
  TEST "pull"
  expect_success cove pull "$IMG"

  case $IDENTITY in
    user) userns_with_subids ;;
    nosub) userns_single_id ;;
    root) userns_root ;;
  esac
  bind_mount_ownership
}

userns_with_subids() {
  TEST "uid_map and gid_map: 0 -> uid, then the subordinate range"
  expect_success cove run --rm "$IMG" cat /proc/self/uid_map
  expect_eq "$(squeeze "$OUT")" "$(printf '0 %s 1\n1 %s %s' "$RUN_UID" "$SUBUID_START" "$SUBUID_COUNT")" "uid_map"
  local subgid
  subgid=$(grep -m1 "^\($RUN_AS\|$RUN_UID\):" /etc/subgid | cut -d: -f2,3 | tr : ' ')
  expect_success cove run --rm "$IMG" cat /proc/self/gid_map
  expect_eq "$(squeeze "$OUT")" "$(printf '0 %s 1\n1 %s' "$RUN_GID" "$subgid")" "gid_map"

  TEST "no warning about id mappings"
  expect_success cove run --rm "$IMG" true
  expect_not_contains "${ERR,,}" "warning" "stderr"

  TEST "unpacked layer files are owned by the subordinate range on the host"
  local home
  home=$(find "$STORE/layers" -maxdepth 4 -path '*/home/app' -type d 2>/dev/null | head -n 1)
  if [[ -z $home ]]; then
    fail "no unpacked home/app directory found under $STORE/layers"
  else
    expect_eq "$(stat -c %u:%g "$home")" "$((SUBUID_START + 999)):$((SUBUID_START + 999))" "owner of $home"
    expect_eq "$(stat -c %u "$(dirname "$home")")" "$RUN_UID" "owner of home (root in the image)"
  fi

  TEST "the container sees image owners unchanged"
  expect_success cove run --rm "$IMG" stat -c '%u:%g %n' /home/app /etc/passwd
  expect_eq "$OUT" $'1000:1000 /home/app\n0:0 /etc/passwd' "owners"

  TEST "setgroups is allowed with a full mapping"
  expect_success cove run --rm "$IMG" cat /proc/self/setgroups
  expect_eq "$OUT" allow "setgroups"
}

userns_single_id() {
  TEST "without subordinate ids: a single mapping and one warning"
  expect_success cove run --rm "$IMG" cat /proc/self/uid_map
  expect_eq "$(squeeze "$OUT")" "0 $RUN_UID 1" "uid_map"
  local warnings
  warnings=$(grep -ci warning <<<"$ERR")
  expect_eq "$warnings" 1 "warning lines on stderr"
  expect_contains "${ERR,,}" "subuid" "the warning"

  TEST "gid_map is single too and setgroups is denied"
  expect_success cove run --rm "$IMG" sh -c 'cat /proc/self/gid_map; cat /proc/self/setgroups'
  expect_eq "$(head -n 1 <<<"$OUT" | awk '{ print $1, $2, $3 }')" "0 $RUN_GID 1" "gid_map"
  expect_eq "$(tail -n 1 <<<"$OUT")" deny "setgroups"

  TEST "root in the container is the user on the host"
  expect_success cove run --rm "$IMG" id -u
  expect_eq "$OUT" 0 "id -u inside"

  TEST "a user the mapping lacks is a clear error"
  cove run --rm -u 1000 "$IMG" id -u
  if [[ $RC == 0 ]]; then
    fail "run -u 1000 succeeded with a single-id mapping: $OUT"
  else
    expect_eq "$RC" 125 "exit status"
  fi
}

userns_root() {
  TEST "as root, ids are not remapped"
  expect_success cove run --rm "$IMG" id -u
  expect_eq "$OUT" 0 "id -u"
  expect_success cove run --rm "$IMG" stat -c %u /home/app
  expect_eq "$OUT" 1000 "owner of /home/app"
  local home
  home=$(find "$STORE/layers" -maxdepth 4 -path '*/home/app' -type d 2>/dev/null | head -n 1)
  [[ -n $home ]] && expect_eq "$(stat -c %u "$home")" 1000 "host owner of the layer's home/app"
}

bind_mount_ownership() {
  local dir=$WORK/shared
  mkdir -p "$dir"
  chmod 0777 "$dir"
  ((SWITCH_USER)) && chown "$RUN_UID:$RUN_GID" "$dir"

  TEST "a file root creates in a bind mount belongs to the invoking user"
  expect_success cove run --rm -v "$dir:/shared" "$IMG" sh -c 'echo data > /shared/by-root'
  expect_eq "$(stat -c %u:%g "$dir/by-root" 2>&1)" "$RUN_UID:$RUN_GID" "owner of by-root"

  TEST "a file uid 1000 creates in a bind mount belongs to the mapped id"
  if [[ $IDENTITY == nosub ]]; then
    skip_test "uid 1000 is not mapped without subordinate ids"
    return
  fi
  expect_success cove run --rm -u 1000:1000 -v "$dir:/shared" "$IMG" sh -c 'echo data > /shared/by-app'
  local want=1000:1000
  [[ $IDENTITY == user ]] && want=$((SUBUID_START + 999)):$((SUBUID_START + 999))
  expect_eq "$(stat -c %u:%g "$dir/by-app" 2>&1)" "$want" "owner of by-app"

  TEST "host files of the invoking user appear as root's in the container"
  echo host >"$dir/from-host"
  ((SWITCH_USER)) && chown "$RUN_UID:$RUN_GID" "$dir/from-host"
  expect_success cove run --rm -v "$dir:/shared" "$IMG" stat -c %u /shared/from-host
  local want_uid=0
  [[ $IDENTITY == root ]] && want_uid=0
  expect_eq "$OUT" "$want_uid" "owner seen inside"
}
