# Networking through pasta (package passt) and --network container:NAME: outbound to a host
# service on 127.0.0.1 only when host loopback is allowed, published TCP and UDP ports on
# 127.0.0.1 (content and a 100 MB checksum), DNS through pasta's forwarder, sharing another
# container's network namespace, clear errors, pasta as the default without slirp4netns, and no
# pasta left behind after SIGKILL. Only loopback is used: the container never contacts the
# gateway address unless it is mapped to the host's loopback.

suite_probe() {
  command -v pasta >/dev/null || { echo "pasta is not installed (Debian package passt)"; return 1; }
  command -v curl >/dev/null || { echo "curl is not installed"; return 1; }
  [[ -c /dev/net/tun ]] || { echo "/dev/net/tun is missing"; return 1; }
  as_user test -r /dev/net/tun -a -w /dev/net/tun ||
    { echo "/dev/net/tun is not usable by the test user (chmod 0666 /dev/net/tun)"; return 1; }
  awk '$2 == "00000000" && $3 != "00000000" { found = 1 } END { exit !found }' /proc/net/route ||
    { echo "the host has no IPv4 default route (pasta copies it into the container)"; return 1; }
}

# Pids of the pasta processes whose parent is this suite's cove binary (other suites and other
# builds may run their own).
pasta_pids() {
  local pid parent
  for pid in $(pgrep -u "$RUN_UID" '^(pasta|passt)'); do
    parent=$(awk '/^PPid:/ { print $2 }' "/proc/$pid/status" 2>/dev/null)
    [[ $(readlink "/proc/$parent/exe" 2>/dev/null) == "$COVE_BIN" ]] && echo "$pid"
  done | tr '\n' ' '
}

# Waits up to 10 s for `ss` to stop listing a listener on PORT (tcp or udp in $2).
expect_port_free() {
  local flag=-Htln
  [[ ${2:-tcp} == udp ]] && flag=-Huln
  for _ in $(seq 1 100); do
    [[ -z $(ss $flag "sport = :$1") ]] && return 0
    sleep 0.1
  done
  fail "port $1 is still bound: $(ss $flag "sport = :$1")"
}

make_www() {
  WWW=$WORK/www
  mkdir -p "$WWW"
  echo "hello from the container" >"$WWW/index.html"
  chmod -R a+rX "$WWW"
}

test_basics() {
  TEST "--network pasta: an interface with the host's address, a default route, DNS via pasta"
  expect_success cove run --rm --network pasta "$IMG" sh -c 'ip -4 addr; ip route; cat /etc/resolv.conf'
  expect_match "$OUT" "inet [0-9.]+/[0-9]+" "an IPv4 address"
  expect_contains "$OUT" "default via" "default route"
  expect_line "$OUT" "nameserver 169.254.1.1" "resolv.conf"
  expect_success cove run --rm --network pasta "$IMG" cat /sys/class/net/lo/operstate
  expect_ne "$OUT" "down" "loopback state"

  TEST "--network pasta with --dns keeps the given server"
  expect_success cove run --rm --network pasta --dns 192.0.2.53 "$IMG" cat /etc/resolv.conf
  expect_line "$OUT" "nameserver 192.0.2.53" "nameserver"
  expect_not_contains "$OUT" "169.254.1.1" "resolv.conf"
}

test_host_loopback() {
  local port dir=$WORK/hostweb
  mkdir -p "$dir"
  echo "from the host" >"$dir/index.html"
  chmod -R a+rX "$dir"
  port=$(free_port)
  host_httpd_start "$dir" "$port"

  TEST "pasta: the host's loopback is not reachable by default"
  # The container's own 127.0.0.1 must not lead to the host (no -T/-U forwarding).
  expect_exit 1 cove run --rm --network pasta "$IMG" timeout 3 wget -q -O - "http://127.0.0.1:$port/index.html"
  expect_success cove run --rm --network pasta "$IMG" cat /etc/hosts
  expect_not_contains "$OUT" "host.containers.internal" "/etc/hosts"
  expect_cove_error "pasta:--map-gw" cove run --rm --network pasta --add-host h:host-gateway "$IMG" true

  TEST "pasta:--map-gw reaches a host service on 127.0.0.1 as host.containers.internal"
  expect_success cove run --rm --network pasta:--map-gw "$IMG" \
    timeout 5 wget -q -O - "http://host.containers.internal:$port/index.html"
  expect_eq "$OUT" "from the host" "page from the host"
  host_httpd_stop
}

