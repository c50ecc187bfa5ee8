# Shared settings and helpers for the bench/ scripts (sourced, not executed).
# Every path can be overridden from the environment so a run can be moved elsewhere.

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$BENCH_DIR/.." && pwd)

BENCH_USER=${BENCH_USER:-covebench}
BENCH_SUBID_START=${BENCH_SUBID_START:-400000}
BENCH_SUBID_COUNT=${BENCH_SUBID_COUNT:-65536}
# ext4: a loop-mounted journaled ext4 image; tmpfs: RAM. Both tools always share the same one.
BENCH_FS=${BENCH_FS:-ext4}
BENCH_FS_SIZE=${BENCH_FS_SIZE:-8G}
BENCH_STATE=${BENCH_STATE:-/var/tmp/cove-bench}        # image file, cached blobs, registry
BENCH_MNT=${BENCH_MNT:-/mnt/cove-bench}                # the dedicated storage filesystem
BENCH_CACHE=${BENCH_CACHE:-$BENCH_STATE/cache}         # built layer blobs (reused across runs)
BENCH_CONTAINERS_CONF=${BENCH_CONTAINERS_CONF:-$BENCH_STATE/containers.conf}
REGISTRY_PORT=${REGISTRY_PORT:-5055}
REGISTRY=127.0.0.1:$REGISTRY_PORT
BIG_IMAGE=${BIG_IMAGE:-$REGISTRY/bench/big:gzip}
BIG_IMAGE_ZSTD=${BIG_IMAGE_ZSTD:-$REGISTRY/bench/big:zstd}
SMALL_IMAGE=${SMALL_IMAGE:-$REGISTRY/bench/busybox:latest}

die() { echo "bench: error: $*" >&2; exit 1; }
note() { echo "bench: $*" >&2; }

require_root() { [ "$(id -u)" = 0 ] || die "$1 must run as root (it mounts, adds users, wipes storage)"; }

# Home of the per-user storage trees on the benchmark filesystem: $BENCH_MNT/<user>/{cove,podman}.
user_base() { echo "$BENCH_MNT/$1"; }

# The cove binary: $COVE, else the newest build*/src/cove of the checkout that answers `version`.
find_cove() {
    if [ -n "${COVE:-}" ]; then
        echo "$COVE"
        return 0
    fi
    local c
    for c in $(ls -t "$REPO_DIR"/build*/src/cove 2>/dev/null); do
        if "$c" version 2>/dev/null | grep -q .; then
            echo "$c"
            return 0
        fi
    done
    return 1
}

# The environment USER's commands get: explicit and minimal, as in a fresh login, printed as an
# `env -i ...` prefix (no PAM session).
user_env_cmd() {
    local user=$1 home
    home=$(getent passwd "$user" | cut -d: -f6)
    echo "env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=$home USER=$user LOGNAME=$user" \
        "XDG_RUNTIME_DIR=$(user_base "$user")/xdg-run CONTAINERS_CONF=$BENCH_CONTAINERS_CONF"
}

# The command prefix that runs what follows as USER in that environment (setpriv costs ~1 ms).
# Printed as words, for hyperfine command strings and as_user.
as_user_cmd() {
    local user=$1
    if [ "$user" = root ]; then
        user_env_cmd root
    else
        echo "$(user_env_cmd "$user") setpriv --reuid=$(id -u "$user") --regid=$(id -g "$user")" \
            "--init-groups"
    fi
}

# Run a command as USER (see as_user_cmd).
as_user() {
    local user=$1
    shift
    # shellcheck disable=SC2046 # the prefix is words by design
    $(as_user_cmd "$user") "$@"
}

# Global storage flags of each tool for USER, both on the benchmark filesystem.
podman_flags() {
    local b
    b=$(user_base "$1")
    echo "--root $b/podman/root --runroot $b/podman/runroot --storage-driver overlay"
}
cove_flags() {
    local b
    b=$(user_base "$1")
    echo "--root $b/cove/root --runroot $b/cove/runroot"
}

