# User-defined networks: network create/ls/inspect/rm/prune, containers reaching each other by
# name and alias (also one started later), isolation between networks, ports published from a
# container on a network, outbound traffic (to a namespace the suite makes), and the shared
# network namespace (its holder and its one slirp4netns) gone once no container uses it, also
# after a SIGKILL. Traffic stays on 127.0.0.1 and in the namespaces cove or the suite makes.

suite_probe() {
  command -v slirp4netns >/dev/null || { echo "slirp4netns is not installed"; return 1; }
  command -v curl >/dev/null || { echo "curl is not installed"; return 1; }
  command -v python3 >/dev/null || { echo "python3 is not installed"; return 1; }
  [[ -c /dev/net/tun ]] || { echo "/dev/net/tun is missing"; return 1; }
  as_user test -r /dev/net/tun -a -w /dev/net/tun ||
    { echo "/dev/net/tun is not usable by the test user (chmod 0666 /dev/net/tun)"; return 1; }
}

# cove's runtime directory for this identity: the suite's --runroot as root; rootless (no
# XDG_RUNTIME_DIR in the harness) cove's private default, /tmp/cove-run-<uid>.
runroot() {
  if [[ $IDENTITY == root ]]; then echo "$T/runroot"; else echo "/tmp/cove-run-$RUN_UID"; fi
}

# The holder: the process listening on its socket under the runroot.
holder_pid() {
  ss -Hxlp src "$(runroot)/netns/holder.sock" 2>/dev/null | grep -o 'pid=[0-9]*' | head -n 1 |
    cut -d= -f2
}
# The shared namespace's slirp4netns: the holder's child.
shared_slirp() {
  local holder
  holder=$(holder_pid)
  [[ -n $holder ]] && pgrep -P "$holder" -x slirp4netns | tr '\n' ' '
}

# Waits up to 20 s until the holder (HOLDER, else the one running now) and its slirp4netns
# (SLIRP, else the holder's child now) are gone.
expect_namespace_gone() {
  local holder=${1:-$(holder_pid)} slirp=${2:-$(shared_slirp)} left pid
  for _ in $(seq 1 200); do
    left=""
    for pid in $holder $slirp; do kill -0 "$pid" 2>/dev/null && left+="$pid "; done
    [[ -z $left && -z $(holder_pid) ]] && return 0
    sleep 0.1
  done
  fail "still running after 20 s: $(describe_pids $left $(holder_pid))"
}

# The address of container $2 on network $1 (from network inspect).
address_of() {
  cove network inspect "$1"
  python3 -c 'import json, sys
doc = json.loads(sys.argv[1])[0]
for c in doc["containers"].values():
    if c["name"] == sys.argv[2]:
        print(c["interfaces"]["eth0"]["subnets"][0]["ipnet"].split("/")[0])' "$OUT" "$2"
}

test_records() {
  TEST "network create allocates non-overlapping subnets; ls and inspect show them"
  expect_success cove network create netA
  expect_eq "$OUT" netA "printed name"
  expect_success cove network create --subnet 10.77.0.0/24 --label team=x netB
  expect_cove_error "already used" cove network create netA
  expect_cove_error "overlaps" cove network create --subnet 10.77.0.128/25 netC
  expect_cove_error "invalid subnet" cove network create --subnet 10.77.0.1/24 netC
  expect_cove_error "reserved" cove network create host
  expect_success cove network ls
  expect_match "$OUT" "^NETWORK ID +NAME +DRIVER" "header"
  expect_match "$OUT" "[0-9a-f]{12} +netA +bridge" "netA row"
  expect_success cove network ls -q
  expect_eq "$(wc -l <<<"$OUT")" 2 "ids"
  expect_success cove network inspect netA
  expect_contains "$OUT" '"driver": "bridge"' "driver"
  expect_contains "$OUT" '"subnet": "10.89.0.0/24"' "first free subnet"
  expect_contains "$OUT" '"gateway": "10.89.0.1"' "gateway"
  expect_success cove network inspect --format '{{.name}} {{.labels.team}}' netB
  expect_eq "$OUT" "netB x" "template"
  expect_cove_error "not found" cove network inspect nosuch
  expect_cove_error "no network nosuch" cove run --rm --network nosuch "$IMG" true
  expect_cove_error "user-defined networks" cove run --rm --network-alias x "$IMG" true
}

