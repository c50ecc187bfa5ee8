# cove build on a real distribution: a Debian 12 minbase image (made once with debootstrap by
# scripts/make-debian-image.sh and cached), RUN steps that create users and groups, chown files
# to many ids and install a package with dpkg and apt (which chown on their own), COPY --chown by
# name; every owner must come out of the built image exactly.

SUITE_IDENTITIES="user nosub root"

suite_probe() {
  if [[ $IDENTITY == nosub ]]; then
    echo "without a subuid range only one id is mapped: useradd and chown to other ids cannot work"
    return 1
  fi
  local out
  if ! out=$("$SCRIPTS/make-debian-image.sh" --prepare-only 2>&1); then
    echo "no Debian rootfs: $(tail -n 1 <<<"$out")"
    return 1
  fi
}

# The Debian image in the suite's registry; sets DEB.
seed_debian() {
  if ! "$SCRIPTS/make-debian-image.sh" "$REG" debian:bookworm >"$T/debian.info" 2>"$T/debian.err"; then
    fail "pushing the Debian image failed"
    diag "$(cat "$T/debian.err")"
    return 1
  fi
  DEB=$REG/debian:bookworm
}

# What every owner checked below must be: "PATH UID:GID" lines (the same as the steps give as
# real root in a chroot of the rootfs; apt makes archives/partial _apt's, lists/partial stays root's).
expected_owners() {
  cat <<'EOF'
/home/alice 1234:1234
/data 0:0
/data/a 1234:2345
/data/b 0:2345
/data/c 65534:65534
/data/d 40000:50000
/data/dir 1234:2345
/data/dir/inner 4321:0
/data/link 777:888
/data/copied 1234:2345
/data/copied-dir 1234:2345
/data/copied-dir/f 1234:2345
/opt/covepkg 0:0
/opt/covepkg/file 1234:2345
/opt/covepkg/by-postinst 42:65534
/var/cache/apt/archives/partial 42:0
/var/lib/apt/lists/partial 0:0
EOF
}

# Paths whose owner in the image differs from the rootfs tarball (TAB-separated "path uid:gid"
# lines on stdin, as find prints them in the container), leaving out EXCEPT (an ERE on paths).
owner_mismatches() {
  local tarball=$1 except=$2
  python3 -c '
import re, sys, tarfile
tarball, except_re = sys.argv[1], sys.argv[2]
want = {}
with tarfile.open(tarball) as tf:
    for m in tf:
        path = "/" + m.name.lstrip("./").rstrip("/")
        if path == "/" or re.match(r"/(dev|proc|sys)(/|$)", path) or re.search(except_re, path):
            continue
        want[path] = f"{m.uid}:{m.gid}"
got = {}
for line in sys.stdin:
    path, _, owner = line.rstrip("\n").rpartition("\t")
    got[path] = owner
for path, owner in sorted(want.items()):
    if got.get(path) != owner:
        print(path + ": want " + owner + ", got " + got.get(path, "nothing"))
' "$tarball" "$except" || echo "comparing owners failed"
}

test_owners() {
  local ctx=$WORK/deb paths
  mkdir -p "$ctx/tree"
  echo copied >"$ctx/copied.txt"
  echo f >"$ctx/tree/f"
  cat >"$ctx/Dockerfile" <<DF
FROM $DEB
RUN useradd -m -u 1234 alice && groupadd -g 2345 grp
RUN mkdir /data && cd /data && touch a b c d && chown 1234:2345 a && chown 0:2345 b && chown 65534:65534 c && chown 40000:50000 d && mkdir dir && touch dir/inner && chown 4321:0 dir/inner && chown alice:grp dir && chmod 2775 dir && ln -s a link && chown -h 777:888 link
RUN mkdir -p /tmp/pkg/DEBIAN /tmp/pkg/opt/covepkg && printf 'Package: covepkg\nVersion: 1.0\nArchitecture: all\nMaintainer: cove <cove@example.com>\nDescription: cove test package\n' >/tmp/pkg/DEBIAN/control && printf '#!/bin/sh\nset -e\nmkdir -p /opt/covepkg/by-postinst\nchown _apt:nogroup /opt/covepkg/by-postinst\n' >/tmp/pkg/DEBIAN/postinst && chmod 0755 /tmp/pkg/DEBIAN/postinst && echo data >/tmp/pkg/opt/covepkg/file && chown 1234:2345 /tmp/pkg/opt/covepkg/file && dpkg-deb --build /tmp/pkg /tmp/covepkg.deb && apt-get install -y /tmp/covepkg.deb && rm -rf /tmp/pkg /tmp/covepkg.deb && dpkg -s covepkg | grep '^Status:'
COPY --chown=alice:grp copied.txt /data/copied
COPY --chown=alice:grp tree /data/copied-dir
DF
  own_contexts
  paths=$(expected_owners | cut -d' ' -f1 | tr '\n' ' ')

  TEST "a Debian build: useradd, chown to many ids, dpkg and apt, COPY --chown by name"
  expect_success cove build -t local/debian-owners:1 "$ctx"
  expect_line "$OUT" "^Status: install ok installed$" "dpkg status of the package"
  # shellcheck disable=SC2086
  expect_success cove run --rm --network none local/debian-owners:1 stat -c '%n %u:%g' $paths
  expect_eq "$OUT" "$(expected_owners)" "owners in the built image"
  expect_success cove run --rm --network none local/debian-owners:1 sh -c 'getent passwd alice | cut -d: -f1,3,4,6; getent group grp; stat -c %a /data/dir; stat -c %U:%G /var/cache/apt/archives/partial'
  expect_eq "$OUT" "$(printf 'alice:1234:1234:/home/alice\ngrp:x:2345:\n2775\n_apt:root')" "users, groups and modes"

  TEST "every owner of the Debian rootfs survives the pull, the unpack and the build"
  local tarball
  tarball=$(sed -n 's/^tarball=//p' "$T/debian.info")
  expect_success cove run --rm --network none local/debian-owners:1 find / -xdev \( -path /proc -o -path /sys -o -path /dev \) -prune -o -printf '/%P\t%U:%G\n'
  # apt made archives/partial _apt's (checked above); the runtime mounts its own etc files
  expect_eq "$(owner_mismatches "$tarball" '^/var/cache/apt/archives/partial$|^/etc/(hosts|hostname|resolv.conf)$' <<<"$OUT")" "" "owners that changed"
  expect_ne "$(grep -c . <<<"$OUT")" 0 "paths listed"

  TEST "the owners survive a cached rebuild and a build FROM the built image"
  expect_success cove build -t local/debian-owners:2 "$ctx"
  expect_eq "$(grep -c -- '--> Using cache' <<<"$OUT")" 5 "cached steps"
  printf 'FROM local/debian-owners:1\nRUN touch /data/e && chown 1234:2345 /data/e\n' >"$ctx/Child"
  own_contexts
  expect_success cove build -t local/debian-owners:child -f "$ctx/Child" "$ctx"
  # shellcheck disable=SC2086
  expect_success cove run --rm --network none local/debian-owners:child stat -c '%n %u:%g' $paths /data/e
  expect_eq "$OUT" "$(expected_owners; echo '/data/e 1234:2345')" "owners in the child image"
}

suite_main() {
  seed_debian || return 0
  test_owners
}