# Empty both tools' storage for USER (as root: rootless layers hold files owned by subuids).
wipe_storage() {
    local b
    b=$(user_base "$1")
    rm -rf "$b/podman/root" "$b/cove/root"
    mkdir -p "$b/podman/root" "$b/cove/root"
    [ "$1" = root ] || chown "$1:" "$b/podman/root" "$b/cove/root"
}

# ---- local docker-registry ----------------------------------------------------------------

registry_running() {
    curl -fsS -o /dev/null "http://$REGISTRY/v2/" 2>/dev/null
}

# Start docker-registry on 127.0.0.1:$REGISTRY_PORT with its storage in a fresh temp dir.
registry_start() {
    registry_running && return 0
    command -v docker-registry >/dev/null || die "docker-registry not installed (run bench/setup.sh)"
    mkdir -p "$BENCH_STATE"
    local dir
    dir=$(mktemp -d "$BENCH_STATE/registry.XXXXXX")
    cat >"$dir/config.yml" <<EOF
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $dir/data
  delete:
    enabled: true
  redirect:
    disable: true
http:
  addr: 127.0.0.1:$REGISTRY_PORT
EOF
    docker-registry serve "$dir/config.yml" >"$dir/log" 2>&1 &
    echo $! >"$BENCH_STATE/registry.pid"
    echo "$dir" >"$BENCH_STATE/registry.dir"
    local i
    for i in $(seq 100); do
        registry_running && return 0
        sleep 0.1
    done
    cat "$dir/log" >&2
    die "docker-registry did not answer on $REGISTRY"
}

# Stop the registry started by registry_start and delete its storage.
registry_stop() {
    local pid dir
    pid=$(cat "$BENCH_STATE/registry.pid" 2>/dev/null) || return 0
    dir=$(cat "$BENCH_STATE/registry.dir" 2>/dev/null)
    if kill "$pid" 2>/dev/null; then
        local i
        for i in $(seq 50); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
    fi
    rm -f "$BENCH_STATE/registry.pid" "$BENCH_STATE/registry.dir"
    case "$dir" in "$BENCH_STATE"/registry.*) rm -rf "$dir" ;; esac
}

# Upload one blob file (monolithic POST+PUT) unless the registry already has it.
registry_push_blob() {
    local repo=$1 file=$2 digest loc
    digest=sha256:$(sha256sum "$file" | cut -d' ' -f1)
    if curl -fs -o /dev/null -I "http://$REGISTRY/v2/$repo/blobs/$digest"; then
        return 0
    fi
    loc=$(curl -fsS -X POST -D - -o /dev/null "http://$REGISTRY/v2/$repo/blobs/uploads/" |
        tr -d '\r' | sed -n 's/^[Ll]ocation: //p')
    [ -n "$loc" ] || die "no upload location for $repo"
    case "$loc" in http*) ;; *) loc="http://$REGISTRY$loc" ;; esac
    case "$loc" in *\?*) loc="$loc&digest=$digest" ;; *) loc="$loc?digest=$digest" ;; esac
    curl -fsS -X PUT -H 'Content-Type: application/octet-stream' --data-binary "@$file" \
        -o /dev/null "$loc" || die "upload $file to $repo failed"
}

# Push an image: push_image REPO TAG CONFIG_JSON LAYER_MEDIA_TYPE LAYER_FILE...
push_image() {
    local repo=$1 tag=$2 config=$3 mt=$4
    shift 4
    local layers="" f
    registry_push_blob "$repo" "$config"
    for f in "$@"; do
        registry_push_blob "$repo" "$f"
        layers="$layers${layers:+,}{\"mediaType\":\"$mt\",\"digest\":\"sha256:$(sha256sum "$f" | cut -d' ' -f1)\",\"size\":$(stat -c %s "$f")}"
    done
    local manifest
    manifest=$(mktemp)
    printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[%s]}' \
        "$(sha256sum "$config" | cut -d' ' -f1)" "$(stat -c %s "$config")" "$layers" >"$manifest"
    curl -fsS -X PUT -H 'Content-Type: application/vnd.oci.image.manifest.v1+json' \
        --data-binary "@$manifest" -o /dev/null "http://$REGISTRY/v2/$repo/manifests/$tag" ||
        die "put manifest $repo:$tag failed"
    rm -f "$manifest"
}
