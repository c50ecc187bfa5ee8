#!/bin/bash
# Builds a small busybox-static based image and pushes it to a registry with curl alone (no
# docker, no skopeo). Layer tars are written by python3's tarfile so owners, modes, whiteouts and
# deliberately malicious entries are exact and the output is reproducible.
#
#   make-test-image.sh [OPTIONS] REGISTRY REPO[:TAG]
#
# Options:
#   --variant V        base (default): one layer, the busybox rootfs
#                      multi: base + a layer adding files + a layer with a whiteout, an opaque dir
#                      index: an index / manifest list with the host arch (runnable) and a dummy
#                             manifest for another arch
#                      evil-traversal, evil-absolute, evil-symlink, evil-symlink-cross,
#                      evil-hardlink, evil-device: base + layers that try to escape (see --target)
#   --format F         oci (default) or docker media types
#   --compression C    gzip (default), zstd (OCI only) or none
#   --env K=V          add to the config's Env (repeatable); --no-env drops the default PATH
#   --workdir DIR      WorkingDir;  --user U   User
#   --entrypoint JSON  Entrypoint (a JSON array);  --cmd JSON  Cmd (default ["sh"]);  --no-cmd
#   --target DIR       absolute directory the evil layers aim their escapes at
#   --tamper config|layer --registry-storage DIR
#                      after the push, corrupt that blob's data file in the registry's storage
#                      (same size, different content) so it no longer matches its digest
#   --auth USER:PASS   Basic credentials for the registry
#   --filler BYTES     add a top layer of BYTES random (incompressible, unique) bytes
#
# Prints KEY=VALUE lines: ref, manifest (digest of what the tag points at), config, image_id,
# layers, media_type, and for --variant index also manifest_ARCH and config_ARCH for both arches.
set -euo pipefail

die() { printf 'make-test-image.sh: error: %s\n' "$*" >&2; exit 1; }

variant=base format=oci compression=gzip workdir="" user="" entrypoint="" cmd='["sh"]'
target="" tamper="" reg_storage="" auth="" filler=0
env_list=("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
while [[ $# -gt 0 ]]; do
  case $1 in
    --variant) variant=$2; shift 2 ;;
    --format) format=$2; shift 2 ;;
    --compression) compression=$2; shift 2 ;;
    --env) env_list+=("$2"); shift 2 ;;
    --no-env) env_list=(); shift ;;
    --workdir) workdir=$2; shift 2 ;;
    --user) user=$2; shift 2 ;;
    --entrypoint) entrypoint=$2; shift 2 ;;
    --cmd) cmd=$2; shift 2 ;;
    --no-cmd) cmd=""; shift ;;
    --target) target=$2; shift 2 ;;
    --tamper) tamper=$2; shift 2 ;;
    --registry-storage) reg_storage=$2; shift 2 ;;
    --auth) auth=$2; shift 2 ;;
    --filler) filler=$2; shift 2 ;;
    -*) die "unknown option $1" ;;
    *) break ;;
  esac
