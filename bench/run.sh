#!/bin/bash
# cove vs podman, in one run, on the same storage filesystem. As root:
#   bench/run.sh [startup|pull|memory|lifecycle|build|all]
# Environment: COVE (binary; default the newest build*/src/cove that answers `version`),
# BENCH_USERS (default covebench; "covebench root" adds root), BENCH_FS (ext4|tmpfs), RUNS,
# WARMUP, PULL_RUNS, MEM_RUNS. Raw results land in $BENCH_STATE/results-<time>/.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

# Internal: wipe USER's storage and the reference pipeline's output (hyperfine --prepare).
if [ "${1:-}" = --wipe ]; then
    wipe_storage "$2"
    rm -rf "$(user_base "$2")/pipeline"
    sync
    exit 0
fi

what=${1:-all}
case "$what" in
startup | pull | memory | lifecycle | build | all) ;;
*) die "usage: bench/run.sh [startup|pull|memory|lifecycle|build|all]" ;;
esac
require_root run.sh

RUNS=${RUNS:-30}
WARMUP=${WARMUP:-3}
PULL_RUNS=${PULL_RUNS:-5}
MEM_RUNS=${MEM_RUNS:-5}
BUILD_RUNS=${BUILD_RUNS:-10}
BENCH_USERS=${BENCH_USERS:-$BENCH_USER}

"$BENCH_DIR/setup.sh"
trap registry_stop EXIT
"$BENCH_DIR/make-big-image.sh"

OUT=$BENCH_STATE/results-$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$OUT"
chmod 0777 "$OUT" # hyperfine runs as the benchmark user and writes its JSON here
TABLE=$OUT/table.txt

# A private copy of cove that every user can execute and a rebuild cannot change mid-run.
COVE_BIN=""
if src=$(find_cove); then
    install -D -m 0755 "$src" "$BENCH_STATE/bin/cove"
    COVE_BIN=$BENCH_STATE/bin/cove
    note "cove: $src ($("$COVE_BIN" version 2>&1 | grep -m1 -i version | tr -s " "))"
else
    note "no working cove binary (COVE or build*/src/cove answering 'version'): podman only"
fi

row() { printf '%-36s %16s %16s %16s   %s\n' "$@" | tee -a "$TABLE"; }
# "mean ± stddev" of command NAME in hyperfine JSON, in ms (or in s with a third argument "s").
ms() {
    local scale=1000
    [ "${3:-}" = s ] && scale=1
    jq -r --arg n "$2" --argjson k "$scale" '.results[] | select(.command == $n) |
        "\(.mean * $k * 100 | round / 100) ± \(.stddev * $k * 100 | round / 100)"' "$1"
}
mean() { jq -r --arg n "$2" '.results[] | select(.command == $n) | .mean' "$1"; }
ratio() { # ratio A B: A/B with one decimal, or "-" when either is missing
    if [ -n "$1" ] && [ -n "$2" ]; then awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1fx", a / b }'; else echo -; fi
}

# Pull the small image into both tools' storage of USER (startup and memory need it present).
ensure_small() {
    local u=$1
    as_user "$u" podman $(podman_flags "$u") pull -q --tls-verify=false "$SMALL_IMAGE" >/dev/null
    if [ -n "$COVE_BIN" ] && ! as_user "$u" "$COVE_BIN" $(cove_flags "$u") pull --tls-verify=false \
        "$SMALL_IMAGE" >"$OUT/cove-pull-small.log" 2>&1; then
        note "cove pull $SMALL_IMAGE failed as $u: $(tail -1 "$OUT/cove-pull-small.log")"
        return 1
    fi
}

# Does CMD succeed once as USER? Prints the reason to stderr when not.
works() {
    local u=$1 log=$OUT/check.log
    shift
    if as_user "$u" "$@" >"$log" 2>&1; then
        return 0
    fi
    note "as $u, '$*' failed: $(tail -2 "$log" | tr '\n' ' ')"
    return 1
}

