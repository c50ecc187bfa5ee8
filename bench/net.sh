#!/bin/bash
# Network throughput, cove vs podman, in one run. As root:
#   bench/net.sh
# 1. Published port: a 100 MB file served by busybox httpd in a container, published on
#    127.0.0.1, downloaded with curl in $NET_RUNS interleaved rounds (every path once per round,
#    so a change of the machine's pace hits them alike; median and best) through cove with
#    slirp4netns (the default: httpd gets the published port's guarded host socket where the
#    kernel lets cove guard it, as root or before Linux 6.18, else cove's splice forwarder),
#    with slirp4netns:port_handover=false (the forwarder always), with host_sockets=true
#    (httpd's own listening socket on the host, unguarded where guards are refused), cove with
#    pasta, podman (its default network and port forwarder) and, as the reference, the same
#    httpd on the host's loopback. BENCH_USERS="covebench root" measures root as well.
# 2. Container -> host TCP: iperf3 in the container (the host's binary, run through the host's
#    dynamic loader) against an iperf3 server on the host's 127.0.0.1, with the host's loopback
#    allowed (slirp4netns:allow_host_loopback=true: the default outbound relay, with
#    outbound_relay=false (slirp4netns' own stack) and with host_sockets=true; pasta:--map-gw),
#    and iperf3 on the host's loopback alone. Skipped without iperf3.
# Only 127.0.0.1 traffic: the container reaches the host through its network helper's mapping of
# the host's loopback. Environment: COVE, BENCH_USERS (default covebench), NET_RUNS (default 15),
# IPERF_SECONDS (default 5). Results are printed and written to $BENCH_STATE/results-<time>/.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
require_root net.sh

NET_RUNS=${NET_RUNS:-15}
IPERF_SECONDS=${IPERF_SECONDS:-5}
BENCH_USERS=${BENCH_USERS:-$BENCH_USER}

"$BENCH_DIR/setup.sh"
trap 'cleanup' EXIT
"$BENCH_DIR/make-big-image.sh"

OUT=$BENCH_STATE/results-net-$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$OUT"
TABLE=$OUT/table.txt
WWW=$BENCH_STATE/net-www
mkdir -p "$WWW"
[ -s "$WWW/big" ] || head -c 100M /dev/urandom >"$WWW/big"
chmod -R a+rX "$WWW"

COVE_BIN=""
if src=$(find_cove); then
    install -D -m 0755 "$src" "$BENCH_STATE/bin/cove"
    COVE_BIN=$BENCH_STATE/bin/cove
    note "cove: $src"
else
    note "no working cove binary: podman and the references only"
fi

BG=()
cleanup() {
    local pid
    for pid in "${BG[@]}"; do kill "$pid" 2>/dev/null || true; done
    registry_stop
}

row() { printf '%-34s %14s %12s\n' "$@" | tee -a "$TABLE"; }
ratio() { # A/B with two decimals, "-" when either is missing
    if [ -n "$1" ] && [ -n "$2" ]; then awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2fx", a / b }'; else echo -; fi
}
free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
wait_url() {
    local i
    for i in $(seq 300); do
        curl -sf -o /dev/null "$1" && return 0
        sleep 0.1
    done
    return 1
}

# start_publish USER LABEL NETWORK_FLAGS TOOL ARGS...: starts TOOL ARGS run -d NETWORK_FLAGS
# ... httpd published on a free port; prints the URL of the 100 MB file (nothing on failure).
start_publish() {
    local u=$1 label=$2 net=$3 port
    shift 3
    port=$(free_port)
    # shellcheck disable=SC2086 # NETWORK_FLAGS are words
    if as_user "$u" "$@" run -d --rm $net --name "netbench-$label-$$" -p "127.0.0.1:$port:80" \
        -v "$WWW:/www:ro" "$SMALL_IMAGE" httpd -f -p 80 -h /www >"$OUT/$label.log" 2>&1 &&
        wait_url "http://127.0.0.1:$port/big"; then
        echo "http://127.0.0.1:$port/big"
    else
        note "$label: could not start: $(tail -2 "$OUT/$label.log" | tr '\n' ' ')"
    fi
}

# measure_rates LABEL=URL...: NET_RUNS rounds, each downloading every URL once in turn (so a
# change of the machine's pace hits every path alike); the rates in MB/s (10^6 bytes) go to
# $OUT/rates-LABEL.
measure_rates() {
    local i pair rate
    for i in $(seq "$NET_RUNS"); do
        for pair in "$@"; do
            rate=$(curl -sf -o /dev/null -w '%{speed_download}' "${pair#*=}") || rate=""
            [ -z "$rate" ] || awk -v r="$rate" 'BEGIN { printf "%.0f\n", r / 1e6 }' >>"$OUT/rates-${pair%%=*}"
        done
    done
}