test_publish_tcp() {
  local port got want
  make_www
  head -c 100M /dev/urandom >"$WWW/big"
  chmod a+r "$WWW/big"
  port=$(free_port)

  TEST "pasta: -p 127.0.0.1:PORT:80 publishes busybox httpd to the host"
  cove_bg httpd run --rm --network pasta -p "127.0.0.1:$port:80" -v "$WWW:/www:ro" "$IMG" \
    httpd -f -p 80 -h /www
  if ! wait_for_url "http://127.0.0.1:$port/index.html"; then
    fail "the published port never answered"
    diag "$(cat "$T/bg/httpd.err")"
  fi
  expect_eq "$(curl -sf "http://127.0.0.1:$port/index.html")" "hello from the container" "page"
  expect_success ss -Htln "sport = :$port"
  expect_contains "$OUT" "127.0.0.1:$port" "listening socket"

  TEST "pasta: a 100 MB file through the published port is checksum-equal"
  want=$(sha256sum <"$WWW/big" | cut -d' ' -f1)
  got=$(curl -sf "http://127.0.0.1:$port/big" | sha256sum | cut -d' ' -f1)
  expect_eq "$got" "$want" "sha256 of the download"
  rm -f "$WWW/big"

  TEST "pasta: publishing a port that is in use fails clearly, naming the port"
  expect_cove_error "port $port/tcp on 127.0.0.1 is already in use" \
    cove run --rm --network pasta -p "127.0.0.1:$port:80" "$IMG" true

  TEST "pasta: SIGKILL of the cove that owns pasta leaves no helper and frees the port"
  local owner="" helper="" pid
  for pid in $(pasta_pids); do
    owner=$(awk '/^PPid:/ { print $2 }' "/proc/$pid/status")
    helper=$pid
  done
  if [[ -z $helper ]]; then
    fail "no pasta found for the running container"
  else
    kill -KILL "$owner"
    expect_gone "$helper"
    wait_bg
    expect_port_free "$port"
  fi

  TEST "pasta: -p HOSTPORT:CTRPORT binds every address, like Docker"
  local any
  any=$(free_port)
  cove_bg anyaddr run --rm --network pasta -p "$any:80" -v "$WWW:/www:ro" "$IMG" \
    sh -c 'timeout 15 httpd -f -p 80 -h /www; true'
  wait_for_url "http://127.0.0.1:$any/index.html" || fail "port $any never answered"
  expect_success ss -Htln "sport = :$any"
  expect_contains "$OUT" "0.0.0.0:$any" "listening socket"
  wait_bg
}

test_publish_udp() {
  local port
  TEST "pasta: -p 127.0.0.1:PORT:9999/udp forwards datagrams, and the replies come back"
  if ! build_udp_echo; then
    skip_test "no C compiler that links statically (for the UDP server)"
    return
  fi
  port=$(free_port udp)
  cove_bg udp run --rm --network pasta -p "127.0.0.1:$port:9999/udp" \
    -v "$WORK/udp-echo:/udp-echo:ro" "$IMG" sh -c 'timeout 20 /udp-echo 9999; true'
  expect_eq "$(udp_roundtrip "$port")" "datagram" "echo through the published UDP port"
  wait_bg
  expect_eq "$(cat "$T/bg/udp.out")" "datagram" "what the container received"
  expect_port_free "$port" udp
}

test_container_network() {
  local port
  make_www
  TEST "--network container:NAME shares the other container's network, hosts and host name"
  expect_success cove run -d --name web --hostname webhost --network pasta -v "$WWW:/www:ro" \
    "$IMG" httpd -f -p 127.0.0.1:8080 -h /www
  expect_success cove run --rm --network container:web "$IMG" \
    sh -c 'for i in $(seq 1 50); do wget -q -O - http://127.0.0.1:8080/index.html && break; sleep 0.1; done; hostname; cat /etc/resolv.conf'
  expect_line "$OUT" "hello from the container" "page from the other container's localhost"
  expect_line "$OUT" "webhost" "host name"
  expect_line "$OUT" "nameserver 169.254.1.1" "the other container's resolv.conf"

  TEST "--network container:NAME with -d, and by id"
  local id
  expect_success cove inspect --format '{{.Id}}' web
  id=$OUT
  expect_success cove run -d --name side --network "container:${id:0:12}" "$IMG" sleep 30
  expect_success cove exec side wget -q -O - http://127.0.0.1:8080/index.html
  expect_eq "$OUT" "hello from the container" "page through exec in the sharing container"
  expect_success cove rm -f side

  TEST "--network container:NAME refuses options that belong to the other container"
  expect_cove_error "conflicting options: -p/-P" cove run --rm --network container:web -p 8080:80 "$IMG" true
  expect_cove_error "conflicting options: --hostname" cove run --rm --network container:web --hostname h "$IMG" true
  expect_cove_error "conflicting options: --dns" cove run --rm --network container:web --dns 10.0.2.3 "$IMG" true
  expect_cove_error "conflicting options: --add-host" cove run --rm --network container:web --add-host a:10.1.1.1 "$IMG" true

  TEST "--network container:NAME fails clearly when that container is not running"
  expect_success cove rm -f web
  expect_cove_error "no such container" cove run --rm --network container:web "$IMG" true
  expect_success cove create --name stopped "$IMG" true
  expect_cove_error "not running" cove run --rm --network container:stopped "$IMG" true
  expect_success cove rm stopped
}

