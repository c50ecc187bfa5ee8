#!/bin/bash
# Installs the Debian 12 packages cove needs to build, run and test, and only those that are
# missing. Idempotent; installs as root or through sudo (only used when something is missing);
# needs no stdin. When everything is present it touches neither the network nor root, so it
# works offline and unprivileged on a prepared machine.
set -euo pipefail

# Build tools and libraries (see DEVELOPERS.md).
build_pkgs=(cmake g++ make pkg-config
  libcurl4-openssl-dev libssl-dev nlohmann-json3-dev libarchive-dev libzstd-dev libisal-dev
  libcli11-dev doctest-dev)
# Runtime helpers cove calls: newuidmap/newgidmap, networking helpers, fuse-overlayfs.
runtime_pkgs=(uidmap slirp4netns fuse-overlayfs fuse3 passt)
# What the integration harness and the scripts under scripts/ use.
test_pkgs=(docker-registry busybox-static curl ca-certificates python3 zstd gzip tar jq debootstrap openssh-client
  util-linux bsdutils passwd procps coreutils apache2-utils
  skopeo umoci bzip2 xz-utils)

log() { printf 'install-deps: %s\n' "$*"; }

export DEBIAN_FRONTEND=noninteractive

installed() {
  [[ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" == installed ]]
}

missing=()
for pkg in "${build_pkgs[@]}" "${runtime_pkgs[@]}" "${test_pkgs[@]}"; do
  if installed "$pkg"; then
    continue
  fi
  missing+=("$pkg")
done

if ((${#missing[@]} == 0)); then
  log "all ${#build_pkgs[@]} build, ${#runtime_pkgs[@]} runtime and ${#test_pkgs[@]} test packages are installed"
  exit 0
fi

log "missing: ${missing[*]}"
if [[ $EUID -ne 0 ]]; then
  if command -v sudo >/dev/null 2>&1; then
    log "not root: re-running through sudo"
    exec sudo -- env DEBIAN_FRONTEND=noninteractive bash "$0" "$@" </dev/null
  fi
  log "error: installing needs root, and sudo is not installed" >&2
  exit 1
fi
log "running apt-get update"
apt-get update -q </dev/null
log "running apt-get install -y --no-install-recommends ${missing[*]}"
apt-get install -y -q --no-install-recommends "${missing[@]}" </dev/null
log "done"