# wait_http CTR URL: waits up to 10 s until a fetch of URL from inside CTR works (a server started
# with run -d may not listen yet when run returns).
wait_http() {
  local i
  for i in $(seq 1 100); do
    cove exec "$1" timeout 10 wget -q -O /dev/null "$2"
    [[ $RC == 0 ]] && return 0
    sleep 0.1
  done
  fail "$2 never answered from $1"
}

test_names_and_isolation() {
  local www=$WORK/www-user ip
  mkdir -p "$www"
  echo "hello from web" >"$www/index.html"
  chmod -R a+rX "$www"

  TEST "a container reaches another by name and by alias on the same network"
  expect_success cove run -d --name web --network netA --network-alias www -v "$www:/www:ro" \
    "$IMG" httpd -f -p 80 -h /www
  expect_success cove run --rm --network netA "$IMG" timeout 10 wget -q -O - http://web/
  expect_eq "$OUT" "hello from web" "by name"
  expect_success cove run --rm --network netA "$IMG" timeout 10 wget -q -O - http://www/
  expect_eq "$OUT" "hello from web" "by alias"
  expect_success cove run --rm --network netA "$IMG" ip route
  expect_contains "$OUT" "default via 10.89.0.1" "default route via the bridge"

  TEST "a container started later is reachable by name from an earlier one"
  expect_success cove run -d --name web2 --network netA -v "$www:/www:ro" "$IMG" httpd -f -p 80 -h /www
  wait_http web2 http://127.0.0.1/
  expect_success cove exec web timeout 10 wget -q -O - http://web2/
  expect_eq "$OUT" "hello from web" "web -> web2"
  expect_success cove exec web2 timeout 10 wget -q -O - http://www/
  expect_eq "$OUT" "hello from web" "web2 -> www"

  TEST "two networks are isolated from each other"
  ip=$(address_of netA web)
  expect_match "$ip" '^10\.89\.0\.[0-9]+$' "web's address"
  expect_failure 1 "can't connect" cove run --rm --network netB "$IMG" timeout 10 wget -q -O - "http://$ip/"
  expect_success cove run --rm --network netB "$IMG" cat /etc/hosts
  expect_not_contains "$OUT" "web" "netB's hosts file"

  TEST "network rm is refused while a container uses the network"
  expect_cove_error "in use" cove network rm netA
  expect_success cove network ls -q
  expect_eq "$(wc -l <<<"$OUT")" 2 "networks left"

  TEST "a port published from a container on a user network answers on the host's loopback"
  local port
  port=$(free_port)
  expect_success cove run -d --name pub --network netB -p "127.0.0.1:$port:80" \
    -v "$www:/www:ro" "$IMG" httpd -f -p 80 -h /www
  wait_for_url "http://127.0.0.1:$port/" || fail "nothing answered on 127.0.0.1:$port"
  expect_success curl -sf "http://127.0.0.1:$port/"
  expect_eq "$OUT" "hello from web" "through the published port"
  expect_success cove port pub
  expect_eq "$OUT" "80/tcp -> 127.0.0.1:$port" "cove port"
  TEST "a port already published is refused clearly on a user network too"
  expect_cove_error "in use" cove run --rm --network netA -p "127.0.0.1:$port:80" "$IMG" true
  expect_success cove rm -f pub
  TEST "the published port is released with its container"
  for _ in $(seq 1 100); do
    curl -s -o /dev/null "http://127.0.0.1:$port/" || break
    sleep 0.1
  done
  expect_failure 7 "" curl -s -o /dev/null "http://127.0.0.1:$port/"

  TEST "one holder and one slirp4netns serve all the containers"
  local holder slirp
  holder=$(holder_pid)
  [[ -n $holder ]] || fail "no holder found"
  slirp=$(shared_slirp)
  expect_eq "$(wc -w <<<"$slirp")" 1 "shared slirp4netns processes"

  TEST "when the last container is removed the namespace, its helpers and the port go away"
  expect_success cove rm -f web web2
  expect_namespace_gone "$holder" "$slirp"
  expect_success cove network inspect --format '{{len .containers}}' netA
  expect_eq "$OUT" 0 "endpoints left on netA"
}