bench_startup() {
    local u=$1 json=$OUT/startup-$1.json have_cove=""
    ensure_small "$u" && [ -n "$COVE_BIN" ] && have_cove=1
    local podman="podman $(podman_flags "$u") run --rm --network none $SMALL_IMAGE true"
    local cove="$COVE_BIN $(cove_flags "$u") run --rm --network none $SMALL_IMAGE true"
    local unshare="unshare -Urmpf --mount-proc true"
    local args=(-n podman "$podman" -n unshare "$unshare")
    [ -n "$have_cove" ] && works "$u" $cove && args+=(-n cove "$cove") || have_cove=""
    # hyperfine itself runs as the user, without a shell: a 2 ms command leaves no room for more.
    as_user "$u" hyperfine -N --style basic --warmup "$WARMUP" --runs "$RUNS" \
        --export-json "$json" "${args[@]}" >"$OUT/startup-$u.log"
    local p c n
    p=$(mean "$json" podman)
    n=$(mean "$json" unshare)
    c=$([ -n "$have_cove" ] && mean "$json" cove || true)
    row "startup ($u) ms" "$([ -n "$c" ] && ms "$json" cove || echo -)" "$(ms "$json" podman)" \
        "$(ms "$json" unshare)" \
        "podman/cove $(ratio "$p" "$c") (target >= 15x); cove/unshare $(ratio "$c" "$n") (target <= 5x)"
    bench_startup_network "$u" "$have_cove"
}

# The same with each tool's default rootless network (slirp4netns for both), issue 4's target.
bench_startup_network() {
    local u=$1 have_cove=$2 json=$OUT/startup-net-$1.json
    local podman="podman $(podman_flags "$u") run --rm $SMALL_IMAGE true"
    local cove="$COVE_BIN $(cove_flags "$u") run --rm $SMALL_IMAGE true"
    local args=(-n podman "$podman")
    [ -n "$have_cove" ] && works "$u" $cove && args+=(-n cove "$cove") || have_cove=""
    as_user "$u" hyperfine -N --style basic --warmup "$WARMUP" --runs "$RUNS" \
        --export-json "$json" "${args[@]}" >"$OUT/startup-net-$u.log"
    local p c
    p=$(mean "$json" podman)
    c=$([ -n "$have_cove" ] && mean "$json" cove || true)
    row "startup, default network ($u) ms" "$([ -n "$c" ] && ms "$json" cove || echo -)" \
        "$(ms "$json" podman)" "-" "podman/cove $(ratio "$p" "$c") (target >= 7x, cove < 25 ms)"
}

bench_pull_one() { # USER TAG REPOTAG
    local u=$1 tag=$2 image=$REGISTRY/bench/big:$2 json=$OUT/pull-$2-$1.json have_cove=""
    local prefix
    prefix=$(as_user_cmd "$u")
    local podman="$prefix podman $(podman_flags "$u") pull -q --tls-verify=false $image"
    local cove="$prefix $COVE_BIN $(cove_flags "$u") pull --tls-verify=false $image"
    local pipe="$prefix $BENCH_DIR/pipeline.sh $REGISTRY bench/big $tag $(user_base "$u")/pipeline"
    local args=(-n podman "$podman" -n pipeline "$pipe")
    if [ -n "$COVE_BIN" ]; then
        "$BENCH_DIR/run.sh" --wipe "$u"
        works "$u" "$COVE_BIN" $(cove_flags "$u") pull --tls-verify=false "$image" &&
            have_cove=1 && args+=(-n cove "$cove")
    fi
    # As root, so that --prepare can empty storage holding files owned by the user's subuids.
    hyperfine -N --style basic --runs "$PULL_RUNS" --prepare "$BENCH_DIR/run.sh --wipe $u" \
        --export-json "$json" "${args[@]}" >"$OUT/pull-$tag-$u.log"
    local p c r
    p=$(mean "$json" podman)
    r=$(mean "$json" pipeline)
    c=$([ -n "$have_cove" ] && mean "$json" cove || true)
    row "pull $tag ($u) s" "$([ -n "$c" ] && ms "$json" cove s || echo -)" "$(ms "$json" podman s)" \
        "$(ms "$json" pipeline s)" \
        "podman/cove $(ratio "$p" "$c") (target >= 2.5x); pipeline/cove $(ratio "$r" "$c") (target > 1x)"
    "$BENCH_DIR/run.sh" --wipe "$u"
}

bench_pull() {
    bench_pull_one "$1" gzip
    bench_pull_one "$1" zstd
}

