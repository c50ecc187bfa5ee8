#!/bin/bash
# Build the benchmark images once (cached under $BENCH_CACHE) and push them into the local
# registry on 127.0.0.1:$REGISTRY_PORT (started here if it is not running):
#   bench/big:gzip   6 layers, >= 200 MB compressed, gzip (OCI media types)
#   bench/big:zstd   the same layers compressed with zstd
#   bench/busybox    one busybox-static layer (the startup and memory benchmarks)
set -euo pipefail
. "$(dirname "$0")/lib.sh"

BIG_LAYERS=${BIG_LAYERS:-6}
BIG_RAW_MB=${BIG_RAW_MB:-680}      # uncompressed file data over layers 2..N
BIG_MIN_GZ_MB=${BIG_MIN_GZ_MB:-200}
dir=$BENCH_CACHE/big-$BIG_LAYERS-$BIG_RAW_MB

sha() { sha256sum "$1" | cut -d' ' -f1; }

# config.json for the given layer tars (diff_ids are the digests of the uncompressed tars).
write_config() {
    local out=$1
    shift
    local ids="" hist="" f
    for f in "$@"; do
        ids="$ids${ids:+,}\"sha256:$(cat "$f.sha")\""
        hist="$hist${hist:+,}{\"created\":\"2023-11-14T22:13:20Z\",\"created_by\":\"bench/make-big-image.sh $(basename "$f")\"}"
    done
    printf '{"created":"2023-11-14T22:13:20Z","architecture":"amd64","os":"linux","config":{"Env":["PATH=/bin:/sbin:/usr/bin:/usr/sbin"],"Cmd":["sh"],"WorkingDir":"/"},"rootfs":{"type":"layers","diff_ids":[%s]},"history":[%s]}' \
        "$ids" "$hist" >"$out"
}

build() {
    rm -rf "$dir.tmp"
    mkdir -p "$dir.tmp"
    note "writing $BIG_LAYERS layer tars from this machine's files into $dir"
    python3 "$BENCH_DIR/layers.py" "$dir.tmp" "$BIG_LAYERS" "$BIG_RAW_MB"
    local i t
    for i in $(seq "$BIG_LAYERS"); do
        t=$dir.tmp/layer$i.tar
        sha "$t" >"$t.sha"
        gzip -6 -n -c "$t" >"$t.gz"
        zstd -3 -q -T1 -c "$t" >"$t.zst"
        rm -f "$t"   # the compressed forms and the diff_id are all that is needed
    done
    local tars=()
    for i in $(seq "$BIG_LAYERS"); do tars+=("$dir.tmp/layer$i.tar"); done
    write_config "$dir.tmp/config-big.json" "${tars[@]}"
    write_config "$dir.tmp/config-small.json" "$dir.tmp/layer1.tar"
    local gz
    gz=$(cat "$dir.tmp"/*.tar.gz | wc -c)
    if [ $((gz >> 20)) -lt "$BIG_MIN_GZ_MB" ]; then
        die "gzip image is only $((gz >> 20)) MB; raise BIG_RAW_MB (now $BIG_RAW_MB)"
    fi
    mv "$dir.tmp" "$dir"
}

[ -f "$dir/config-big.json" ] || build

gz=() zs=()
for i in $(seq "$BIG_LAYERS"); do
    gz+=("$dir/layer$i.tar.gz")
    zs+=("$dir/layer$i.tar.zst")
done
registry_start
push_image bench/big gzip "$dir/config-big.json" application/vnd.oci.image.layer.v1.tar+gzip "${gz[@]}"
push_image bench/big zstd "$dir/config-big.json" application/vnd.oci.image.layer.v1.tar+zstd "${zs[@]}"
push_image bench/busybox latest "$dir/config-small.json" application/vnd.oci.image.layer.v1.tar+gzip "$dir/layer1.tar.gz"
note "pushed $BIG_IMAGE ($(cat "${gz[@]}" | wc -c) bytes gzip), $BIG_IMAGE_ZSTD ($(cat "${zs[@]}" | wc -c) bytes zstd), $SMALL_IMAGE"
