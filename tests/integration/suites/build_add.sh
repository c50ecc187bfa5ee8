# cove build, beyond COPY: ADD of local archives (unpacked, confined) and of URLs (--checksum),
# --chown by name, contexts and Dockerfiles on stdin, --label/--platform/--layers, ONBUILD
# triggers, and `cove save` output that skopeo and umoci accept.

# Archives with files owned by uid 1000 and --chown to named users need a subordinate range (or
# root); with a single mapped id every file would be owned by root (see build.sh).
SUITE_IDENTITIES="user root"

own_tree() {
  if ((SWITCH_USER)); then chown -R "$RUN_UID:$RUN_GID" "$@"; fi
}

# make_archives DIR: tree.tar (+ .gz .bz2 .xz .zst), escape.tar (a "../" entry), link.tar (a
# symlink pointing out, then a file written through it), notar.txt.gz (gzip, not a tar).
make_archives() {
  python3 - "$1" <<'PY'
import io, sys, tarfile, time
d = sys.argv[1]
def add(t, name, kind, data=b"", uid=0, gid=0, mode=0o644, target=""):
    i = tarfile.TarInfo(name)
    i.uid, i.gid, i.mode, i.mtime = uid, gid, mode, 1000000000
    if kind == "dir":
        i.type = tarfile.DIRTYPE
    elif kind == "sym":
        i.type, i.linkname = tarfile.SYMTYPE, target
    else:
        i.size = len(data)
    t.addfile(i, io.BytesIO(data) if kind == "file" else None)
with tarfile.open(d + "/tree.tar", "w", format=tarfile.PAX_FORMAT) as t:
    add(t, "top", "dir", uid=1000, gid=1000, mode=0o750)
    add(t, "top/owned.txt", "file", b"owned by 1000\n", uid=1000, gid=1001, mode=0o600)
    add(t, "top/run.sh", "file", b"#!/bin/sh\necho ran\n", mode=0o755)
    add(t, "top/link", "sym", target="run.sh")
    add(t, "plain.txt", "file", b"plain\n")
with tarfile.open(d + "/escape.tar", "w") as t:
    add(t, "ok.txt", "file", b"ok\n")
    add(t, "../escaped.txt", "file", b"escaped\n")
with tarfile.open(d + "/link.tar", "w") as t:
    add(t, "out", "sym", target="/tmp")
    add(t, "out/through-link.txt", "file", b"through\n")
PY
  gzip -k "$1/tree.tar" && mv "$1/tree.tar.gz" "$1/tree.tgz"
  bzip2 -k "$1/tree.tar"
  xz -k "$1/tree.tar"
  zstd -q "$1/tree.tar" -o "$1/tree.tar.zst"
  # Named like an archive but plain text, and an archive named like anything: content decides.
  echo "not a tar" | gzip >"$1/notar.txt.gz"
  cp "$1/tree.tgz" "$1/disguised.bin"
}