# Sum of per-address-space peak RSS of everything CMD starts (see README.md), one run, in bytes.
mem_once() { # USER TAG CMD...
    local u=$1 tag=$2 trace=$OUT/mem-$1-$2.trace
    shift 2
    local fifo lp bp
    fifo=$(mktemp -u "$OUT/fifo.XXXXXX")
    mkfifo "$fifo"
    $(user_env_cmd "$u") "$BENCH_STATE/memrun" \
        "$(id -u "$u")" "$(id -g "$u")" "$@" <"$fifo" >/dev/null 2>>"$OUT/mem-$u-$tag.err" &
    lp=$!
    exec 9>"$fifo"
    ulimit -l unlimited 2>/dev/null || true
    bpftrace "$BENCH_DIR/peakrss.bt" "$lp" >"$trace" 2>>"$OUT/mem-$u-$tag.err" &
    bp=$!
    local i
    for i in $(seq 600); do
        grep -q '^ready' "$trace" && break
        sleep 0.1
    done
    printf x >&9
    exec 9>&-
    local rc=0
    wait "$lp" || rc=$?
    sleep 0.3
    kill -INT "$bp"
    wait "$bp" || true
    rm -f "$fifo"
    [ "$rc" = 0 ] || { note "memory run of $tag as $u exited $rc"; return 1; }
    grep -q 'Lost [0-9]* events' "$OUT/mem-$u-$tag.err" && note "bpftrace lost events: see $trace"
    # "<sum of per-mm peaks> <peak of concurrent RSS>": the second replays the changes in time order.
    local sum conc
    sum=$(awk '$1 == "mm" { s += $5 } /^@peak\[/ { s += $2 } END { print s + 0 }' "$trace")
    conc=$(awk '$1 == "e"' "$trace" | sort -k2,2n | awk '{ t += $4 - last[$3]; last[$3] = $4;
        if (t > m) m = t } END { print m + 0 }')
    echo "$sum $conc"
}

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

bench_memory_one() { # USER TAG CMD... -> "<median sum of peaks> <median concurrent peak>"
    local u=$1 tag=$2 i runs=$OUT/mem-$1-$2.runs
    shift 2
    : >"$runs"
    for i in $(seq "$MEM_RUNS"); do
        mem_once "$u" "$tag" "$@" >>"$runs" || return 1
        cp "$OUT/mem-$u-$tag.trace" "$OUT/mem-$u-$tag.trace.$i"
    done
    echo "$(cut -d' ' -f1 "$runs" | median) $(cut -d' ' -f2 "$runs" | median)"
}

bench_memory() {
    local u=$1 have_cove="" p c=""
    ensure_small "$u" && [ -n "$COVE_BIN" ] && have_cove=1
    # One run first: podman starts its long-lived pause process on first use; steady state is
    # what a user sees from then on.
    as_user "$u" podman $(podman_flags "$u") run --rm --network none "$SMALL_IMAGE" true
    p=$(bench_memory_one "$u" podman podman $(podman_flags "$u") run --rm --network none "$SMALL_IMAGE" true)
    if [ -n "$have_cove" ] && works "$u" "$COVE_BIN" $(cove_flags "$u") run --rm --network none "$SMALL_IMAGE" true; then
        c=$(bench_memory_one "$u" cove "$COVE_BIN" $(cove_flags "$u") run --rm --network none "$SMALL_IMAGE" true) || c=""
    fi
    mib() { [ -n "$1" ] && awk -v b="$1" 'BEGIN { printf "%.1f", b / 1048576 }' || echo -; }
    local c1=${c% *} c2=${c#* } p1=${p% *} p2=${p#* }
    row "memory: sum of peaks ($u) MiB" "$(mib "$c1")" "$(mib "$p1")" "-" \
        "podman/cove $(ratio "$p1" "$c1"); target: cove < 10 MiB"
    row "memory: concurrent peak ($u) MiB" "$(mib "$c2")" "$(mib "$p2")" "-" \
        "podman/cove $(ratio "$p2" "$c2")"
    local t
    for t in cove podman; do
        [ -f "$OUT/mem-$u-$t.trace" ] || continue
        echo "  $t's address spaces (last run), peak MiB: $(awk '$1 == "mm" {
            printf "%s %.1f\n", $4, $5 / 1048576 }' "$OUT/mem-$u-$t.trace" | sort -k2,2rn |
            paste -sd, | sed 's/,/, /g')" | tee -a "$TABLE"
    done
}

# Removes every container of both tools for USER (lifecycle benchmark set-up and clean-up).
remove_all_containers() {
    local u=$1 ids
    as_user "$u" podman $(podman_flags "$u") rm -af >/dev/null 2>&1 || true
    [ -n "$COVE_BIN" ] || return 0
    ids=$(as_user "$u" "$COVE_BIN" $(cove_flags "$u") ps -aq --no-trunc 2>/dev/null || true)
    # shellcheck disable=SC2086 # one word per id
    [ -z "$ids" ] || as_user "$u" "$COVE_BIN" $(cove_flags "$u") rm -f $ids >/dev/null
}