done
[[ $# -eq 2 ]] || die "usage: make-test-image.sh [OPTIONS] REGISTRY REPO[:TAG]"
registry=$1 repo=${2%%:*} tag=latest
[[ $2 == *:* ]] && tag=${2#*:}
[[ $format == oci || $format == docker ]] || die "--format must be oci or docker"
[[ $compression == gzip || $compression == zstd || $compression == none ]] ||
  die "--compression must be gzip, zstd or none"
[[ $format == docker && $compression == zstd ]] && die "Docker media types have no zstd layers"
[[ $variant == evil-* && -z $target ]] && die "--variant $variant needs --target DIR"
[[ -n $tamper && -z $reg_storage ]] && die "--tamper needs --registry-storage DIR"
# A tampered image gets a config and a top layer of its own (registries share blobs).
nonce=""
if [[ -n $tamper ]]; then
  nonce="tampered-$$-$(date +%s%N)"
  env_list+=("COVE_TEST_NONCE=$nonce")
fi
for tool in python3 curl jq sha256sum gzip; do
  command -v "$tool" >/dev/null || die "$tool not found (scripts/install-deps.sh installs it)"
done
[[ -x /bin/busybox ]] || die "/bin/busybox not found (apt-get install busybox-static)"

base_url="http://$registry"
curl_opts=(-sS --fail-with-body)
[[ -n $auth ]] && curl_opts+=(-u "$auth")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

case $format in
  oci)
    mt_manifest=application/vnd.oci.image.manifest.v1+json
    mt_index=application/vnd.oci.image.index.v1+json
    mt_config=application/vnd.oci.image.config.v1+json
    mt_layer=application/vnd.oci.image.layer.v1.tar
    case $compression in gzip) mt_layer+=+gzip ;; zstd) mt_layer+=+zstd ;; esac ;;
  docker)
    mt_manifest=application/vnd.docker.distribution.manifest.v2+json
    mt_index=application/vnd.docker.distribution.manifest.list.v2+json
    mt_config=application/vnd.docker.container.image.v1+json
    mt_layer=application/vnd.docker.image.rootfs.diff.tar
    [[ $compression == gzip ]] && mt_layer+=.gzip ;;
esac

host_arch() {
  case $(uname -m) in
    x86_64) echo amd64 ;; aarch64) echo arm64 ;; armv7l) echo arm ;; *) uname -m ;;
  esac
}
arch=$(host_arch)
other_arch=arm64
[[ $arch == arm64 ]] && other_arch=amd64

sha() { sha256sum "$1" | cut -d' ' -f1; }
size() { stat -c %s "$1"; }

