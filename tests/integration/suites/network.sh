# Networking: the default slirp4netns network, --network none, published TCP and UDP ports on
# 127.0.0.1 (content and a 100 MB checksum), host loopback access only when allowed, DNS and
# hosts flags, clear errors, and no helper left behind after SIGKILL. Only loopback is used.

suite_probe() {
  command -v slirp4netns >/dev/null || { echo "slirp4netns is not installed"; return 1; }
  command -v curl >/dev/null || { echo "curl is not installed"; return 1; }
  [[ -c /dev/net/tun ]] || { echo "/dev/net/tun is missing"; return 1; }
  as_user test -r /dev/net/tun -a -w /dev/net/tun ||
    { echo "/dev/net/tun is not usable by the test user (chmod 0666 /dev/net/tun)"; return 1; }
}




# Pids of the slirp4netns processes started by this suite's cove (other suites may run some).
slirp_pids() {
  local pid parent
  for pid in $(pgrep -u "$RUN_UID" -x slirp4netns); do
    parent=$(awk '/^PPid:/ { print $2 }' "/proc/$pid/status" 2>/dev/null)
    [[ $(readlink "/proc/$parent/exe" 2>/dev/null) == "$COVE_BIN" ]] && echo "$pid"
  done | tr '\n' ' '
}

# The pids of PID's descendants.
descendants() {
  local child
  for child in $(pgrep -P "$1"); do
    echo "$child"
    descendants "$child"
  done
}

test_default_and_none() {
  TEST "the default network is slirp4netns: tap0 with 10.0.2.100, DNS at 10.0.2.3"
  expect_success cove run --rm "$IMG" sh -c 'ip -4 addr show tap0; ip route; cat /etc/resolv.conf'
  expect_contains "$OUT" "inet 10.0.2.100/24" "tap0 address"
  expect_contains "$OUT" "default via 10.0.2.2" "default route"
  expect_line "$OUT" "nameserver 10.0.2.3" "resolv.conf"
  expect_success cove run --rm "$IMG" cat /sys/class/net/tap0/mtu
  expect_eq "$OUT" 65520 "tap0 MTU (from the container's own sysfs)"

  TEST "--network none has loopback only and no route"
  expect_success cove run --rm --network none "$IMG" sh -c 'ls /sys/class/net; echo routes:; ip route; ip -6 route'
  expect_eq "$OUT" $'lo\nroutes:' "interfaces and routes"
  expect_exit 1 cove run --rm --network none "$IMG" timeout 2 wget -q -O /dev/null http://10.0.2.2:1/

  TEST "--network host shares the host's interfaces"
  expect_success cove run --rm --network host "$IMG" ls /sys/class/net
  expect_eq "$OUT" "$(ls /sys/class/net)" "interfaces"
}

# Background job NAME: busybox httpd serving $www (the caller's) for 15 s, published with -p SPEC.
httpd_for_a_while() {
  cove_bg "$1" run --rm -p "$2" -v "$www:/www:ro" "$IMG" sh -c 'timeout 15 httpd -f -p 80 -h /www; true'
}