# Outbound traffic from a user network, to a network namespace this test makes (a veth pair from
# the host's namespace; never another address): slirp4netns connects from the host's side.
test_outbound() {
  TEST "a container on a user network reaches a server outside (in a namespace the test made)"
  command -v ip >/dev/null || { skip_test "iproute2's ip is not installed"; return; }
  # The identities' runs of this suite go in parallel: each takes its own host-side subnet.
  local ns=covext$$ www=$WORK/www-outside net
  case $IDENTITY in user) net=10.199.77 ;; nosub) net=10.199.78 ;; *) net=10.199.79 ;; esac
  mkdir -p "$www"
  echo "hello from outside" >"$www/index.html"
  ip netns add "$ns" || { skip_test "cannot create a network namespace here"; return; }
  ip link add cvx$$ type veth peer name eth0 netns "$ns"
  ip addr add "$net.1/30" dev cvx$$
  ip link set cvx$$ up
  ip -n "$ns" addr add "$net.2/30" dev eth0
  ip -n "$ns" link set eth0 up
  ip -n "$ns" link set lo up
  ip netns exec "$ns" busybox httpd -p 8080 -h "$www"
  expect_success cove run --rm --network netA "$IMG" timeout 10 wget -q -O - "http://$net.2:8080/"
  expect_eq "$OUT" "hello from outside" "outbound from netA"
  ip netns pids "$ns" | xargs -r kill
  ip link del cvx$$ 2>/dev/null
  ip netns del "$ns"
}

test_create_start() {
  local www=$WORK/www-user
  TEST "create then start puts a container on its user network (with its published port)"
  local port
  port=$(free_port)
  expect_success cove create --name later --network netA --network-alias late \
    -p "127.0.0.1:$port:80" -v "$www:/www:ro" "$IMG" httpd -f -p 80 -h /www
  expect_success cove start later
  wait_for_url "http://127.0.0.1:$port/" || fail "nothing answered on 127.0.0.1:$port"
  expect_success curl -sf "http://127.0.0.1:$port/"
  expect_eq "$OUT" "hello from web" "published port of a started container"
  expect_success cove run --rm --network netA "$IMG" timeout 10 wget -q -O - http://late/
  expect_eq "$OUT" "hello from web" "by alias"

  TEST "restart keeps a container on its user network"
  expect_success cove restart -t 1 later
  wait_for_url "http://127.0.0.1:$port/" || fail "nothing answered on 127.0.0.1:$port after restart"
  expect_success cove run --rm --network netA "$IMG" timeout 10 wget -q -O - http://later/
  expect_eq "$OUT" "hello from web" "by name after restart"
  expect_success cove network inspect --format '{{len .containers}}' netA
  expect_eq "$OUT" 1 "endpoints on netA"

  TEST "start refuses a mix of containers needing different namespaces"
  expect_success cove create --name solo --network none "$IMG" true
  expect_success cove run -d --name peer0 --network none "$IMG" sleep 1000
  expect_success cove create --name joined --network container:peer0 "$IMG" true
  expect_cove_error "one at a time" cove start later joined
  expect_success cove rm -f later solo joined peer0
  expect_namespace_gone ""
}

