# Mounts in the container: -v read-write and read-only, --read-only, /dev, /proc, /sys, /tmp.

suite_main() {
  local data=$WORK/data
  mkdir -p "$data"
  echo "from the host" >"$data/host-file"
  chmod -R a+rwX "$data"
  ((SWITCH_USER)) && chown -R "$RUN_UID:$RUN_GID" "$data"

  TEST "-v HOST:CTR shares a directory read-write"
  expect_success cove run --rm -v "$data:/data" "$IMG" sh -c 'cat /data/host-file; echo written > /data/new-file'
  expect_eq "$OUT" "from the host" "host file read inside"
  expect_eq "$(cat "$data/new-file" 2>&1)" written "file written inside, read on the host"

  TEST "-v HOST:CTR:ro is read-only inside"
  expect_exit 1 cove run --rm -v "$data:/data:ro" "$IMG" sh -c 'cat /data/host-file >/dev/null && touch /data/nope'
  expect_contains "$ERR" "Read-only file system" "stderr"
  expect_missing "$data/nope"

  TEST "several -v, into a directory the image does not have"
  mkdir -p "$WORK/second"
  chmod 0777 "$WORK/second"
  expect_success cove run --rm -v "$data:/data:ro" -v "$WORK/second:/deep/new/mnt" "$IMG" sh -c 'cat /data/host-file; touch /deep/new/mnt/ok'
  expect_eq "$OUT" "from the host" "first mount"
  expect_exists "$WORK/second/ok"

  TEST "-v of a single file"
  expect_success cove run --rm -v "$data/host-file:/etc/motd:ro" "$IMG" cat /etc/motd
  expect_eq "$OUT" "from the host" "/etc/motd"

  TEST "-v with a relative or missing host path is refused"
  expect_cove_error "" cove run --rm -v "relative/path:/x" "$IMG" true
  expect_cove_error "" cove run --rm -v "$WORK/does-not-exist:/x" "$IMG" true

  TEST "--read-only makes the root read-only"
  expect_exit 1 cove run --rm --read-only "$IMG" touch /newfile
  expect_contains "$ERR" "Read-only file system" "stderr"
  expect_success cove run --rm --read-only -v "$data:/data" "$IMG" sh -c 'touch /data/rw-ok && echo ok > /dev/null'
  expect_exists "$data/rw-ok"

  TEST "without --read-only the root is writable and changes are private to the container"
  expect_success cove run --rm "$IMG" sh -c 'echo changed > /etc/motd && rm /bin/true && cat /etc/motd'
  expect_eq "$OUT" changed "write inside"
  expect_success cove run --rm "$IMG" sh -c 'test -e /bin/true && test ! -e /etc/motd && echo pristine'
  expect_eq "$OUT" pristine "next container"

  TEST "/dev has the usual devices and nothing more"
  expect_success cove run --rm "$IMG" sh -c 'for d in null zero full random urandom tty; do test -c /dev/$d || echo "missing $d"; done; test -d /dev/pts && test -d /dev/shm && echo ok'
  expect_eq "$OUT" ok "device check"
  expect_success cove run --rm "$IMG" ls /dev
  expect_not_contains "$OUT" "sda" "/dev"
  expect_not_contains "$OUT" "vda" "/dev"
  expect_not_contains "$OUT" "kmsg" "/dev"

  TEST "/dev devices work"
  expect_success cove run --rm "$IMG" sh -c 'echo x > /dev/null && head -c 16 /dev/zero | wc -c && head -c 16 /dev/urandom | wc -c'
  expect_eq "$(tr -d ' ' <<<"$OUT")" $'16\n16' "bytes read"
  expect_exit 1 cove run --rm "$IMG" sh -c 'echo x > /dev/full'

  TEST "/dev/shm is writable"
  expect_success cove run --rm "$IMG" sh -c 'echo shm > /dev/shm/f && cat /dev/shm/f'
  expect_eq "$OUT" shm "/dev/shm"

  TEST "/proc shows only the container's processes, the command is pid 1"
  expect_success cove run --rm "$IMG" sh -c 'echo $$; ls -d /proc/[0-9]* | wc -l'
  expect_eq "$(head -n 1 <<<"$OUT")" 1 "pid of the command"
  local n
  n=$(tail -n 1 <<<"$OUT" | tr -d ' ')
  if ! [[ $n =~ ^[0-9]+$ ]] || ((n > 4)); then
    fail "the container sees $n processes"
  fi
  expect_success cove run --rm "$IMG" ps -o pid,comm
  expect_not_contains "$OUT" "cove" "ps in the container"

  TEST "/proc/1/cmdline is the container's command"
  expect_success cove run --rm "$IMG" sh -c 'tr "\0" " " </proc/1/cmdline; echo'
  expect_eq "$OUT" 'sh -c tr "\0" " " </proc/1/cmdline; echo ' "cmdline of pid 1"

  TEST "/sys is mounted read-only"
  expect_success cove run --rm "$IMG" sh -c 'test -d /sys/kernel && echo sys'
  expect_eq "$OUT" sys "/sys"
  expect_exit 1 cove run --rm "$IMG" sh -c 'touch /sys/x 2>/dev/null'

  TEST "/tmp is writable for any user"
  if [[ $IDENTITY == nosub ]]; then
    skip_test "uid 1000 is not mapped without subordinate ids"
  else
    expect_success cove run --rm -u app "$IMG" sh -c 'echo t > /tmp/f && cat /tmp/f'
    expect_eq "$OUT" t "/tmp"
  fi

  TEST "mount table: proc, devpts, the root"
  expect_success cove run --rm "$IMG" cat /proc/self/mounts
  expect_line "$OUT" '^proc /proc proc' "mounts"
  expect_line "$OUT" '^devpts /dev/pts devpts' "mounts"
  expect_line "$OUT" ' / ' "mounts"

  TEST "--network none has only lo, --network host sees the host's interfaces"
  local ifaces='awk -F: "NR > 2 { gsub(/ /, \"\", \$1); print \$1 }" /proc/net/dev | sort | tr "\n" " "'
  expect_success cove run --rm --network none "$IMG" sh -c "$ifaces"
  expect_eq "$OUT" "lo " "interfaces with --network none"
  expect_success cove run --rm --network host "$IMG" sh -c "$ifaces"
  expect_eq "$OUT" "$(sh -c "$ifaces")" "interfaces with --network host"
}