test_publish_tcp() {
  local www=$WORK/www port
  mkdir -p "$www"
  echo "hello from the container" >"$www/index.html"
  head -c 100M /dev/urandom >"$www/big"
  chmod -R a+rX "$www"
  port=$(free_port)

  TEST "-p 127.0.0.1:PORT:80 publishes busybox httpd to the host"
  cove_bg httpd run --rm -p "127.0.0.1:$port:80" -v "$www:/www:ro" "$IMG" httpd -f -p 80 -h /www
  if ! wait_for_url "http://127.0.0.1:$port/index.html"; then
    fail "the published port never answered"
    diag "$(cat "$T/bg/httpd.err")"
  fi
  expect_eq "$(curl -sf "http://127.0.0.1:$port/index.html")" "hello from the container" "page"

  TEST "a 100 MB file through the published port is checksum-equal"
  local got want
  want=$(sha256sum <"$www/big" | cut -d' ' -f1)
  got=$(curl -sf "http://127.0.0.1:$port/big" | sha256sum | cut -d' ' -f1)
  expect_eq "$got" "$want" "sha256 of the download"

  TEST "the port is bound on 127.0.0.1 only when asked"
  # cove's forwarder binds it (with host_sockets=true: httpd's own AF_INET6 socket, v4-mapped).
  expect_success ss -Htln "sport = :$port"
  expect_match "$OUT" "[[ ](\\[::ffff:)?127\\.0\\.0\\.1\\]?:$port " "listening socket"
  expect_not_contains "$OUT" "*:$port" "listening socket"
  expect_not_contains "$OUT" "0.0.0.0:$port" "listening socket"

  TEST "-p HOSTPORT:CTRPORT binds every address, like Docker"
  local any
  any=$(free_port)
  httpd_for_a_while anyaddr "$any:80"
  wait_for_url "http://127.0.0.1:$any/index.html" || fail "port $any never answered"
  expect_success ss -Htln "sport = :$any"
  # 0.0.0.0 (cove's forwarder) or, with host_sockets=true, * (httpd's own dual-stack [::]).
  expect_match "$OUT" "(0\\.0\\.0\\.0|\\*):$any " "listening socket"
  expect_eq "$(curl -sf "http://127.0.0.1:$any/index.html")" "hello from the container" "page over IPv4"

  TEST "-p HOSTPORT:CTRPORT is published on [::] too, and -p [::1]:PORT:CTRPORT on ::1 only"
  if ! ip -6 addr show dev lo 2>/dev/null | grep -q '::1/128'; then
    skip_test "the host's loopback has no IPv6 address"
  else
    expect_success ss -Htln "sport = :$any"
    expect_match "$OUT" "(\\[::\\]|\\*):$any " "IPv6 listening socket"
    expect_eq "$(curl -sfg "http://[::1]:$any/index.html")" "hello from the container" "page over IPv6"
    local v6
    v6=$(free_port)
    httpd_for_a_while v6only "[::1]:$v6:80"
    wait_for_url "http://[::1]:$v6/index.html" || fail "[::1]:$v6 never answered"
    expect_success ss -Htln "sport = :$v6"
    expect_contains "$OUT" "[::1]:$v6" "listening socket"
    expect_not_contains "$OUT" "127.0.0.1:$v6" "no IPv4 socket"
  fi

  TEST "20 concurrent downloads through the published port are all complete"
  local i ok=0 curls=()
  for i in $(seq 20); do
    curl -sf "http://127.0.0.1:$port/index.html" >"$WORK/par.$i" &
    curls+=($!)
  done
  wait "${curls[@]}"
  for i in $(seq 20); do
    [[ $(cat "$WORK/par.$i") == "hello from the container" ]] && ok=$((ok + 1))
  done
  expect_eq "$ok" 20 "complete downloads"

  test_publish_half_close

  TEST "a published port with nothing listening in the container resets the connection"
  local idle
  idle=$(free_port)
  cove_bg idle run --rm -p "127.0.0.1:$idle:81" "$IMG" sleep 8
  wait_for_listen "$idle" || fail "port $idle was never bound"
  # Refused at once: curl sees the reset while connecting (7), sending its request (55) or
  # reading the answer (56), whichever it is doing when the reset arrives; never a hang (28).
  run_cmd curl -s --max-time 5 -o /dev/null "http://127.0.0.1:$idle/"
  [[ $RC == 7 || $RC == 55 || $RC == 56 ]] || fail "curl exited with $RC, not 7, 55 or 56 (a reset)"

  TEST "publishing a port that is in use fails clearly"
  expect_cove_error "already in use" cove run --rm -p "127.0.0.1:$port:80" "$IMG" true

  TEST "SIGKILL of the cove that owns slirp4netns leaves no helper and frees the port"
  local owner="" slirp="" pid
  for pid in $(slirp_pids); do
    owner=$(awk '/^PPid:/ { print $2 }' "/proc/$pid/status")
    [[ $(readlink "/proc/$owner/exe") == "$COVE_BIN" ]] && slirp+=" $pid" && break
  done
  if [[ -z $slirp ]]; then
    fail "no slirp4netns found for the running container"
  else
    local tree
    tree=$(descendants "$owner" | tr '\n' ' ')
    kill -KILL "$owner"
    expect_gone "$tree"
    wait_bg
    expect_exit 7 curl -s -o /dev/null "http://127.0.0.1:$port/index.html"
  fi
  rm -f "$www/big"
}

