#!/bin/bash
# Reference for the pull benchmark: what plain tools achieve on this machine.
#   pipeline.sh REGISTRY REPO TAG DEST
# fetches the manifest, then streams every layer through `curl | gzip -dc | tar -x` (or zstd -dc
# for zstd layers), two layers at a time, each into DEST/<n>. No verification, no metadata.
set -euo pipefail
registry=$1 repo=$2 tag=$3 dest=$4
manifest=$(curl -fsS -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
    "http://$registry/v2/$repo/manifests/$tag")
mkdir -p "$dest"
n=0
echo "$manifest" | jq -r '.layers[] | "\(.mediaType) \(.digest)"' | while read -r mt digest; do
    n=$((n + 1))
    case "$mt" in
    *zstd) dec="zstd -dc" ;;
    *gzip) dec="gzip -dc" ;;
    *) dec="cat" ;;
    esac
    echo "$n $digest $dec"
done | xargs -P 2 -L 1 bash -c '
    set -eo pipefail
    mkdir -p "$0/$3"
    curl -fsS "http://$1/v2/$2/blobs/$4" | $5 $6 | tar -x -C "$0/$3"
' "$dest" "$registry" "$repo"
