#!/bin/bash
# Prepare this machine for the benchmarks (idempotent, run as root):
#  - packages: podman + runc (crun refuses the hybrid cgroup layout here), hyperfine, registry...
#  - a containers.conf with runtime=runc, cgroupfs, file events logger
#  - the unprivileged benchmark user with a subuid/subgid range
#  - a dedicated storage filesystem (journaled loop ext4, or tmpfs) mounted on $BENCH_MNT
set -euo pipefail
. "$(dirname "$0")/lib.sh"
require_root setup.sh

PKGS="podman runc conmon catatonit golang-github-containers-common uidmap slirp4netns
      fuse-overlayfs docker-registry busybox-static curl gzip zstd jq e2fsprogs
      util-linux python3 bpftrace gcc libc6-dev hyperfine passt iperf3"
missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing="$missing $p"
done
if [ -n "$missing" ]; then
    note "installing:$missing"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

mkdir -p "$BENCH_STATE" "$BENCH_CACHE"
# The memory benchmark's launcher and tracer: memrun (tiny, so it does not distort the numbers)
# and bpftrace, which needs tracefs.
if [ ! -x "$BENCH_STATE/memrun" ] || [ "$BENCH_DIR/memrun.c" -nt "$BENCH_STATE/memrun" ]; then
    gcc -O2 -Wall -Wextra -o "$BENCH_STATE/memrun" "$BENCH_DIR/memrun.c"
fi
if [ ! -e /sys/kernel/tracing/events ]; then
    mount -t tracefs tracefs /sys/kernel/tracing
fi
# Root here lacks CAP_SYS_RESOURCE, so podman's default nofile of 1048576 for root containers
# and nproc fail in runc ("error setting rlimit type 7"): use our hard nofile limit, and an
# nproc below every hard limit seen here (runc refused even the hard limit prlimit reports).
nofile=$(ulimit -Hn) nproc=4096
cat >"$BENCH_CONTAINERS_CONF" <<CONF
# Written by bench/setup.sh: podman's default crun and systemd cgroup manager refuse this
# machine's hybrid cgroup v1/v2 layout, and there is no journald/dbus session.
[containers]
default_ulimits = ["nofile=$nofile:$nofile", "nproc=$nproc:$nproc"]

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
CONF
# Root's podman reads the drop-in dir too, so plain `podman` works by hand as well.
mkdir -p /etc/containers/containers.conf.d
cp "$BENCH_CONTAINERS_CONF" /etc/containers/containers.conf.d/50-cove-bench.conf

if ! id "$BENCH_USER" >/dev/null 2>&1; then
    useradd --create-home --shell /bin/bash "$BENCH_USER"
fi
for f in /etc/subuid /etc/subgid; do
    touch "$f"
    grep -q "^$BENCH_USER:" "$f" || echo "$BENCH_USER:$BENCH_SUBID_START:$BENCH_SUBID_COUNT" >>"$f"
done
home=$(getent passwd "$BENCH_USER" | cut -d: -f6)
install -d -o "$BENCH_USER" -g "$BENCH_USER" "$home/.config" "$home/.config/containers"
install -o "$BENCH_USER" -g "$BENCH_USER" -m 0644 "$BENCH_CONTAINERS_CONF" \
    "$home/.config/containers/containers.conf"

# The storage filesystem. Remount only when the requested kind differs from the mounted one.
mkdir -p "$BENCH_MNT"
current=$(findmnt -n -o FSTYPE --mountpoint "$BENCH_MNT" 2>/dev/null || true)
if [ -n "$current" ] && [ "$current" != "$BENCH_FS" ]; then
    umount "$BENCH_MNT"
    current=""
fi
if [ -z "$current" ]; then
    case "$BENCH_FS" in
    tmpfs)
        mount -t tmpfs -o "size=$BENCH_FS_SIZE,mode=0755" cove-bench "$BENCH_MNT"
        ;;
    ext4)
        img=$BENCH_STATE/fs.img
        if [ ! -f "$img" ]; then
            truncate -s "$BENCH_FS_SIZE" "$img"
            mkfs.ext4 -q -F -j -L cove-bench "$img"   # -j: with a journal, unlike the root fs
        fi
        mount -o loop "$img" "$BENCH_MNT"
        ;;
    *) die "BENCH_FS must be ext4 or tmpfs, not $BENCH_FS" ;;
    esac
fi
chmod 0755 "$BENCH_MNT"

for u in root "$BENCH_USER"; do
    b=$(user_base "$u")
    mkdir -p "$b"/{podman,cove}/{root,runroot} "$b/xdg-run" "$b/mem"
    chmod 0700 "$b/xdg-run"
    [ "$u" = root ] || chown -R "$u:" "$b"
done
note "ready: storage on $BENCH_MNT ($(findmnt -n -o FSTYPE,SOURCE "$BENCH_MNT" | tr -s ' ')), user $BENCH_USER"