# Builds a static TCP server into $WORK/tcp-tally: it accepts one connection, reads it to the
# end, then answers "got N bytes" and exits. False without a static cc.
build_tcp_tally() {
  cat >"$WORK/tcp-tally.c" <<'C'
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>
int main(int argc, char **argv) {
  int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(argc > 1 ? atoi(argv[1]) : 0)};
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (argc < 2 || bind(fd, (struct sockaddr *)&a, sizeof a) < 0 || listen(fd, 1) < 0) return 2;
  int c = accept(fd, NULL, NULL);
  char buf[65536], reply[64];
  long total = 0;
  ssize_t n;
  while ((n = read(c, buf, sizeof buf)) > 0) total += n;
  int len = snprintf(reply, sizeof reply, "got %ld bytes\n", total);
  write(c, reply, len);
  close(c);
  return 0;
}
C
  [[ -x $WORK/tcp-tally ]] ||
    { cc -static -O2 -o "$WORK/tcp-tally" "$WORK/tcp-tally.c" 2>/dev/null && chmod 0755 "$WORK/tcp-tally"; }
}

# A client that sends 5 MiB, shuts its side down (a half-close) and reads the answer.
# test_publish_half_close [NETWORK]: with the default network, or NETWORK (--network's value).
test_publish_half_close() {
  local net=(${1:+--network "$1"})
  TEST "a half-closed connection through the published port still gets its answer${1:+ ($1)}"
  if ! build_tcp_tally; then
    skip_test "no C compiler that links statically (for the TCP server)"
    return
  fi
  local port
  port=$(free_port)
  cove_bg tally run --rm "${net[@]}" -p "127.0.0.1:$port:7000" -v "$WORK/tcp-tally:/tally:ro" \
    "$IMG" /tally 7000
  wait_for_listen "$port" || fail "port $port was never bound"
  local answer
  answer=$(python3 - "$port" <<'PY'
import socket, sys, time
for _ in range(100):  # until the server in the container listens
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
    try:
        s.sendall(b"x" * (5 << 20))
        s.shutdown(socket.SHUT_WR)
        data = s.makefile("rb").read()
    except OSError:
        data = b""
    if data:
        print(data.decode().strip()); break
    time.sleep(0.1)
PY
)
  expect_eq "$answer" "got 5242880 bytes" "the server's answer after the client's end of file"
}

test_publish_udp() {
  local port
  TEST "-p 127.0.0.1:PORT:9999/udp forwards datagrams, and the replies come back"
  if ! build_udp_echo; then
    skip_test "no C compiler that links statically (for the UDP server)"
    return
  fi
  port=$(free_port udp)
  cove_bg udp run --rm -p "127.0.0.1:$port:9999/udp" -v "$WORK/udp-echo:/udp-echo:ro" "$IMG" \
    sh -c 'timeout 20 /udp-echo 9999; true'
  expect_eq "$(udp_roundtrip "$port")" "datagram" "echo through the published UDP port"
  wait_bg
  expect_eq "$(cat "$T/bg/udp.out")" "datagram" "what the container received"

  TEST "-p [::1]:PORT:9999/udp forwards datagrams over IPv6"
  if ! ip -6 addr show dev lo 2>/dev/null | grep -q '::1/128'; then
    skip_test "the host's loopback has no IPv6 address"
    return
  fi
  port=$(free_port udp)
  cove_bg udp6 run --rm -p "[::1]:$port:9999/udp" -v "$WORK/udp-echo:/udp-echo:ro" "$IMG" \
    sh -c 'timeout 20 /udp-echo 9999; true'
  expect_eq "$(udp_roundtrip "$port" ::1)" "datagram" "echo through the published UDP port"
  wait_bg
}

test_host_loopback() {
  local port dir=$WORK/hostweb
  mkdir -p "$dir"
  echo "from the host" >"$dir/index.html"
  port=$(free_port)
  host_httpd_start "$dir" "$port"

  TEST "the host's loopback is not reachable by default"
  expect_exit 1 cove run --rm "$IMG" timeout 3 wget -q -O - "http://10.0.2.2:$port/index.html"
  expect_success cove run --rm "$IMG" cat /etc/hosts
  expect_not_contains "$OUT" "host.containers.internal" "/etc/hosts"

  TEST "allow_host_loopback=true reaches the host as host.containers.internal"
  expect_success cove run --rm --network slirp4netns:allow_host_loopback=true "$IMG" \
    timeout 5 wget -q -O - "http://host.containers.internal:$port/index.html"
  expect_eq "$OUT" "from the host" "page from the host"
  host_httpd_stop
}

# A server on the host's 127.0.0.1:PORT that accepts one connection and holds it for 6 s.
hold_one_connection() {
  python3 -c 'import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(1)
c, _ = s.accept()
time.sleep(6)' "$1" &
}