test_sigkill_container() {
  local port pid helper
  make_www
  port=$(free_port)
  TEST "pasta: SIGKILL of a detached container stops its pasta and frees the port"
  expect_success cove run -d --name victim --network pasta -p "127.0.0.1:$port:80" \
    -v "$WWW:/www:ro" "$IMG" httpd -f -p 80 -h /www
  wait_for_url "http://127.0.0.1:$port/index.html" || fail "the published port never answered"
  helper=$(pasta_pids)
  [[ -n $helper ]] || fail "no pasta found for the detached container"
  expect_success cove inspect --format '{{.State.Pid}}' victim
  pid=$OUT
  kill -KILL "$pid"
  expect_gone "$helper"
  expect_port_free "$port"
  expect_success cove rm -f victim
}

# A directory for PATH with the helpers cove needs, minus those named.
path_without() {
  local dir=$WORK/path-without-${*// /-} tool
  mkdir -p "$dir"
  for tool in newuidmap newgidmap fuse-overlayfs slirp4netns pasta; do
    [[ " $* " == *" $tool "* ]] && continue
    command -v "$tool" >/dev/null && ln -sf "$(command -v "$tool")" "$dir/$tool"
  done
  echo "$dir"
}

test_default_and_missing() {
  local dir
  TEST "without slirp4netns the default network is pasta"
  dir=$(path_without slirp4netns)
  user_cmd env PATH="$dir" "$COVE_BIN" "${COVE_GLOBAL[@]}" run --rm "$IMG" cat /etc/resolv.conf
  expect_eq "$RC" 0 "exit status"
  expect_line "$OUT" "nameserver 169.254.1.1" "resolv.conf (pasta's forwarder)"

  TEST "--network pasta without pasta names the package"
  dir=$(path_without pasta)
  user_cmd env PATH="$dir" "$COVE_BIN" "${COVE_GLOBAL[@]}" run --rm --network pasta "$IMG" true
  expect_eq "$RC" 125 "exit status"
  expect_contains "$ERR" "Debian package passt" "error"
  dir=$(path_without slirp4netns)
  user_cmd env PATH="$dir" "$COVE_BIN" "${COVE_GLOBAL[@]}" run --rm --network slirp4netns "$IMG" true
  expect_eq "$RC" 125 "exit status"
  expect_contains "$ERR" "Debian package slirp4netns" "error"
}

test_errors() {
  TEST "bad pasta options are refused before anything runs"
  expect_cove_error "publish ports with -p" cove run --rm --network pasta:-t,8080 "$IMG" true
  expect_cove_error "set by cove" cove run --rm --network pasta:--netns,/x "$IMG" true

  TEST "pasta: a privileged host port is refused with the sysctl named"
  local start
  start=$(cat /proc/sys/net/ipv4/ip_unprivileged_port_start)
  if [[ $IDENTITY == root ]]; then
    skip_test "root may bind privileged ports"
  elif ((start <= 80)); then
    skip_test "net.ipv4.ip_unprivileged_port_start is $start"
  else
    expect_cove_error "ip_unprivileged_port_start" cove run --rm --network pasta -p 127.0.0.1:80:80 "$IMG" true
  fi
}

suite_main() {
  test_basics
  test_host_loopback
  test_publish_tcp
  test_publish_udp
  test_container_network
  test_sigkill_container
  test_default_and_missing
  test_errors
  TEST "no pasta is left behind"
  expect_gone "$(pasta_pids)"
}
