#!/bin/bash
# cove end to end, offline: installs what is missing, builds, starts a local registry seeded with
# a busybox image, then, as an unprivileged user, pulls the image and runs a container.
#
# As root the demo runs cove as the user "covedemo" (created here, with the subordinate id range
# 500000:65536); as anyone else it runs cove as you. Nothing outside a temp dir is touched
# besides that user and the build dir; the registry listens on 127.0.0.1 only.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${BUILD_DIR:-$root/build}
demo_user=covedemo demo_range=500000:65536
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

step() { printf '\n== %s\n' "$*"; }

step "installing missing dependencies"
"$root/scripts/install-deps.sh"

step "building cove in $build"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j "$(nproc)" --target cove

dir=$(mktemp -d /tmp/cove-demo.XXXXXX)
chmod 0755 "$dir"
cleanup() {
  "$root/scripts/registry.sh" stop "$dir/registry" || true
  # Without root, files owned by subordinate ids can only be removed from inside a userns.
  rm -rf "$dir" 2>/dev/null || unshare --user --map-root-user --map-auto rm -rf "$dir" 2>/dev/null ||
    echo "(left $dir behind)"
}
trap cleanup EXIT

step "starting a local registry"
reg=$("$root/scripts/registry.sh" start "$dir/registry")
echo "registry on $reg (data in $dir/registry/data)"

step "seeding $reg/busybox (busybox-static, pushed with curl)"
"$root/scripts/make-test-image.sh" "$reg" busybox | sed 's/^/  /'

# The clone may be under a 0700 home: the demo user runs its own copy of the binary.
mkdir -p "$dir/bin" "$dir/home"
cp "$build/src/cove" "$dir/bin/cove"
chmod 0755 "$dir/bin/cove"

if [[ $EUID -eq 0 ]]; then
  step "preparing the unprivileged user $demo_user"
  id -u "$demo_user" >/dev/null 2>&1 || useradd --no-create-home --user-group --shell /bin/sh "$demo_user"
  for f in /etc/subuid /etc/subgid; do
    touch "$f"
    grep -qx "$demo_user:$demo_range" "$f" || {
      sed -i "/^$demo_user:/d" "$f"
      echo "$demo_user:$demo_range" >>"$f"
    }
  done
  grep "^$demo_user:" /etc/subuid | sed 's/^/  subuid: /'
  chown "$demo_user:" "$dir/home"
  as_demo() {
    setpriv --reuid="$demo_user" --regid="$demo_user" --init-groups -- \
      env -i HOME="$dir/home" PATH="$PATH" LANG=C.UTF-8 "$@"
  }
else
  demo_user=$(id -un)
  as_demo() { env -i HOME="$dir/home" PATH="$PATH" LANG=C.UTF-8 "$@"; }
fi

cove() {
  printf '\n%s$ cove %s\n' "$demo_user" "$*"
  (cd "$dir/home" && as_demo "$dir/bin/cove" "$@")
}

step "running cove as $demo_user (uid $(id -u "$demo_user")), no daemon, no root"
cove pull "$reg/busybox"
cove images
cove run --rm "$reg/busybox" cat /proc/self/uid_map
cove run --rm "$reg/busybox" echo "Hello from inside a rootless cove container"
echo
echo "demo finished: cove pulled and ran $reg/busybox as $demo_user"