test_host_sockets() {
  local port
  TEST "host_sockets=true: a connection to the host is a host socket, not one of slirp4netns' stack"
  port=$(free_port)
  hold_one_connection "$port"
  local server=$!
  sleep 0.3
  expect_success cove run --rm --network slirp4netns:allow_host_loopback=true,host_sockets=true \
    "$IMG" sh -c "sleep 4 | nc 10.0.2.2 $port & sleep 1; netstat -tn"
  expect_not_contains "$OUT" "10.0.2.2:$port" "connections in the container's namespace"
  wait "$server" 2>/dev/null
  if [[ $IDENTITY == nosub ]]; then
    diag "uid 1000 in the container needs a subordinate id range: that case is skipped here"
  else # a command that is not root in the container, still served
    port=$(free_port)
    hold_one_connection "$port"
    server=$!
    sleep 0.3
    expect_success cove run --rm --user 1000:1000 \
      --network slirp4netns:allow_host_loopback=true,host_sockets=true \
      "$IMG" sh -c "sleep 4 | nc 10.0.2.2 $port & sleep 1; netstat -tn; echo connected: \$(netstat -tn | grep -c ESTAB)"
    expect_not_contains "$OUT" "10.0.2.2:$port" "connections of uid 1000 in the container's namespace"
    wait "$server" 2>/dev/null
  fi
  port=$(free_port)
  hold_one_connection "$port"
  server=$!
  sleep 0.3
  expect_success cove run --rm --network slirp4netns:allow_host_loopback=true,outbound_relay=false \
    "$IMG" sh -c "sleep 4 | nc 10.0.2.2 $port & sleep 1; netstat -tn"
  expect_match "$OUT" "10\\.0\\.2\\.100:[0-9]+ +10\\.0\\.2\\.2:$port +ESTABLISHED" \
    "with outbound_relay=false, through slirp4netns"
  wait "$server" 2>/dev/null

  TEST "host_sockets=true: a published port's host socket is the container's, still served inside"
  local www=$WORK/hs-www name=hs-web
  mkdir -p "$www"
  echo "served by httpd" >"$www/index.html"
  chmod -R a+rX "$www"
  port=$(free_port)
  expect_success cove run -d --name "$name" --network slirp4netns:host_sockets=true \
    -p "127.0.0.1:$port:80" -v "$www:/www:ro" "$IMG" httpd -f -p 80 -h /www
  wait_for_url "http://127.0.0.1:$port/index.html" || fail "the published port never answered"
  expect_eq "$(curl -sf "http://127.0.0.1:$port/index.html")" "served by httpd" "page from the host"
  expect_success ss -Htlnp "sport = :$port"
  expect_contains "$OUT" '"httpd"' "owner of the host socket"
  expect_success cove exec "$name" wget -q -O - http://127.0.0.1:80/index.html
  expect_eq "$OUT" "served by httpd" "page from inside (cove exec)"
  expect_success cove exec "$name" wget -q -O - http://10.0.2.100:80/index.html
  expect_eq "$OUT" "served by httpd" "page from inside, at the container's address"
  expect_success cove rm -f "$name"
  curl -sf --max-time 3 -o /dev/null "http://127.0.0.1:$port/index.html" &&
    fail "port $port still answers after the container was removed"

  TEST "by default a published port's socket is handed to the program that binds it"
  port=$(free_port)
  expect_success cove run -d --name "$name" -p "127.0.0.1:$port:80" -v "$www:/www:ro" "$IMG" \
    httpd -f -p 80 -h /www
  wait_for_url "http://127.0.0.1:$port/index.html" || fail "the published port never answered"
  expect_eq "$(curl -sf "http://127.0.0.1:$port/index.html")" "served by httpd" "page from the host"
  expect_success ss -Htlnp "sport = :$port"
  expect_contains "$OUT" '"httpd"' "owner of the host socket"
  expect_success cove exec "$name" wget -q -O - http://127.0.0.1:80/index.html
  expect_eq "$OUT" "served by httpd" "page from inside (cove exec)"
  expect_success cove rm -f "$name"
  if tcp_guards_available; then
    diag "the handed socket is guarded here"
  else
    diag "this kernel lets only CAP_NET_ADMIN filter TCP sockets: cove does every connect itself"
  fi

  TEST "with a published port, the container's unix sockets connect as before"
  # Where the handed socket cannot be guarded, cove's supervisor makes these connects in the
  # caller's context: a datagram socket by path (logger to syslogd's /dev/log) here, streams by
  # path, relative path and abstract name below.
  port=$(free_port)
  expect_success cove run --rm -p "127.0.0.1:$port:80" "$IMG" sh -c \
    'syslogd -n -O /tmp/log & sleep 0.3; logger handed-over; sleep 0.3; cat /tmp/log'
  expect_contains "$OUT" "handed-over" "message through /dev/log"
  local loader=/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2
  if [[ ! -x $loader || ! -x /usr/bin/python3 ]]; then
    diag "no x86_64 python3 on the host to run in the container: streams not checked"
  else
    cat >"$WORK/unixcheck.py" <<'PY'
import os, socket, struct
server = socket.socket(socket.AF_UNIX)
server.bind("/tmp/s.sock")
server.listen()
client = socket.socket(socket.AF_UNIX)
client.connect("/tmp/s.sock")
peer, _ = server.accept()
pid, uid, gid = struct.unpack("3i", peer.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, 12))
print("peer ids", uid, gid, "mine", os.getuid(), os.getgid())
os.chdir("/tmp")
socket.socket(socket.AF_UNIX).connect("s.sock")
print("relative path connected")
abstract = socket.socket(socket.AF_UNIX)
abstract.bind("\0cove-check")
abstract.listen()
socket.socket(socket.AF_UNIX).connect("\0cove-check")
print("abstract name connected")
try:
    socket.socket(socket.AF_UNIX).connect("/tmp/missing.sock")
