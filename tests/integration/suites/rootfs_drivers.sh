# Each rootfs driver forced in turn with --storage-driver gives the same container: layered
# content with whiteouts and opaque dirs, a writable private upper layer, clean teardown.

# Why DRIVER cannot run here, or nothing.
driver_unavailable() {
  case $1 in
    fuse-overlayfs)
      command -v fuse-overlayfs >/dev/null || { echo "fuse-overlayfs not installed"; return; }
      [[ -c /dev/fuse ]] || { echo "/dev/fuse does not exist"; return; }
      as_user test -w /dev/fuse || echo "/dev/fuse is not writable by $RUN_AS (chmod 0666 /dev/fuse as root)"
      ;;
  esac
}

check_driver() {
  local driver=$1 reason
  local -a d=(--storage-driver "$driver")
  reason=$(driver_unavailable "$driver")

  TEST "$driver: cove info reports the forced driver"
  if [[ -n $reason ]]; then
    skip_test "$reason"
  else
    expect_success cove "${d[@]}" info
    expect_contains "$OUT" "$driver" "info"
  fi

  TEST "$driver: layers, whiteouts and opaque directories"
  if [[ -n $reason ]]; then
    skip_test "$reason"
    return
  fi
  expect_success cove "${d[@]}" run --rm "$REG/multi" sh -c 'cat /opt/added.txt /etc/motd /data/keep/a; ls -a /data/gone; test -e /etc/todelete || echo todelete-gone'
  expect_eq "$OUT" $'added in layer 2\nmotd from layer 3\nkept\n.\n..\nnew\ntodelete-gone' "content"

  TEST "$driver: busybox runs, owners and modes are as in the image"
  expect_success cove "${d[@]}" run --rm "$REG/multi" sh -c 'stat -c "%u:%g %a" /home/app /tmp; echo hi'
  # Without subordinate ids every owner is flattened to root (with a warning at unpack time).
  local app_owner=1000:1000
  [[ $IDENTITY == nosub ]] && app_owner=0:0
  expect_eq "$OUT" "$app_owner 755"$'\n0:0 1777\nhi' "owners, modes, output"

  TEST "$driver: writes, deletes and opaque replacements stay in the container"
  expect_success cove "${d[@]}" run --rm "$REG/multi" sh -c 'echo new > /etc/motd; rm /opt/added.txt; rm -r /data/keep; mkdir /data/keep; echo x > /data/keep/b; mkdir /brand-new; cat /etc/motd; ls /data/keep'
  expect_eq "$OUT" $'new\nb' "inside the writing container"
  expect_success cove "${d[@]}" run --rm "$REG/multi" sh -c 'cat /etc/motd; ls /data/keep; test -e /opt/added.txt && test ! -e /brand-new && echo intact'
  expect_eq "$OUT" $'motd from layer 3\na\nintact' "next container"

  TEST "$driver: the exit status and --rm cleanup"
  local before
  before=$(container_count)
  expect_exit 7 cove "${d[@]}" run --rm "$REG/multi" sh -c 'exit 7'
  expect_eq "$(container_count)" "$before" "container dirs"

  TEST "$driver: a kept container does not disturb later ones"
  expect_success cove "${d[@]}" run --name "kept-$driver" "$REG/multi" sh -c 'echo kept > /kept-file'
  expect_success cove "${d[@]}" run --rm "$REG/multi" sh -c 'test ! -e /kept-file && echo clean'
  expect_eq "$OUT" clean "next container"

  TEST "$driver: nothing stays mounted or running"
  local pids
  pids=$(stray_pids)
  [[ -z $pids ]] || fail "processes left: $(describe_pids $pids)"
  [[ -z $(stray_mounts) ]] || fail "mounts left: $(stray_mounts)"
}

suite_main() {
  seed_image multi --variant multi
  TEST "pull the multi-layer image"
  expect_success cove pull "$REG/multi"

  local driver
  for driver in overlay fuse-overlayfs copy; do
    check_driver "$driver"
  done

  TEST "the drivers agree on the full file list"
  local listing="find / -xdev \\( -path /proc -o -path /sys -o -path /dev \\) -prune -o -print | sort | md5sum"
  local first="" sum
  for driver in overlay fuse-overlayfs copy; do
    [[ -n $(driver_unavailable "$driver") ]] && continue
    cove --storage-driver "$driver" run --rm "$REG/multi" sh -c "$listing"
    sum=$OUT
    [[ $RC == 0 ]] || { fail "listing with $driver failed"; show_last; continue; }
    if [[ -z $first ]]; then
      first=$sum
    else
      expect_eq "$sum" "$first" "file list checksum with $driver"
    fi
  done

  TEST "an unknown driver is refused"
  expect_cove_error "" cove --storage-driver no-such-driver run --rm "$REG/multi" true
}