test_connect() {
  local www=$WORK/www-user
  TEST "run on two networks: reachable from both, by name"
  expect_success cove run -d --name both --network netA --network netB -v "$www:/www:ro" \
    "$IMG" httpd -f -p 80 -h /www
  wait_http both http://127.0.0.1/
  expect_success cove run --rm --network netA "$IMG" timeout 10 wget -q -O - http://both/
  expect_eq "$OUT" "hello from web" "from netA"
  expect_success cove run --rm --network netB "$IMG" timeout 10 wget -q -O - http://both/
  expect_eq "$OUT" "hello from web" "from netB"
  expect_success cove exec both ip -o -4 addr
  expect_contains "$OUT" "eth1" "second interface"

  TEST "network connect puts a running container on one more network at once"
  expect_success cove run -d --name joiner --network netA -v "$www:/www:ro" "$IMG" httpd -f -p 80 -h /www
  wait_http joiner http://127.0.0.1/
  expect_failure 1 "" cove run --rm --network netB "$IMG" timeout 5 wget -q -O - http://joiner/
  expect_success cove network connect --alias joined netB joiner
  expect_success cove run --rm --network netB "$IMG" timeout 10 wget -q -O - http://joined/
  expect_eq "$OUT" "hello from web" "by its new alias from netB"
  expect_success cove exec both timeout 10 wget -q -O - http://joiner/
  expect_eq "$OUT" "hello from web" "a peer's hosts file learned the name"
  expect_cove_error "already connected" cove network connect netB joiner

  TEST "network disconnect takes it off that network at once"
  expect_success cove network disconnect netB joiner
  expect_failure 1 "" cove run --rm --network netB "$IMG" timeout 5 wget -q -O - http://joined/
  expect_success cove exec joiner ip -o -4 addr
  expect_not_contains "$OUT" "eth1" "interfaces after disconnect"
  expect_cove_error "not connected" cove network disconnect netB joiner
  expect_cove_error "only network" cove network disconnect netA joiner

  TEST "network connect of a stopped container takes effect when it starts"
  expect_success cove stop -t 1 joiner
  expect_success cove network connect netB joiner
  expect_success cove start joiner
  wait_http joiner http://127.0.0.1/
  expect_success cove run --rm --network netB "$IMG" timeout 10 wget -q -O - http://joiner/
  expect_eq "$OUT" "hello from web" "from netB after start"
  expect_success cove inspect --format '{{.HostConfig.NetworkMode}}' joiner

  TEST "network disconnect of a running container's first network hands the default route on"
  expect_success cove network disconnect netA both
  expect_success cove exec both ip route
  expect_match "$OUT" "default via [0-9.]+ dev eth1" "default route"
  expect_not_contains "$OUT" "eth0" "routes"
  expect_success cove run --rm --network netB "$IMG" timeout 10 wget -q -O - http://both/
  expect_eq "$OUT" "hello from web" "from netB"
  expect_failure 1 "" cove run --rm --network netA "$IMG" timeout 5 wget -q -O - http://both/
  expect_success cove inspect --format '{{.HostConfig.NetworkMode}}' both
  expect_eq "$OUT" "netB" "network mode"
  local pubport
  pubport=$(free_port)
  expect_success cove run -d --name pub --network netA --network netB -p "127.0.0.1:$pubport:80" \
    -v "$www:/www:ro" "$IMG" httpd -f -p 80 -h /www
  expect_cove_error "published ports" cove network disconnect netA pub
  expect_success cove rm -f pub

  TEST "network connect refuses a container with its own slirp4netns"
  expect_success cove create --name lone "$IMG" true
  expect_cove_error "only containers on user-defined networks" cove network connect netA lone
  expect_success cove rm -f both joiner lone
  expect_namespace_gone ""
}

test_sigkill() {
  TEST "after a SIGKILL of the container's monitor, the holder releases and exits"
  expect_success cove run -d --name victim --network netA "$IMG" sleep 1000
  local holder pid monitor slirp
  holder=$(holder_pid)
  [[ -n $holder ]] || fail "no holder found"
  slirp=$(shared_slirp)
  expect_success cove inspect --format '{{.State.Pid}}' victim
  pid=$OUT
  monitor=$(awk '/^PPid:/ { print $2 }' "/proc/$pid/status" 2>/dev/null)
  [[ -n $monitor ]] && kill -KILL "$monitor"
  expect_namespace_gone "$holder" "$slirp"
  expect_success cove network inspect --format '{{len .containers}}' netA
  expect_eq "$OUT" 0 "endpoints left on netA"
  expect_success cove rm -f victim

  TEST "a new container after that starts a fresh namespace"
  expect_success cove run --rm --network netA "$IMG" cat /etc/hosts
  expect_match "$OUT" "10\.89\.0\.[0-9]+"$'\t'"[0-9a-z_]+" "own entry"
  expect_namespace_gone ""
}

test_rm_prune() {
  TEST "network rm and prune remove unused networks"
  expect_success cove network rm netB
  expect_eq "$OUT" netB "removed"
  expect_success cove network create netD
  expect_success cove network prune -f
  expect_contains "$OUT" netA "pruned"
  expect_contains "$OUT" netD "pruned"
  expect_success cove network ls -q
  expect_eq "$OUT" "" "networks left"
}

suite_main() {
  test_records
  test_names_and_isolation
  test_outbound
  test_create_start
  test_connect
  test_sigkill
  test_rm_prune
}