# Issue 3's targets: `ps -a` over 100 containers, `exec CTR true` (reference: nsenter into the
# same container), `run -d IMAGE sleep 1000` until the id is printed, and `version`; plus the
# resident size of what supervises one detached container (cove's monitor, podman's conmon).
bench_lifecycle() {
    local u=$1 json=$OUT/lifecycle-$1.json have_cove="" i
    ensure_small "$u" && [ -n "$COVE_BIN" ] && have_cove=1
    remove_all_containers "$u"
    note "creating 100 containers for each tool as $u"
    for i in $(seq 100); do
        as_user "$u" podman $(podman_flags "$u") create "$SMALL_IMAGE" true >/dev/null
        [ -z "$have_cove" ] || as_user "$u" "$COVE_BIN" $(cove_flags "$u") create "$SMALL_IMAGE" true >/dev/null
    done
    # The exec target: one running container each (counted among the 100 for ps: 99 + 1).
    as_user "$u" podman $(podman_flags "$u") rm -f "$(as_user "$u" podman $(podman_flags "$u") ps -aq | head -1)" >/dev/null
    as_user "$u" podman $(podman_flags "$u") run -d --name benchexec "$SMALL_IMAGE" sleep 100000 >/dev/null
    local nsenter_pid="" args=()
    local P="podman $(podman_flags "$u")" C="$COVE_BIN $(cove_flags "$u")"
    if [ -n "$have_cove" ]; then
        as_user "$u" $C rm -f "$(as_user "$u" $C ps -aq | head -1)" >/dev/null
        as_user "$u" $C run -d --name benchexec "$SMALL_IMAGE" sleep 100000 >/dev/null
        nsenter_pid=$(as_user "$u" $C inspect --format '{{.State.Pid}}' benchexec)
        args+=(-n "cove ps" "$C ps -a" -n "cove exec" "$C exec benchexec true"
               -n "cove run -d" "$C run -d $SMALL_IMAGE sleep 1000" -n "cove version" "$C version"
               -n "nsenter" "nsenter -U -m -p -t $nsenter_pid true")
    fi
    args+=(-n "podman ps" "$P ps -a" -n "podman exec" "$P exec benchexec true"
           -n "podman run -d" "$P run -d $SMALL_IMAGE sleep 1000" -n "podman version" "$P version")
    as_user "$u" hyperfine -N --style basic --warmup "$WARMUP" --runs "$RUNS" \
        --export-json "$json" "${args[@]}" >"$OUT/lifecycle-$u.log"
    local what c p
    for what in ps exec "run -d" version; do
        p=$(mean "$json" "podman $what")
        c=$([ -n "$have_cove" ] && mean "$json" "cove $what" || true)
        local extra="podman/cove $(ratio "$p" "$c")"
        case $what in
        ps) extra+=" (100 containers; target >= 10x)" ;;
        exec) extra+=" (target >= 10x); cove/nsenter $(ratio "$c" "$(mean "$json" nsenter)") (target <= 3x)" ;;
        "run -d") extra+=" (target >= 10x)" ;;
        esac
        row "$what ($u) ms" "$([ -n "$c" ] && ms "$json" "cove $what" || echo -)" \
            "$(ms "$json" "podman $what")" \
            "$([ "$what" = exec ] && [ -n "$have_cove" ] && ms "$json" nsenter || echo -)" "$extra"
    done
    # The supervisor of one detached container: cove's monitor is its init's parent.
    local cmon="" pmon=""
    [ -z "$nsenter_pid" ] || cmon=$(awk '/^PPid:/ { print $2 }' "/proc/$nsenter_pid/status")
    pmon=$(pgrep -u "$u" -x conmon | head -1)
    kib() { [ -n "$1" ] && awk '/^VmRSS:/ { printf "%.1f", $2 / 1024 }' "/proc/$1/status" || echo -; }
    row "supervisor RSS ($u) MiB" "$(kib "$cmon")" "$(kib "$pmon")" "-" \
        "cove's monitor vs podman's conmon (target: < 2 MB)"
    remove_all_containers "$u"
}