# stat_of LABEL median|best: from $OUT/rates-LABEL; empty when there are none.
stat_of() {
    [ -s "$OUT/rates-$1" ] || return 0
    sort -n "$OUT/rates-$1" | awk -v what="$2" '{ v[NR] = $1 } END {
        if (what == "best") print v[NR]; else print (NR % 2 ? v[(NR + 1) / 2] : int((v[NR / 2] + v[NR / 2 + 1]) / 2)) }'
}

# The host's iperf3 run inside a container: /usr bind-mounted at /host/usr and started through
# the host's loader, so the busybox image needs nothing of its own.
IPERF_IN_CONTAINER=(-v /usr:/host/usr:ro "$SMALL_IMAGE" /host/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2
    --library-path /host/usr/lib/x86_64-linux-gnu /host/usr/bin/iperf3)

# measure_iperf USER LABEL HOST_ADDRESS NETWORK_FLAGS TOOL ARGS...: Gbit/s from the container
# to the host.
measure_iperf() {
    local u=$1 label=$2 addr=$3 net=$4 port json
    shift 4
    port=$(free_port)
    iperf3 -s -1 -B 127.0.0.1 -p "$port" >/dev/null 2>&1 &
    BG+=($!)
    sleep 0.3
    json=$OUT/$label.iperf.json
    # shellcheck disable=SC2086 # NETWORK_FLAGS are words
    if as_user "$u" "$@" run --rm $net "${IPERF_IN_CONTAINER[@]}" -c "$addr" -p "$port" \
        -t "$IPERF_SECONDS" -J >"$json" 2>"$OUT/$label.iperf.err"; then
        jq -r '.end.sum_received.bits_per_second / 1e9 * 100 | round / 100' "$json"
    else
        note "$label: iperf3 failed: $(tail -2 "$OUT/$label.iperf.err" | tr '\n' ' ')"
        echo ""
    fi
    kill "${BG[-1]}" 2>/dev/null || true
}

# Gbit/s of iperf3 on the host's own loopback, the reference.
measure_host_iperf() {
    local port json=$OUT/host.iperf.json
    port=$(free_port)
    iperf3 -s -1 -B 127.0.0.1 -p "$port" >/dev/null 2>&1 &
    BG+=($!)
    sleep 0.3
    if iperf3 -c 127.0.0.1 -p "$port" -t "$IPERF_SECONDS" -J >"$json" 2>/dev/null; then
        jq -r '.end.sum_received.bits_per_second / 1e9 * 100 | round / 100' "$json"
    else
        echo ""
    fi
    kill "${BG[-1]}" 2>/dev/null || true
}

# pasta gives the container the host's default gateway, and --map-gw makes it the host.
gateway=$(ip -4 route show default | awk '{ print $3; exit }')