except OSError as e:
    print("missing:", e.strerror)
PY
    chmod a+r "$WORK/unixcheck.py"
    local user=()
    [[ $IDENTITY == nosub ]] || user=(--user 1000:1000)
    expect_success cove run --rm "${user[@]}" -p "127.0.0.1:$port:80" -v /usr:/host/usr:ro \
      -v "$WORK/unixcheck.py:/check.py:ro" -e PYTHONHOME=/host/usr "$IMG" \
      "/host$loader" --library-path /host/usr/lib/x86_64-linux-gnu /host/usr/bin/python3 /check.py
    if [[ $IDENTITY == nosub ]]; then
      expect_contains "$OUT" "peer ids 0 0 mine 0 0" "the peer's ids"
    else
      expect_contains "$OUT" "peer ids 1000 1000 mine 1000 1000" "the peer's ids"
    fi
    expect_contains "$OUT" "relative path connected" "relative path"
    expect_contains "$OUT" "abstract name connected" "abstract name"
    expect_contains "$OUT" "missing: No such file or directory" "missing socket"
  fi

  TEST "port_handover=false keeps the published port in cove's forwarder, 100 MB intact"
  port=$(free_port)
  head -c 100M /dev/urandom >"$www/big"
  chmod a+r "$www/big"
  expect_success cove run -d --name "$name" --network slirp4netns:port_handover=false \
    -p "127.0.0.1:$port:80" -v "$www:/www:ro" "$IMG" httpd -f -p 80 -h /www
  wait_for_url "http://127.0.0.1:$port/index.html" || fail "the published port never answered"
  expect_success ss -Htlnp "sport = :$port"
  expect_not_contains "$OUT" '"httpd"' "owner of the host socket"
  expect_contains "$OUT" "127.0.0.1:$port" "listening socket"
  expect_eq "$(curl -sf "http://127.0.0.1:$port/big" | sha256sum | cut -d' ' -f1)" \
    "$(sha256sum <"$www/big" | cut -d' ' -f1)" "sha256 of the download through the forwarder"
  expect_success cove rm -f "$name"
  rm -f "$www/big"
  test_publish_half_close slirp4netns:port_handover=false
}

# Whether the test's identity may filter its own TCP sockets (SO_ATTACH_FILTER), which cove
# does to guard a published port's socket before handing it over; recent kernels ask
# CAP_NET_ADMIN for it.
tcp_guards_available() {
  user_cmd python3 -c 'import ctypes, socket, struct
keep = ctypes.create_string_buffer(struct.pack("HBBI", 6, 0, 0, 0xffffffff))
socket.socket().setsockopt(socket.SOL_SOCKET, 26, struct.pack("HxxxxxxQ", 1, ctypes.addressof(keep)))'
  [[ $RC == 0 ]]
}