# Writes the layer tars for the variant into $work/tars (names listed in $work/tars/order).
write_tars() {
  mkdir -p "$work/tars"
  # shellcheck disable=SC2046
  python3 - "$work/tars" "$variant" "$target" "$arch" "$other_arch" "$nonce" "$filler" \
    $(/bin/busybox --list) <<'PY'
import io, sys, tarfile

outdir, variant, target, arch, other_arch, nonce, filler = sys.argv[1:8]
applets = [a for a in sys.argv[8:] if a not in ("busybox", "[[")]
MTIME = 1700000000
DEEP = "../" * 40  # more ../ than any store path is deep: resolves to / if followed

def info(name, kind, mode, uid=0, gid=0):
    ti = tarfile.TarInfo(name)  # names are kept verbatim, even "/abs" or "../x"
    ti.type, ti.mode, ti.uid, ti.gid, ti.mtime = kind, mode, uid, gid, MTIME
    ti.uname = ti.gname = ""
    return ti

class Layer:
    def __init__(self, name):
        self.name = name
        self.tf = tarfile.open(f"{outdir}/{name}.tar", "w", format=tarfile.PAX_FORMAT)
    def dir(self, name, mode=0o755, uid=0, gid=0):
        self.tf.addfile(info(name, tarfile.DIRTYPE, mode, uid, gid))
    def file(self, name, data, mode=0o644, uid=0, gid=0):
        data = data.encode() if isinstance(data, str) else data
        ti = info(name, tarfile.REGTYPE, mode, uid, gid)
        ti.size = len(data)
        self.tf.addfile(ti, io.BytesIO(data))
    def symlink(self, name, dest):
        ti = info(name, tarfile.SYMTYPE, 0o777)
        ti.linkname = dest
        self.tf.addfile(ti)
    def hardlink(self, name, dest):
        ti = info(name, tarfile.LNKTYPE, 0o644)
        ti.linkname = dest
        self.tf.addfile(ti)
    def chardev(self, name, major, minor):
        ti = info(name, tarfile.CHRTYPE, 0o666)
        ti.devmajor, ti.devminor = major, minor
        self.tf.addfile(ti)
    def close(self):
        self.tf.close()
        with open(f"{outdir}/order", "a") as f:
            f.write(self.name + "\n")

def base():
    l = Layer("base")
    for d in ("bin", "dev", "etc", "home", "proc", "sys", "usr", "usr/bin", "var", "mnt"):
        l.dir(d)
    l.dir("root", 0o700)
    l.dir("tmp", 0o1777)
    l.dir("home/app", 0o755, 1000, 1000)
    l.file("home/app/.profile", "# app's profile\n", 0o644, 1000, 1000)
    with open("/bin/busybox", "rb") as f:
        l.file("bin/busybox", f.read(), 0o755)
    for a in applets:
        l.symlink(f"bin/{a}", "busybox")
    l.symlink("usr/bin/env", "/bin/busybox")
    l.file("etc/passwd", "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/home/app:/bin/sh\n"
           "nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n")
    l.file("etc/group", "root:x:0:\napp:x:1000:\nnogroup:x:65534:\n")
    l.file("etc/os-release", "NAME=cove-test\nID=cove-test\n")
    l.close()

def multi():
    l = Layer("add")
    for d in ("opt", "data", "data/keep", "data/gone", "etc"):
        l.dir(d)
    l.file("opt/added.txt", "added in layer 2\n")
    l.file("etc/todelete", "this file is deleted by layer 3\n")
    l.file("etc/motd", "motd from layer 2\n")
    l.file("data/keep/a", "kept\n")
    l.file("data/gone/old1", "hidden by the opaque dir\n")
    l.file("data/gone/old2", "hidden by the opaque dir\n")
    l.close()
    l = Layer("delete")
    l.dir("etc")
    l.dir("data")
    l.dir("data/gone")
    l.file("etc/.wh.todelete", "")
    l.file("data/gone/.wh..wh..opq", "")
    l.file("data/gone/new", "new in layer 3\n")
    l.file("etc/motd", "motd from layer 3\n")
    l.close()

def arch_marker(name, value):
    l = Layer(name)
    l.dir("etc")
    l.file("etc/arch", value + "\n")
    l.close()

def evil():
    t = target.rstrip("/")
    l = Layer("evil")
    if variant == "evil-traversal":
        l.file("../../escape-traversal-short", "escaped\n")
        l.file(DEEP + t.lstrip("/") + "/escape-traversal", "escaped\n")
        l.file("etc/../../" + DEEP + t.lstrip("/") + "/escape-traversal-mid", "escaped\n")
    elif variant == "evil-absolute":
        l.file(t + "/escape-absolute", "escaped\n")
    elif variant == "evil-symlink":
        l.symlink("abs-link", t)
        l.file("abs-link/escape-symlink-abs", "escaped\n")
        l.symlink("rel-link", DEEP + t.lstrip("/"))
        l.file("rel-link/escape-symlink-rel", "escaped\n")
        l.dir("sub")
        l.symlink("sub/up", "../../../../../../../../../../../../../../../..")
        l.file("sub/up" + t + "/escape-symlink-up", "escaped\n")
    elif variant == "evil-symlink-cross":
        l.symlink("cross-link", t)
        l.close()
        l = Layer("evil2")
        l.file("cross-link/escape-symlink-cross", "escaped\n")
    elif variant == "evil-hardlink":
        l.hardlink("hl-passwd", "/etc/passwd")
        l.hardlink("hl-passwd-rel", DEEP + "etc/passwd")
        l.hardlink("hl-victim", t + "/victim")
        l.file("hl-victim", "overwritten through a hardlink\n")
    elif variant == "evil-device":
        l.dir("dev")
        l.chardev("dev/evil-mem", 1, 1)
        l.file("bin/suid-file", "#!/bin/sh\necho suid\n", 0o4755)
    else:
        sys.exit(f"unknown variant {variant}")
    l.close()

def unique_layer(nonce):
    # Registries share blobs between repositories: a layer only this image has can be corrupted
    # without breaking the others. 8 KiB of content puts the tar's middle byte inside file data.
    l = Layer("unique")
    l.dir("etc")
    l.file("etc/unique", (nonce + "\n") * (8192 // (len(nonce) + 1)) + "x" * (8192 % (len(nonce) + 1)))
    l.close()

if variant == "index":
    base()
    arch_marker("arch-" + arch, arch)
    arch_marker("arch-" + other_arch, other_arch)
elif variant in ("base", "multi") or variant.startswith("evil-"):
    base()
    if variant == "multi":
        multi()
    elif variant != "base":
        evil()
else:
    sys.exit(f"unknown variant {variant}")
if nonce:
    unique_layer(nonce)
if int(filler) > 0:
    import os
    l = Layer("filler")
    l.file("filler.bin", os.urandom(int(filler)))
    l.close()
PY
}

# Compresses a tar, records it as a blob; prints "DIGEST SIZE DIFFID".
make_layer() {
  local tar=$1 blob diff_id digest
  diff_id=sha256:$(sha "$tar")
  case $compression in
    gzip) gzip -n -6 -c "$tar" >"$tar.z" ;;
    zstd) zstd -q -3 --no-progress -c "$tar" >"$tar.z" ;;
    none) cp "$tar" "$tar.z" ;;
  esac
  blob=$tar.z
  digest=sha256:$(sha "$blob")
  mv "$blob" "$work/blob-${digest#sha256:}"
  echo "$digest $(size "$work/blob-${digest#sha256:}") $diff_id"
}