for u in $BENCH_USERS; do
    note "as $u"
    as_user "$u" podman $(podman_flags "$u") pull -q --tls-verify=false "$SMALL_IMAGE" >/dev/null
    [ -z "$COVE_BIN" ] || as_user "$u" "$COVE_BIN" $(cove_flags "$u") pull -q --tls-verify=false \
        "$SMALL_IMAGE" >/dev/null
    cove=("$COVE_BIN" $(cove_flags "$u"))
    podman=(podman $(podman_flags "$u"))

    port=$(free_port)
    busybox httpd -f -p "127.0.0.1:$port" -h "$WWW" &
    BG+=($!)
    wait_url "http://127.0.0.1:$port/big" || die "the host httpd did not start"
    urls=("host=http://127.0.0.1:$port/big")
    if [ -n "$COVE_BIN" ]; then
        url=$(start_publish "$u" slirp "--network slirp4netns" "${cove[@]}")
        if [ -n "$url" ]; then
            urls+=("slirp=$url")
            port=${url##*:}
            port=${port%%/*}
            if ss -Htlnp "sport = :$port" | grep -q '"httpd"'; then
                note "$u: the default slirp4netns path hands the published port to httpd"
            else
                note "$u: the default slirp4netns path keeps the published port in the forwarder"
            fi
        fi
        url=$(start_publish "$u" forwarder "--network slirp4netns:port_handover=false" "${cove[@]}")
        [ -z "$url" ] || urls+=("forwarder=$url")
        url=$(start_publish "$u" hostsockets "--network slirp4netns:host_sockets=true" "${cove[@]}")
        [ -z "$url" ] || urls+=("hostsockets=$url")
        url=$(start_publish "$u" pasta "--network pasta" "${cove[@]}")
        [ -z "$url" ] || urls+=("pasta=$url")
    fi
    url=$(start_publish "$u" podman "" "${podman[@]}")
    [ -z "$url" ] || urls+=("podman=$url")
    rm -f "$OUT"/rates-*
    measure_rates "${urls[@]}"
    kill "${BG[-1]}"
    for label in slirp forwarder hostsockets pasta; do
        [ -z "$COVE_BIN" ] || as_user "$u" "${cove[@]}" rm -f "netbench-$label-$$" >/dev/null 2>&1 || true
    done
    as_user "$u" "${podman[@]}" rm -f "netbench-podman-$$" >/dev/null 2>&1 || true

    host=$(stat_of host median)
    echo | tee -a "$TABLE"
    echo "== $u: published port, 100 MB over curl ($NET_RUNS rounds, interleaved) ==" | tee -a "$TABLE"
    printf '%-34s %10s %10s %10s\n' "path" "median" "best" "vs host" | tee -a "$TABLE"
    for pair in "host:host loopback (busybox httpd)" "slirp:cove slirp4netns (default)" \
        "forwarder:cove port_handover=false" "hostsockets:cove slirp4netns:host_sockets=true" \
        "pasta:cove --network pasta" \
        "podman:podman (default network)"; do
        label=${pair%%:*}
        median=$(stat_of "$label" median)
        printf '%-34s %10s %10s %10s\n' "${pair#*:}" "${median:--}" "$(stat_of "$label" best)" \
            "$(ratio "$median" "$host")" | tee -a "$TABLE"
    done
    row "cove slirp4netns / podman (medians)" "" "$(ratio "$(stat_of slirp median)" "$(stat_of podman median)")"
    row "port_handover=false / podman (medians)" "" "$(ratio "$(stat_of forwarder median)" "$(stat_of podman median)")"
    row "host_sockets=true / podman (medians)" "" "$(ratio "$(stat_of hostsockets median)" "$(stat_of podman median)")"
    row "cove pasta / podman (medians)" "" "$(ratio "$(stat_of pasta median)" "$(stat_of podman median)")"

    if ! command -v iperf3 >/dev/null; then
        note "iperf3 is not installed: container->host throughput skipped"
        continue
    fi
    islirp="" iplain="" istack="" ipasta=""
    if [ -n "$COVE_BIN" ]; then
        islirp=$(measure_iperf "$u" cove-slirp4netns-hostsockets 10.0.2.2 \
            "--network slirp4netns:allow_host_loopback=true,host_sockets=true" "${cove[@]}")
        iplain=$(measure_iperf "$u" cove-slirp4netns 10.0.2.2 \
            "--network slirp4netns:allow_host_loopback=true" "${cove[@]}")
        istack=$(measure_iperf "$u" cove-slirp4netns-norelay 10.0.2.2 \
            "--network slirp4netns:allow_host_loopback=true,outbound_relay=false" "${cove[@]}")
        [ -z "$gateway" ] || ipasta=$(measure_iperf "$u" cove-pasta "$gateway" \
            "--network pasta:--map-gw" "${cove[@]}")
    fi
    ihost=$(measure_host_iperf)
    ipod=$(measure_iperf "$u" podman 10.0.2.2 "--network slirp4netns:allow_host_loopback=true" \
        "${podman[@]}")
    echo "== $u: container -> host TCP, iperf3 -t $IPERF_SECONDS ==" | tee -a "$TABLE"
    row "path" "Gbit/s" "vs podman"
    row "cove slirp4netns (default: relay)" "${iplain:--}" "$(ratio "$iplain" "$ipod")"
    row "cove outbound_relay=false" "${istack:--}" "$(ratio "$istack" "$ipod")"
    row "cove slirp4netns:host_sockets=true" "${islirp:--}" "$(ratio "$islirp" "$ipod")"
    row "host loopback (iperf3 alone)" "${ihost:--}" "$(ratio "$ihost" "$ipod")"
    row "cove pasta" "${ipasta:--}" "$(ratio "$ipasta" "$ipod")"
    row "podman slirp4netns" "${ipod:--}" "1.00x"
done
note "results in $OUT"