# A threaded HTTP server on the host's 127.0.0.1:PORT serving DIR (DIR/index.html must exist),
# with a listen backlog of 512: busybox httpd's is 9, and a burst of connections past it waits
# for SYN retransmissions, seconds on a busy machine. Its pid in BULK_SERVER.
host_bulk_server_start() {
  python3 -c 'import functools, http.server, sys
class Server(http.server.ThreadingHTTPServer):
    request_queue_size = 512
handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=sys.argv[1])
Server(("127.0.0.1", int(sys.argv[2])), handler).serve_forever()' "$1" "$2" 2>/dev/null &
  BULK_SERVER=$!
  wait_for_url "http://127.0.0.1:$2/index.html" || fail "the host's bulk server did not start"
}

# How many descriptors the monitor of running container NAME holds.
monitor_fds() {
  local pid
  pid=$(ctr_field "$1" '{{.State.Pid}}')
  ls "/proc/$(awk '/^PPid:/ { print $2 }' "/proc/$pid/status")/fd" | wc -l
}

# python_relay_check PORT CLOSED_PORT: a python program that connects to the host's PORT through
# 10.0.2.2 with a blocking socket and with asyncio, and to CLOSED_PORT, printing what it sees.
python_relay_check() {
  cat <<EOF
import asyncio, socket
s = socket.create_connection(("10.0.2.2", $1))
print("peer", s.getpeername(), "local", s.getsockname()[0])
try:
    socket.create_connection(("10.0.2.2", $2))
except OSError as e:
    print("refused:", e.strerror)
async def main():
    r, w = await asyncio.open_connection("10.0.2.2", $1)
    print("asyncio peer", w.get_extra_info("peername"))
    w.write(b"GET /index.html HTTP/1.0\r\n\r\n")
    print("asyncio body", (await r.read()).split(b"\r\n")[-1])
    try:
        await asyncio.open_connection("10.0.2.2", $2)
    except OSError as e:
        print("asyncio refused:", e.strerror)
asyncio.run(main())
EOF
}