# start_http DIR: python3's http.server on 127.0.0.1 serving DIR; sets HTTP_URL and HTTP_PID.
start_http() {
  local port i
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  python3 -m http.server --bind 127.0.0.1 --directory "$1" "$port" >"$T/http.log" 2>&1 &
  HTTP_PID=$!
  HTTP_URL=http://127.0.0.1:$port
  for i in $(seq 1 100); do
    curl -fsS -o /dev/null "$HTTP_URL/" 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

stop_http() {
  if [[ -n ${HTTP_PID:-} ]]; then
    kill "$HTTP_PID" 2>/dev/null
    wait "$HTTP_PID" 2>/dev/null
    HTTP_PID=
  fi
  return 0
}

suite_main() {
  local ctx=$WORK/addctx
  mkdir -p "$ctx"
  make_archives "$ctx"
  cat >"$ctx/Dockerfile" <<DF
FROM $IMG
ADD tree.tar /plain/
ADD tree.tgz /gz
ADD tree.tar.bz2 /bz2/
ADD tree.tar.xz /xz/
ADD tree.tar.zst /zst/
ADD disguised.bin /disguised/
ADD notar.txt.gz /notar/
ADD --chown=2000:2001 tree.tar.xz /chowned/
COPY tree.tar /copied/
DF
  own_tree "$WORK"

  TEST "ADD unpacks plain, gzip, bzip2, xz and zstd tars, keeping owners, modes and links"
  expect_success cove build -t local/add:1 "$ctx"
  expect_success cove run --rm --network none local/add:1 sh -c \
    'for d in plain gz bz2 xz zst disguised; do stat -c "%u:%g %a %n" /$d/top /$d/top/owned.txt /$d/top/run.sh /$d/plain.txt; readlink /$d/top/link; done'
  local d
  for d in plain gz bz2 xz zst disguised; do
    expect_line "$OUT" "^1000:1000 750 /$d/top$" "$d: directory owner and mode"
    expect_line "$OUT" "^1000:1001 600 /$d/top/owned.txt$" "$d: file owner and mode"
    expect_line "$OUT" "^0:0 755 /$d/top/run.sh$" "$d: executable"
    expect_line "$OUT" "^0:0 644 /$d/plain.txt$" "$d: plain file"
  done
  expect_eq "$(grep -c '^run.sh$' <<<"$OUT")" 6 "symlinks kept"
  expect_success cove run --rm --network none local/add:1 sh -c \
    'stat -c "%u:%g %a %n" /chowned/top/owned.txt /copied/tree.tar; /plain/top/run.sh; ls /notar; zcat /notar/notar.txt.gz; stat -c %Y /plain/plain.txt'
  expect_line "$OUT" "^2000:2001 600 /chowned/top/owned.txt$" "--chown overrides the archive's owners"
  expect_line "$OUT" "^0:0 644 /copied/tree.tar$" "COPY does not unpack"
  expect_line "$OUT" "^ran$" "unpacked script runs"
  expect_line "$OUT" "^notar.txt.gz$" "a compressed file that is no tar is copied as is"
  expect_line "$OUT" "^not a tar$" "its content"
  expect_line "$OUT" "^1000000000$" "mtime from the archive"

  TEST "ADD of an archive is cached by its content"
  expect_success cove build -t local/add:1 "$ctx"
  expect_eq "$(grep -c -- '--> Using cache' <<<"$OUT")" 9 "all ADD/COPY steps cached"

  TEST "ADD refuses archive entries that climb out of the destination or write through links"
  printf 'FROM %s\nADD escape.tar /dest/\n' "$IMG" >"$ctx/Escape"
  printf 'FROM %s\nADD link.tar /dest/\n' "$IMG" >"$ctx/Link"
  own_tree "$ctx"
  expect_cove_error "escapes" cove build -f "$ctx/Escape" "$ctx"
  expect_cove_error "Escape:2: ADD" cove build -f "$ctx/Escape" "$ctx"
  cove build -f "$ctx/Link" -t local/add:link "$ctx"
  if [[ $RC == 0 ]]; then
    # The layer unpacker's rule: an entry below a symlink is refused or lands inside the tree.
    expect_success cove run --rm --network none local/add:link sh -c 'ls /tmp; readlink /dest/out'
    expect_not_contains "$OUT" "through-link.txt" "nothing written through the archive's link"
  else
    expect_eq "$RC" 125 "refused"
  fi

  TEST "ADD URL: --checksum verified, mode 0600, mtime from Last-Modified, not unpacked"
  local www=$WORK/www
  mkdir -p "$www/dir"
  echo "remote content" >"$www/remote.txt"
  cp "$ctx/tree.tgz" "$www/dir/tree.tgz"
  touch -d '2020-02-02 02:02:02 UTC' "$www/remote.txt"
  local sum
  sum=$(sha256sum "$www/remote.txt" | cut -d' ' -f1)
  if ! start_http "$www"; then
    fail "cannot start python3 http.server"
  else
    printf 'FROM %s\nADD --checksum=sha256:%s %s/remote.txt /r/\nADD %s/dir/tree.tgz /r/tgz\nADD --chmod=0640 %s/remote.txt /r/renamed.txt\n' \
      "$IMG" "$sum" "$HTTP_URL" "$HTTP_URL" "$HTTP_URL" >"$ctx/Url"
    printf 'FROM %s\nADD --checksum=sha256:%064d %s/remote.txt /r/\n' "$IMG" 0 "$HTTP_URL" >"$ctx/BadSum"
    printf 'FROM %s\nADD %s/missing.txt /r/\n' "$IMG" "$HTTP_URL" >"$ctx/Missing"
    own_tree "$ctx"
    expect_success cove build -t local/url:1 -f "$ctx/Url" "$ctx"
    expect_success cove run --rm --network none local/url:1 sh -c \
      'cat /r/remote.txt; stat -c "%u:%g %a %Y %n" /r/remote.txt /r/tgz /r/renamed.txt'
    expect_line "$OUT" "^remote content$" "content"
    expect_line "$OUT" "^0:0 600 $(date -d '2020-02-02 02:02:02 UTC' +%s) /r/remote.txt$" "mode and mtime"
    expect_match "$OUT" "0:0 600 [0-9]+ /r/tgz" "a downloaded archive is not unpacked"
    expect_match "$OUT" "0:0 640 [0-9]+ /r/renamed.txt" "--chmod applies"
    expect_cove_error "checksum mismatch" cove build -f "$ctx/BadSum" "$ctx"
    expect_contains "$ERR" "sha256:$sum" "the actual digest is named"
    expect_cove_error "404" cove build -f "$ctx/Missing" "$ctx"
    stop_http
    TEST "ADD URL with --checksum: a rebuild is a cache hit without the network"
    printf 'FROM %s\nADD --checksum=sha256:%s %s/remote.txt /r/\n' "$IMG" "$sum" "$HTTP_URL" >"$ctx/Cached"
    own_tree "$ctx"
    if start_http "$www"; then
      expect_success cove build -t local/url:2 -f "$ctx/Cached" "$ctx"
      stop_http
    fi
    expect_success cove build -t local/url:2 -f "$ctx/Cached" "$ctx"
    expect_contains "$OUT" "--> Using cache" "cache hit with the server gone"
  fi

  TEST "COPY/ADD --chown by name, resolved from the stage's passwd and group at that step"
  local chctx=$WORK/chownctx
  mkdir -p "$chctx"
  echo data >"$chctx/data.txt"
  cat >"$chctx/Dockerfile" <<DF
FROM $IMG
COPY --chown=app data.txt /by-user.txt
COPY --chown=app:nogroup data.txt /by-user-group.txt
COPY --chown=1234 data.txt /by-uid.txt
RUN echo 'svc:x:4321:4000::/srv:/bin/sh' >>/etc/passwd && echo 'svcgrp:x:4000:' >>/etc/group && echo 'other:x:4555:' >>/etc/group
COPY --chown=svc data.txt /by-new-user.txt
ADD --chown=svc:other data.txt /by-new-group.txt
DF
  printf 'FROM %s\nCOPY --chown=nosuchuser data.txt /x\n' "$IMG" >"$chctx/Unknown"
  own_tree "$chctx"
  expect_success cove build -t local/chown:1 "$chctx"
  expect_success cove run --rm --network none local/chown:1 stat -c '%u:%g %n' /by-user.txt /by-user-group.txt \
    /by-uid.txt /by-new-user.txt /by-new-group.txt
  expect_line "$OUT" "^1000:1000 /by-user.txt$" "user name: its uid and primary gid"
  expect_line "$OUT" "^1000:65534 /by-user-group.txt$" "user and group names"
  expect_line "$OUT" "^1234:1234 /by-uid.txt$" "a lone uid is the gid too"
  expect_line "$OUT" "^4321:4000 /by-new-user.txt$" "a user added by an earlier RUN"
  expect_line "$OUT" "^4321:4555 /by-new-group.txt$" "a group added by an earlier RUN"
  expect_cove_error "unable to find user nosuchuser" cove build -f "$chctx/Unknown" "$chctx"

  TEST "build - with a (compressed) tar on stdin as the context, -f inside it"
  local tctx=$WORK/tarctx
  mkdir -p "$tctx/sub"
  echo "from the stdin context" >"$tctx/sub/file.txt"
  printf 'FROM %s\nCOPY sub/file.txt /file.txt\n' "$IMG" >"$tctx/Dockerfile"
  printf 'FROM %s\nCOPY sub/file.txt /other.txt\n' "$IMG" >"$tctx/Other.Dockerfile"
  tar -C "$tctx" -czf "$WORK/ctx.tar.gz" .
  tar -C "$tctx" -cf "$WORK/ctx.tar" .
  own_tree "$WORK"
  COVE_STDIN=$WORK/ctx.tar.gz cove build -t local/stdin:tar -
  expect_eq "$RC" 0 "exit status"
  expect_success cove run --rm --network none local/stdin:tar cat /file.txt
  expect_eq "$OUT" "from the stdin context" "context from a gzip tar on stdin"
  COVE_STDIN=$WORK/ctx.tar cove build -f Other.Dockerfile -t local/stdin:other -
  expect_eq "$RC" 0 "exit status"
  expect_success cove run --rm --network none local/stdin:other cat /other.txt
  expect_eq "$OUT" "from the stdin context" "-f names a file in the stdin tar"

  TEST "build - with a Dockerfile on stdin has no context"
  printf 'FROM %s\nLABEL from=stdin-dockerfile\nRUN echo ok >/ok\n' "$IMG" >"$WORK/Stdin.Dockerfile"
  printf 'FROM %s\nCOPY file.txt /x\n' "$IMG" >"$WORK/NoCtx.Dockerfile"
  own_tree "$WORK"
  COVE_STDIN=$WORK/Stdin.Dockerfile cove build -t local/stdin:df -
  expect_eq "$RC" 0 "exit status"
  expect_success cove image inspect --format '{{index .Config.Labels "from"}}' local/stdin:df
  expect_eq "$OUT" stdin-dockerfile "label"
  COVE_STDIN=$WORK/NoCtx.Dockerfile cove build -t local/stdin:noctx -
  expect_eq "$RC" 125 "COPY without a context fails"
  expect_cove_error "cannot both read stdin" cove build -f - -

  TEST "--label sets image labels; --platform sets TARGET* args and the image platform"
  local pctx=$WORK/platctx
  mkdir -p "$pctx"
  printf 'FROM %s\nARG TARGETPLATFORM\nARG TARGETARCH\nLABEL target=$TARGETPLATFORM arch=$TARGETARCH\nRUN echo "$TARGETARCH" >/arch\n' "$IMG" >"$pctx/Dockerfile"
  printf 'FROM scratch\nARG TARGETARCH\nLABEL arch=$TARGETARCH\n' >"$pctx/Scratch"
  own_tree "$pctx"
  local host_arch
  case $(uname -m) in x86_64) host_arch=amd64 ;; aarch64) host_arch=arm64 ;; *) host_arch=$(uname -m) ;; esac
  expect_success cove build --label org.example.a=1 --label "org.example.b=two words" --platform "linux/$host_arch" -t local/label:1 "$pctx"
  expect_success cove image inspect --format '{{index .Config.Labels "org.example.a"}}|{{index .Config.Labels "org.example.b"}}|{{index .Config.Labels "target"}}' local/label:1
  expect_eq "$OUT" "1|two words|linux/$host_arch" "labels"
  expect_success cove run --rm --network none local/label:1 cat /arch
  expect_eq "$OUT" "$host_arch" "TARGETARCH in RUN"
  expect_success cove build --platform linux/riscv64 -f "$pctx/Scratch" -t local/label:riscv "$pctx"
  expect_success cove image inspect --format '{{.Architecture}} {{index .Config.Labels "arch"}}' local/label:riscv
  expect_eq "$OUT" "riscv64 riscv64" "scratch image for another platform"
  expect_cove_error "several platforms" cove build --platform linux/amd64,linux/arm64 "$pctx"

  TEST "--layers=false uses no cached step; --pull=never with a missing base fails"
  expect_success cove build --layers=false -t local/label:1 "$pctx"
  expect_not_contains "$OUT" "Using cache" "no cache"
  expect_success cove build -t local/label:1 "$pctx"
  expect_contains "$OUT" "Using cache" "cache back with --layers (default)"
  printf 'FROM %s/not-pulled:1\n' "$REG" >"$pctx/NotPulled"
  own_tree "$pctx"
  expect_cove_error "" cove build --pull=never -f "$pctx/NotPulled" "$pctx"

  TEST "ONBUILD: stored in the config, run by a build FROM the image, not inherited"
  local obctx=$WORK/onbuildctx
  mkdir -p "$obctx/child"
  printf 'FROM %s\nONBUILD RUN echo "triggered in $(pwd)" >/triggered.txt\nONBUILD COPY payload.txt /payload.txt\nCMD ["cat", "/triggered.txt"]\n' "$IMG" >"$obctx/Dockerfile"
  printf 'FROM local/onbuild:parent\nRUN cat /payload.txt >/seen.txt\n' >"$obctx/child/Dockerfile"
  echo "child context file" >"$obctx/child/payload.txt"
  own_tree "$obctx"
  expect_success cove build -t local/onbuild:parent "$obctx"
  expect_success cove image inspect --format '{{json .Config.OnBuild}}' local/onbuild:parent
  expect_contains "$OUT" 'RUN echo' "OnBuild in the config"
  expect_success cove run --rm --network none local/onbuild:parent sh -c 'ls /triggered.txt 2>&1; true'
  expect_contains "$OUT" "No such file" "triggers do not run in the image that declares them"
  expect_success cove build -t local/onbuild:child "$obctx/child"
  expect_contains "$OUT" "ONBUILD RUN echo" "trigger steps shown"
  expect_success cove run --rm --network none local/onbuild:child sh -c 'cat /triggered.txt /seen.txt'
  expect_eq "$OUT" "$(printf 'triggered in /\nchild context file')" "triggers ran with the child's context"
  expect_success cove image inspect --format '{{json .Config.OnBuild}}' local/onbuild:child
  expect_eq "$OUT" null "triggers are not inherited"

  TEST "cove save: an OCI layout that skopeo and umoci read, and a docker-archive"
  if ! command -v skopeo >/dev/null || ! command -v umoci >/dev/null; then
    skip_test "skopeo or umoci not installed (scripts/install-deps.sh installs them)"
  else
    expect_success cove save --format oci-dir -o "$WORK/layout" local/onbuild:child
    user_cmd skopeo inspect "oci:$WORK/layout:child"
    expect_eq "$RC" 0 "skopeo inspect oci: $ERR"
    expect_contains "$OUT" '"Architecture"' "skopeo output"
    user_cmd skopeo inspect --config "oci:$WORK/layout:child"
    expect_contains "$OUT" "RUN cat /payload.txt" "config (history) through skopeo"
    user_cmd umoci unpack --rootless --image "$WORK/layout:child" "$WORK/bundle"
    expect_eq "$RC" 0 "umoci unpack: $ERR"
    expect_eq "$(cat "$WORK/bundle/rootfs/seen.txt" 2>&1)" "child context file" "file from the built layer"
    expect_exists "$WORK/bundle/rootfs/bin/busybox"
    expect_success cove save -o "$WORK/image.tar" local/add:1
    user_cmd skopeo inspect "docker-archive:$WORK/image.tar"
    expect_eq "$RC" 0 "skopeo inspect docker-archive: $ERR"
    user_cmd skopeo copy "docker-archive:$WORK/image.tar" "dir:$WORK/copied"
    expect_eq "$RC" 0 "skopeo copy docker-archive: (verifies every blob digest): $ERR"
    expect_success cove save --format oci-archive -o "$WORK/image-oci.tar" local/chown:1
    user_cmd skopeo inspect "oci-archive:$WORK/image-oci.tar"
    expect_eq "$RC" 0 "skopeo inspect oci-archive: $ERR"
  fi
  stop_http
}