# Issue 5's targets: a 6-step Dockerfile (2 RUN, a COPY of 21 files) FROM the small image, built
# cold (--no-cache, base image present), rebuilt unchanged (every step cached), and rebuilt after
# one copied file changed. Both tools build as USER from the same context directory.
bench_build() {
    local u=$1 json=$OUT/build-$1.json have_cove="" i ctx=$OUT/buildctx-$1
    ensure_small "$u" && [ -n "$COVE_BIN" ] && have_cove=1
    mkdir -p "$ctx/src"
    for i in $(seq -w 1 21); do
        head -c 4096 /usr/share/common-licenses/GPL-3 | sed "s/GNU/file $i/" >"$ctx/src/f$i.txt"
    done
    # The issue's base: a Debian image (scripts/make-debian-image.sh, from its cached debootstrap
    # tarball); busybox when that cannot be made here.
    local base=$SMALL_IMAGE
    if "$BENCH_DIR/../scripts/make-debian-image.sh" "$REGISTRY" bench/debian:bookworm >/dev/null 2>&1; then
        base=$REGISTRY/bench/debian:bookworm
    fi
    note "build: FROM $base"
    printf '%s\n' "FROM $base" \
        'RUN mkdir -p /app/data && echo built > /app/data/stamp' \
        'COPY src/ /app/src/' \
        'RUN ls /app/src | wc -l > /app/count' \
        'WORKDIR /app' \
        'CMD ["cat", "/app/count"]' >"$ctx/Dockerfile"
    chmod -R a+rwX "$ctx"
    local P="podman $(podman_flags "$u")" C="$COVE_BIN $(cove_flags "$u")" args=()
    local touch_one="sh -c 'date +%s%N >> $ctx/src/f07.txt'"
    # Warm both caches once.
    as_user "$u" $P build -q --tls-verify=false -t bench/built "$ctx" >/dev/null
    [ -z "$have_cove" ] || as_user "$u" $C build -q --tls-verify=false -t bench/built "$ctx" >/dev/null ||
        have_cove=""
    if [ -n "$have_cove" ]; then
        args+=(-n "cove cold" "$C build -q --no-cache -t bench/built $ctx"
               -n "cove cached" "$C build -q -t bench/built $ctx")
    fi
    args+=(-n "podman cold" "$P build -q --no-cache -t bench/built $ctx"
           -n "podman cached" "$P build -q -t bench/built $ctx")
    as_user "$u" hyperfine -N --style basic --warmup 1 --runs "$BUILD_RUNS" \
        --export-json "$json" "${args[@]}" >"$OUT/build-$u.log"
    # One file changed before every run (the prepare step runs through a shell).
    local json2=$OUT/build-touched-$1.json args2=()
    [ -z "$have_cove" ] || args2+=(-n "cove touched" "$C build -q -t bench/built $ctx")
    args2+=(-n "podman touched" "$P build -q -t bench/built $ctx")
    as_user "$u" hyperfine --style basic --warmup 1 --runs "$BUILD_RUNS" --prepare "$touch_one" \
        --export-json "$json2" "${args2[@]}" >>"$OUT/build-$u.log"
    local what c p target j
    for what in cold cached touched; do
        j=$json
        [ "$what" = touched ] && j=$json2
        p=$(mean "$j" "podman $what")
        c=$([ -n "$have_cove" ] && mean "$j" "cove $what" || true)
        case $what in
        cached) target="target >= 10x and < 50 ms" ;;
        *) target="target >= 2x" ;;
        esac
        row "build $what ($u) ms" "$([ -n "$c" ] && ms "$j" "cove $what" || echo -)" \
            "$(ms "$j" "podman $what")" "-" "podman/cove $(ratio "$p" "$c") ($target)"
    done
}

{
    echo "cove vs podman, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "storage: $BENCH_MNT ($(findmnt -n -o FSTYPE,SOURCE "$BENCH_MNT" | tr -s ' ')), podman $(podman --version | cut -d' ' -f3) + runc, overlay"
} | tee "$TABLE"
row "benchmark" "cove" "podman" "reference" "ratios (reference: unshare / curl|dec|tar)"
for u in $BENCH_USERS; do
    case "$what" in startup | all) bench_startup "$u" ;; esac
    case "$what" in pull | all) bench_pull "$u" ;; esac
    case "$what" in memory | all) bench_memory "$u" ;; esac
    case "$what" in lifecycle | all) bench_lifecycle "$u" ;; esac
    case "$what" in build | all) bench_build "$u" ;; esac
done
note "raw results: $OUT"