test_outbound_relay() {
  local port server dir=$WORK/relayweb
  TEST "by default a connection to the host is dialled by cove and relayed over the container's loopback"
  port=$(free_port)
  hold_one_connection "$port"
  server=$!
  sleep 0.3
  expect_success cove run --rm --network slirp4netns:allow_host_loopback=true "$IMG" \
    sh -c "sleep 4 | nc 10.0.2.2 $port & sleep 1; netstat -tn"
  expect_not_contains "$OUT" "10.0.2.2:$port" "connections in the container's namespace"
  expect_match "$OUT" "127\\.0\\.0\\.1:[0-9]+ +127\\.0\\.0\\.1:[0-9]+ +ESTABLISHED" \
    "the relayed connection, on the container's loopback"
  wait "$server" 2>/dev/null

  TEST "the relay carries 100 MB from the host intact, for detached containers too"
  mkdir -p "$dir"
  echo "relayed" >"$dir/index.html"
  head -c 100M /dev/urandom >"$dir/big"
  chmod -R a+rX "$dir"
  port=$(free_port)
  host_httpd_start "$dir" "$port"
  expect_success cove run --rm --network slirp4netns:allow_host_loopback=true "$IMG" \
    sh -c "wget -q -O - http://host.containers.internal:$port/big | md5sum"
  expect_eq "${OUT%% *}" "$(md5sum <"$dir/big" | cut -d' ' -f1)" "checksum of the relayed file"
  if [[ $IDENTITY != nosub ]]; then
    expect_success cove run --rm --user 1000:1000 --network slirp4netns:allow_host_loopback=true \
      "$IMG" wget -q -O - "http://10.0.2.2:$port/index.html"
    expect_eq "$OUT" "relayed" "page fetched by uid 1000 in the container"
  fi
  expect_success cove run -d --name relay-detached --network slirp4netns:allow_host_loopback=true \
    "$IMG" wget -q -O - "http://10.0.2.2:$port/index.html"
  expect_success cove wait relay-detached
  expect_eq "$OUT" "0" "exit status of the detached wget"
  expect_success cove logs relay-detached
  expect_eq "$OUT" "relayed" "page fetched by a detached container (its monitor relays)"
  expect_success cove rm relay-detached
  host_httpd_stop

  TEST "50 parallel relayed connections arrive intact and leave nothing open in the monitor"
  head -c 2M /dev/urandom >"$dir/mid"
  chmod a+r "$dir/mid"
  port=$(free_port)
  host_bulk_server_start "$dir" "$port"
  local want
  want=$(md5sum <"$dir/mid" | cut -d' ' -f1)
  expect_success cove run -d --name relay-idle --network slirp4netns:allow_host_loopback=true \
    "$IMG" sleep 1000
  expect_success cove run -d --name relay-many --network slirp4netns:allow_host_loopback=true \
    "$IMG" sh -c "for i in \$(seq 50); do wget -q -O - http://10.0.2.2:$port/mid | md5sum & done; wait; echo done; sleep 1000"
  wait_for_logs relay-many done
  expect_success cove logs relay-many
  expect_eq "$(grep -c "^$want " <<<"$OUT")" "50" "intact downloads"
  local busy idle
  busy=$(monitor_fds relay-many)
  idle=$(monitor_fds relay-idle)
  expect_eq "$busy" "$idle" "descriptors of the busy container's monitor (an idle one's: $idle)"
  expect_success cove rm -f relay-many relay-idle

  TEST "100 relayed connections at once from a cove started with a soft open-file limit of 128"
  # Each relayed connection holds six descriptors in cove: cove raises its soft limit to the
  # hard one (as podman does), and the container inherits it.
  user_cmd prlimit --nofile=128: "$COVE_BIN" "${COVE_GLOBAL[@]}" run --rm \
    --network slirp4netns:allow_host_loopback=true "$IMG" \
    sh -c "ulimit -n; ulimit -Hn; for i in \$(seq 100); do wget -q -O - http://10.0.2.2:$port/mid | md5sum & done; wait"
  expect_eq "$RC" "0" "exit status"
  expect_eq "$(sed -n 1p <<<"$OUT")" "$(sed -n 2p <<<"$OUT")" "the container's soft and hard open-file limits"
  expect_eq "$(grep -c "^$want " <<<"$OUT")" "100" "intact downloads"
  kill "$BULK_SERVER"
  wait "$BULK_SERVER" 2>/dev/null

  TEST "python's socket and asyncio in the container see the peer they asked for and the kernel's errors"
  local loader=/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2
  if [[ ! -x $loader || ! -x /usr/bin/python3 ]]; then
    skip_test "no x86_64 python3 on the host to run in the container"
  else
    port=$(free_port)
    host_httpd_start "$dir" "$port"
    python_relay_check "$port" "$(free_port)" >"$WORK/relaycheck.py"
    chmod a+r "$WORK/relaycheck.py"
    expect_success cove run --rm --network slirp4netns:allow_host_loopback=true -v /usr:/host/usr:ro \
      -v "$WORK/relaycheck.py:/check.py:ro" -e PYTHONHOME=/host/usr "$IMG" \
      "/host$loader" --library-path /host/usr/lib/x86_64-linux-gnu /host/usr/bin/python3 /check.py
    expect_contains "$OUT" "peer ('10.0.2.2', $port) local 10.0.2.100" "blocking socket's names"
    expect_contains "$OUT" "refused: Connection refused" "blocking connect to a closed port"
    expect_contains "$OUT" "asyncio peer ('10.0.2.2', $port)" "asyncio's peer"
    expect_contains "$OUT" "asyncio body b'relayed\\n'" "asyncio's page"
    expect_contains "$OUT" "asyncio refused: Connection refused" "asyncio connect to a closed port"
    host_httpd_stop
  fi

  TEST "a refused connection is refused in the container, blocking or not"
  port=$(free_port)
  expect_exit 1 cove run --rm --network slirp4netns:allow_host_loopback=true "$IMG" \
    wget -q -O - "http://10.0.2.2:$port/"
  expect_contains "$ERR" "Connection refused" "wget's error"
  expect_exit 1 cove run --rm --network slirp4netns:allow_host_loopback=true "$IMG" \
    nc -w 2 10.0.2.2 "$port"
  rm -rf "$dir"
}

