#!/bin/bash
# Makes a minimal Debian 12 (bookworm, debootstrap --variant=minbase) image and pushes it to a
# registry. The rootfs is made once with debootstrap from deb.debian.org and kept as a tarball
# under the cache directory; later calls reuse it and need neither root nor the network. The
# layer is the tarball itself (numeric owners, so _apt's and others' files keep their ids).
#
#   make-debian-image.sh [--cache DIR] [--prepare-only] REGISTRY REPO[:TAG]
#   make-debian-image.sh [--cache DIR] --prepare-only
#
#   --cache DIR       where the rootfs tarball is kept (default $COVE_TEST_CACHE, else
#                     /var/cache/cove-test)
#   --prepare-only    make (or find) the cached tarball and push nothing
#   COVE_DEBIAN_MIRROR  the mirror debootstrap uses (default http://deb.debian.org/debian)
#
# Prints KEY=VALUE lines: tarball, and after a push ref and manifest. Exits 3 when the tarball
# is missing and cannot be made here (not root, no debootstrap, mirror unreachable), with the
# reason on stderr.
set -euo pipefail

die() { printf 'make-debian-image.sh: error: %s\n' "$*" >&2; exit 1; }
unavailable() { printf 'make-debian-image.sh: %s\n' "$*" >&2; exit 3; }

cache=${COVE_TEST_CACHE:-/var/cache/cove-test} prepare_only=0
suite=bookworm mirror=${COVE_DEBIAN_MIRROR:-http://deb.debian.org/debian}
while [[ $# -gt 0 ]]; do
  case $1 in
    --cache) cache=$2; shift 2 ;;
    --prepare-only) prepare_only=1; shift ;;
    -*) die "unknown option $1" ;;
    *) break ;;
  esac
done
if ((prepare_only)); then
  [[ $# -eq 0 ]] || die "--prepare-only takes no REGISTRY or REPO"
else
  [[ $# -eq 2 ]] || die "usage: make-debian-image.sh [--cache DIR] [--prepare-only] REGISTRY REPO[:TAG]"
fi

case $(uname -m) in
  x86_64) arch=amd64 ;; aarch64) arch=arm64 ;; armv7l) arch=armhf ;; *) arch=$(uname -m) ;;
esac
tarball=$cache/debian-$suite-minbase-$arch.tar.gz

# Runs debootstrap into a scratch dir and writes the tarball by rename, so a half-made one is
# never seen. /dev's nodes are left out (the runtime makes its own).
make_tarball() {
  [[ $EUID -eq 0 ]] || unavailable "$tarball is missing and only root can run debootstrap to make it"
  command -v debootstrap >/dev/null || unavailable "debootstrap not found (scripts/install-deps.sh installs it)"
  curl -sSf -o /dev/null --max-time 20 "$mirror/dists/$suite/Release" 2>/dev/null ||
    unavailable "cannot reach $mirror (debootstrap needs it once to make $tarball)"
  local scratch
  scratch=$(mktemp -d "$cache/.debootstrap.XXXXXX")
  # shellcheck disable=SC2064
  trap "rm -rf '$scratch'" EXIT
  echo "make-debian-image.sh: debootstrap --variant=minbase $suite from $mirror (once)" >&2
  if ! debootstrap --variant=minbase --arch="$arch" "$suite" "$scratch/rootfs" "$mirror" \
    >"$scratch/log" 2>&1; then
    tail -n 20 "$scratch/log" >&2
    unavailable "debootstrap $suite from $mirror failed (log above)"
  fi
  local root=$scratch/rootfs
  rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*_* "$root"/dev/*
  (cd "$root" && tar --numeric-owner --sort=name -czf "$scratch/rootfs.tar.gz" -- $(ls -A))
  mv "$scratch/rootfs.tar.gz" "$tarball"
  rm -rf "$scratch"
  trap - EXIT
}

mkdir -p "$cache" 2>/dev/null || true
if [[ ! -s $tarball ]]; then
  [[ -w $cache ]] || unavailable "$tarball is missing and $cache is not writable here"
  # Several suites (identities) may start at once: one makes the tarball, the others wait.
  exec 9>"$cache/.debian-$suite.lock"
  flock 9
  [[ -s $tarball ]] || make_tarball
  exec 9>&-
fi
echo "tarball=$tarball"
((prepare_only)) && exit 0

for tool in umoci skopeo gzip; do
  command -v "$tool" >/dev/null || die "$tool not found (scripts/install-deps.sh installs it)"
done
registry=$1 repo=${2%%:*} tag=latest
[[ $2 == *:* ]] && tag=${2#*:}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
gzip -dc "$tarball" >"$work/layer.tar"
umoci init --layout "$work/oci" >/dev/null
umoci new --image "$work/oci:$tag" >/dev/null
umoci raw add-layer --image "$work/oci:$tag" --history.created_by "debootstrap --variant=minbase $suite" \
  "$work/layer.tar" >/dev/null
umoci config --image "$work/oci:$tag" --os linux --architecture "$arch" \
  --config.env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  --config.cmd bash >/dev/null
skopeo copy --quiet --dest-tls-verify=false "oci:$work/oci:$tag" "docker://$registry/$repo:$tag" >&2 ||
  die "skopeo copy to $registry/$repo:$tag failed"
echo "ref=$registry/$repo:$tag"
echo "manifest=$(skopeo inspect --raw --tls-verify=false "docker://$registry/$repo:$tag" | sha256sum | cut -d' ' -f1 | sed 's/^/sha256:/')"