upload_blob() {
  local digest=$1 file=$work/blob-${1#sha256:} location code sep
  code=$(curl -s -o /dev/null -w '%{http_code}' ${auth:+-u "$auth"} -I \
    "$base_url/v2/$repo/blobs/$digest")
  [[ $code == 200 ]] && return 0
  location=$(curl "${curl_opts[@]}" -X POST -D - -o /dev/null "$base_url/v2/$repo/blobs/uploads/" |
    tr -d '\r' | awk 'tolower($1) == "location:" { print $2 }')
  [[ -n $location ]] || die "POST /v2/$repo/blobs/uploads/ gave no Location"
  [[ $location == /* ]] && location=$base_url$location
  sep='?'
  [[ $location == *\?* ]] && sep='&'
  curl "${curl_opts[@]}" -o /dev/null -X PUT -H 'Content-Type: application/octet-stream' \
    --data-binary "@$file" "$location${sep}digest=$digest" || die "upload of blob $digest failed"
}

put_manifest() {
  local file=$1 media_type=$2 reference=$3
  curl "${curl_opts[@]}" -o /dev/null -X PUT -H "Content-Type: $media_type" \
    --data-binary "@$file" "$base_url/v2/$repo/manifests/$reference" ||
    die "PUT manifest $repo:$reference failed"
}

config_json() {
  local img_arch=$1 diff_ids=$2 env_json cfg
  env_json=$(printf '%s\n' "${env_list[@]+"${env_list[@]}"}" | jq -R . | jq -sc 'map(select(. != ""))')
  cfg=$(jq -nc --argjson env "$env_json" '{} | if ($env | length) > 0 then .Env = $env else . end')
  [[ -n $cmd ]] && cfg=$(jq -c --argjson v "$cmd" '.Cmd = $v' <<<"$cfg")
  [[ -n $entrypoint ]] && cfg=$(jq -c --argjson v "$entrypoint" '.Entrypoint = $v' <<<"$cfg")
  [[ -n $workdir ]] && cfg=$(jq -c --arg v "$workdir" '.WorkingDir = $v' <<<"$cfg")
  [[ -n $user ]] && cfg=$(jq -c --arg v "$user" '.User = $v' <<<"$cfg")
  jq -nc --arg arch "$img_arch" --argjson cfg "$cfg" --argjson diff "$diff_ids" '{
    created: "2026-01-01T00:00:00Z", architecture: $arch, os: "linux", config: $cfg,
    rootfs: {type: "layers", diff_ids: $diff},
    history: [$diff[] | {created: "2026-01-01T00:00:00Z", created_by: "make-test-image.sh"}]}'
}

# Builds and uploads one image manifest from tar names; sets m_digest, m_size, m_config.
push_image() {
  local img_arch=$1 layer_json="[]" diff_json="[]" name d s id cfg_file man_file
  shift
  for name in "$@"; do
    read -r d s id < <(make_layer "$work/tars/$name.tar")
    upload_blob "$d"
    layer_json=$(jq -c --arg mt "$mt_layer" --arg d "$d" --argjson s "$s" \
      '. + [{mediaType: $mt, digest: $d, size: $s}]' <<<"$layer_json")
    diff_json=$(jq -c --arg id "$id" '. + [$id]' <<<"$diff_json")
  done
  cfg_file=$work/config.json
  config_json "$img_arch" "$diff_json" >"$cfg_file"
  m_config=sha256:$(sha "$cfg_file")
  cp "$cfg_file" "$work/blob-${m_config#sha256:}"
  upload_blob "$m_config"
  man_file=$work/manifest-$img_arch.json
  jq -nc --arg mt "$mt_manifest" --arg cmt "$mt_config" --arg cd "$m_config" \
    --argjson cs "$(size "$cfg_file")" --argjson layers "$layer_json" \
    '{schemaVersion: 2, mediaType: $mt, config: {mediaType: $cmt, digest: $cd, size: $cs},
      layers: $layers}' >"$man_file"
  m_digest=sha256:$(sha "$man_file")
  m_size=$(size "$man_file")
  m_layers=$#
  put_manifest "$man_file" "$mt_manifest" "$m_digest"
}

# Corrupts one blob in the registry's own storage, keeping its size.
tamper_blob() {
  local digest=$1 hex=${1#sha256:} data
  data=$reg_storage/docker/registry/v2/blobs/sha256/${hex:0:2}/$hex/data
  [[ -f $data ]] || die "blob data $data not found in the registry storage"
  python3 - "$data" <<'PY'
import sys
path = sys.argv[1]
with open(path, "rb") as f:
    data = bytearray(f.read())
# Flip bits in the middle: for JSON keep it printable, for tar data stay inside file content.
i = len(data) // 2
data[i] = data[i] ^ 0x01
with open(path, "wb") as f:
    f.write(data)
PY
}

write_tars
mapfile -t tars <"$work/tars/order"

if [[ $variant == index ]]; then
  push_image "$arch" base "arch-$arch"
  real_digest=$m_digest real_size=$m_size real_config=$m_config
  push_image "$other_arch" "arch-$other_arch"
  dummy_digest=$m_digest dummy_size=$m_size dummy_config=$m_config
  jq -nc --arg mt "$mt_index" --arg mmt "$mt_manifest" \
    --arg a "$arch" --arg ad "$real_digest" --argjson asz "$real_size" \
    --arg b "$other_arch" --arg bd "$dummy_digest" --argjson bsz "$dummy_size" \
    '{schemaVersion: 2, mediaType: $mt, manifests: [
       {mediaType: $mmt, digest: $ad, size: $asz, platform: {architecture: $a, os: "linux"}},
       {mediaType: $mmt, digest: $bd, size: $bsz, platform: {architecture: $b, os: "linux"}}]}' \
    >"$work/index.json"
  put_manifest "$work/index.json" "$mt_index" "$tag"
  top=sha256:$(sha "$work/index.json")
  echo "manifest_$arch=$real_digest"
  echo "config_$arch=$real_config"
  echo "manifest_$other_arch=$dummy_digest"
  echo "config_$other_arch=$dummy_config"
  m_config=$real_config m_layers=2 top_type=$mt_index
else
  push_image "$arch" "${tars[@]}"
  put_manifest "$work/manifest-$arch.json" "$mt_manifest" "$tag"
  top=$m_digest top_type=$mt_manifest
  if [[ $tamper == config ]]; then
    tamper_blob "$m_config"
  elif [[ $tamper == layer ]]; then
    tamper_blob "$(jq -r '.layers[-1].digest' "$work/manifest-$arch.json")"
  elif [[ -n $tamper ]]; then
    die "--tamper must be config or layer"
  fi
fi

echo "ref=$registry/$repo:$tag"
echo "manifest=$top"
echo "media_type=$top_type"
echo "config=$m_config"
echo "image_id=${m_config#sha256:}"
echo "layers=$m_layers"
echo "arch=$arch"