test_slirp_options() {
  TEST "slirp4netns:mtu= sets tap0's MTU"
  expect_success cove run --rm --network slirp4netns:mtu=1500 "$IMG" cat /sys/class/net/tap0/mtu
  expect_eq "$OUT" 1500 "tap0 MTU"

  TEST "slirp4netns:cidr= moves the network: address, route, DNS, hosts, host loopback, ports"
  local dir=$WORK/cidrweb port hostport
  mkdir -p "$dir"
  echo "cidr page" >"$dir/index.html"
  chmod -R a+rX "$dir"
  hostport=$(free_port)
  host_httpd_start "$dir" "$hostport"
  expect_success cove run --rm --network slirp4netns:cidr=10.5.0.0/24,allow_host_loopback=true \
    "$IMG" sh -c "ip -4 addr show tap0; ip route; cat /etc/resolv.conf /etc/hosts; \
      wget -q -O - http://host.containers.internal:$hostport/index.html"
  expect_contains "$OUT" "inet 10.5.0.100/24" "tap0 address"
  expect_contains "$OUT" "default via 10.5.0.2" "default route"
  expect_line "$OUT" "nameserver 10.5.0.3" "resolv.conf"
  expect_match "$OUT" $'10.5.0.2[ \t]+host.containers.internal' "/etc/hosts: the host"
  expect_match "$OUT" $'10.5.0.100[ \t]+[0-9a-f]{12}' "/etc/hosts: the container"
  expect_contains "$OUT" "cidr page" "page from the host through the gateway"
  host_httpd_stop
  local sockets
  for sockets in true false; do
    port=$(free_port)
    cove_bg "cidr-$sockets" run --rm --network "slirp4netns:cidr=10.5.0.0/24,host_sockets=$sockets" \
      -p "127.0.0.1:$port:80" -v "$dir:/www:ro" "$IMG" sh -c 'timeout 6 httpd -f -p 80 -h /www; true'
    wait_for_url "http://127.0.0.1:$port/index.html" || fail "port $port (host_sockets=$sockets) never answered"
    expect_eq "$(curl -sf "http://127.0.0.1:$port/index.html")" "cidr page" \
      "published page with host_sockets=$sockets"
  done
  wait_bg

  TEST "slirp4netns:enable_ipv6=true gives tap0 an address in fd00::/64"
  expect_success cove run --rm --network slirp4netns:enable_ipv6=true "$IMG" \
    sh -c 'for i in $(seq 50); do ip -6 addr show tap0 | grep -q "inet6 fd00:" && break; sleep 0.2; done; ip -6 addr show tap0'
  expect_contains "$OUT" "inet6 fd00:" "tap0's IPv6 address"
}

test_dns_and_hosts() {
  TEST "--dns, --dns-search, --dns-option and --add-host are written to /etc"
  expect_success cove run --rm --dns 192.0.2.53 --dns-search example.test --dns-option ndots:2 \
    --add-host db.local:192.0.2.7 "$IMG" sh -c 'cat /etc/resolv.conf /etc/hosts'
  expect_line "$OUT" "nameserver 192.0.2.53" "nameserver"
  expect_not_contains "$OUT" "nameserver 10.0.2.3" "resolv.conf"
  expect_line "$OUT" "search example.test" "search"
  expect_line "$OUT" "options ndots:2" "options"
  expect_match "$OUT" $'192.0.2.7[ \t]+db.local' "/etc/hosts entry"
}

test_errors() {
  TEST "bad network values are refused before anything runs"
  local before
  before=$(container_count)
  expect_cove_error "unsupported network mode" cove run --rm --network bogus "$IMG" true
  expect_cove_error "allow_host_loopback" cove run --rm --network slirp4netns:port_handler=x "$IMG" true
  expect_cove_error "between 68 and 65521" cove run --rm --network slirp4netns:mtu=1 "$IMG" true
  expect_cove_error "25 or shorter" cove run --rm --network slirp4netns:cidr=10.5.0.0/28 "$IMG" true
  expect_cove_error "out of range" cove run --rm -p 70000:80 "$IMG" true
  expect_cove_error "no network to forward" cove run --rm --network none -p 8080:80 "$IMG" true
  expect_cove_error "not an IP address" cove run --rm --add-host db:nowhere "$IMG" true
  expect_cove_error "in brackets" cove run --rm -p ::1:8080:80 "$IMG" true
  expect_eq "$(container_count)" "$before" "containers left"

  TEST "a privileged host port is refused with the sysctl named"
  local start
  start=$(cat /proc/sys/net/ipv4/ip_unprivileged_port_start)
  if [[ $IDENTITY == root ]]; then
    skip_test "root may bind privileged ports"
  elif ((start <= 80)); then
    skip_test "net.ipv4.ip_unprivileged_port_start is $start"
  else
    expect_cove_error "ip_unprivileged_port_start" cove run --rm -p 127.0.0.1:80:80 "$IMG" true
  fi
}

suite_main() {
  test_default_and_none
  test_publish_tcp
  test_publish_udp
  test_host_loopback
  test_host_sockets
  test_outbound_relay
  test_slirp_options
  test_dns_and_hosts
  test_errors
  TEST "no slirp4netns is left behind"
  expect_gone "$(slirp_pids)"
}
