#include "net/hosts_sync.hpp"
#include "net/ipam.hpp"
#include "net/network_store.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/strings.hpp"
#include "util/temp_dir.hpp"

#include <doctest/doctest.h>

#include <unistd.h>

using net::Ipv4;
using net::Subnet;

TEST_CASE("Ipv4::parse and str round-trip; bad text is quoted") {
  CHECK(Ipv4::parse("10.89.0.2").value == 0x0a590002u);
  CHECK(Ipv4::parse("255.255.255.255").str() == "255.255.255.255");
  CHECK(Ipv4::parse("0.0.0.0").str() == "0.0.0.0");
  for (const char* bad : {"10.89.0", "10.89.0.256", "10.89.0.-1", "a.b.c.d", "10.89..1", "", "1.2.3.4.5"})
    CHECK_THROWS_WITH_AS(Ipv4::parse(bad), doctest::Contains("invalid IPv4 address"), util::Error);
}

TEST_CASE("Subnet::parse: CIDR text, host bits and prefix limits") {
  Subnet s = Subnet::parse("10.89.3.0/24");
  CHECK(s.str() == "10.89.3.0/24");
  CHECK(s.first_host().str() == "10.89.3.1");
  CHECK(s.broadcast().str() == "10.89.3.255");
  CHECK(s.contains(Ipv4::parse("10.89.3.77")));
  CHECK_FALSE(s.contains(Ipv4::parse("10.89.4.1")));
  CHECK(Subnet::parse("172.20.0.0/16").mask() == 0xffff0000u);
  CHECK_THROWS_WITH_AS(Subnet::parse("10.89.3.1/24"), doctest::Contains("host bits are set"),
                       util::Error);
  CHECK_THROWS_WITH_AS(Subnet::parse("10.89.3.0/31"), doctest::Contains("between 8 and 30"),
                       util::Error);
  CHECK_THROWS_WITH_AS(Subnet::parse("10.89.3.0"), doctest::Contains("prefix"), util::Error);
  CHECK_THROWS_WITH_AS(Subnet::parse("10.89.3.0/x"), doctest::Contains("10.89.3.0/x"), util::Error);
}

TEST_CASE("Subnet::overlaps is symmetric and respects prefixes") {
  Subnet wide = Subnet::parse("10.89.0.0/16");
  Subnet narrow = Subnet::parse("10.89.7.0/24");
  Subnet other = Subnet::parse("10.90.0.0/24");
  CHECK(wide.overlaps(narrow));
  CHECK(narrow.overlaps(wide));
  CHECK_FALSE(narrow.overlaps(other));
  CHECK_FALSE(Subnet::parse("10.89.6.0/24").overlaps(narrow));
}

TEST_CASE("allocate_subnet: the first free /24 of 10.89.0.0/16, skipping overlaps") {
  CHECK(net::allocate_subnet({}).str() == "10.89.0.0/24");
  CHECK(net::allocate_subnet({Subnet::parse("10.89.0.0/24"), Subnet::parse("10.89.2.0/24")}).str() ==
        "10.89.1.0/24");
  CHECK(net::allocate_subnet({Subnet::parse("10.89.0.0/23")}).str() == "10.89.2.0/24");
  CHECK(net::allocate_subnet({Subnet::parse("10.89.0.0/16")}).str() == "10.90.0.0/24");
  CHECK_THROWS_WITH_AS(net::allocate_subnet({Subnet::parse("10.0.0.0/8")}),
                       doctest::Contains("no free subnet"), util::Error);
}

TEST_CASE("allocate_address: lowest free host, never network, gateway or broadcast; release") {
  Subnet s = Subnet::parse("10.89.0.0/29"); // hosts .1 - .6
  Ipv4 gw = s.first_host();
  std::vector<Ipv4> used;
  for (int i = 2; i <= 6; ++i) {
    std::optional<Ipv4> ip = net::allocate_address(s, gw, used);
    REQUIRE(ip);
    CHECK(ip->str() == "10.89.0." + std::to_string(i));
    used.push_back(*ip);
  }
  CHECK_FALSE(net::allocate_address(s, gw, used)); // full
  used.erase(used.begin() + 2);                    // .4 released
  CHECK(net::allocate_address(s, gw, used)->str() == "10.89.0.4");
  // A gateway elsewhere in the subnet frees .1.
  CHECK(net::allocate_address(s, Ipv4::parse("10.89.0.6"), {})->str() == "10.89.0.1");
}

TEST_CASE("NetworkRecord: JSON round-trip with endpoints") {
  net::NetworkRecord record;
  record.name = "web";
  record.id = std::string(64, 'a');
  record.subnet = Subnet::parse("10.89.5.0/24");
  record.gateway = Ipv4::parse("10.89.5.1");
  record.internal = true;
  record.labels = {{"k", "v"}};
  record.created = "2026-01-01T00:00:00Z";
  net::Endpoint e;
  e.container_id = std::string(64, 'b');
  e.container_name = "srv";
  e.aliases = {"www", "api"};
  e.address = Ipv4::parse("10.89.5.2");
  e.interface = "eth0";
  e.pid = 1234;
  e.start_time = 99;
  e.hosts_file = "/x/hosts";
  e.publishes = true;
  record.endpoints.push_back(e);
  net::NetworkRecord back = net::NetworkRecord::from_json(record.to_json());
  CHECK(back.to_json() == record.to_json());
  CHECK(back.endpoints.at(0).publishes);
  CHECK(back.bridge_name() == "coveaaaaaaaaaa");
  CHECK(back.bridge_name().size() <= 15);
  CHECK_THROWS_AS(net::NetworkRecord::from_json(nlohmann::json{{"name", "x"}}), util::Error);
}

TEST_CASE("NetworkStore: create allocates subnets without overlap, rejects bad names") {
  util::TempDir dir(std::filesystem::temp_directory_path(), "cove-test-netstore");
  net::NetworkStore store(dir.path());
  auto lock = store.lock();
  net::NetworkRecord a = store.create({"net1", std::nullopt, std::nullopt, false, {}});
  net::NetworkRecord b = store.create({"net2", std::nullopt, std::nullopt, false, {}});
  CHECK(a.subnet.str() == "10.89.0.0/24");
  CHECK(a.gateway.str() == "10.89.0.1");
  CHECK(b.subnet.str() == "10.89.1.0/24");
  CHECK(store.get("net1").id == a.id);
  CHECK(store.get(b.id.substr(0, 12)).name == "net2");
  CHECK_THROWS_WITH_AS(store.create({"net1", std::nullopt, std::nullopt, false, {}}),
                       doctest::Contains("already used"), util::Error);
  CHECK_THROWS_WITH_AS(
      store.create({"c", Subnet::parse("10.89.0.0/16"), std::nullopt, false, {}}),
      doctest::Contains("overlaps"), util::Error);
  CHECK_THROWS_WITH_AS(
      store.create({"c", Subnet::parse("10.50.0.0/24"), Ipv4::parse("10.51.0.1"), false, {}}),
      doctest::Contains("not a host address"), util::Error);
  CHECK_THROWS_WITH_AS(store.create({"host", std::nullopt, std::nullopt, false, {}}),
                       doctest::Contains("reserved"), util::Error);
  CHECK_THROWS_WITH_AS(store.create({"-x", std::nullopt, std::nullopt, false, {}}),
                       doctest::Contains("invalid network name"), util::Error);
  store.remove(a);
  CHECK_FALSE(store.find("net1"));
  CHECK(store.list().size() == 1);
  CHECK_THROWS_WITH_AS(store.get("zzz"), doctest::Contains("network zzz not found"), util::Error);
}

TEST_CASE("prune_dead_endpoints keeps live processes only") {
  net::NetworkRecord record;
  net::Endpoint live;
  live.pid = ::getpid();
  std::string stat = util::read_file("/proc/self/stat");
  std::vector<std::string> fields = util::split(stat.substr(stat.rfind(')') + 2), ' ');
  live.start_time = std::stoull(fields[19]);
  net::Endpoint reused = live;
  reused.start_time = live.start_time + 1; // same pid, another process
  record.endpoints = {live, reused};
  std::vector<net::Endpoint> dead = net::prune_dead_endpoints(record);
  CHECK(record.endpoints.size() == 1);
  CHECK(dead.size() == 1);
  CHECK(dead[0].start_time == reused.start_time);
}

TEST_CASE("hosts_with_peers replaces only the peers section; names listed once") {
  std::string base = "127.0.0.1\tlocalhost\n";
  std::vector<net::HostsPeer> peers = {{Ipv4::parse("10.89.0.2"), {"a", "web"}},
                                       {Ipv4::parse("10.89.0.3"), {"b", "web"}}};
  std::string once = net::hosts_with_peers(base, peers);
  CHECK(once.rfind(base, 0) == 0);
  CHECK(once.find("10.89.0.2\ta web\n") != std::string::npos);
  CHECK(once.find("10.89.0.3\tb\n") != std::string::npos);
  std::string twice = net::hosts_with_peers(once, {{Ipv4::parse("10.89.0.9"), {"c"}}});
  CHECK(twice.find("10.89.0.2") == std::string::npos);
  CHECK(twice.find("10.89.0.9\tc\n") != std::string::npos);
  CHECK(twice.rfind(base, 0) == 0);
}

TEST_CASE("peers_of lists the container's own entry first, then its networks' others") {
  net::NetworkRecord n1;
  net::NetworkRecord n2;
  net::Endpoint a;
  a.container_id = "A";
  a.container_name = "a";
  a.address = Ipv4::parse("10.89.0.2");
  net::Endpoint b = a;
  b.container_id = "B";
  b.container_name = "b";
  b.address = Ipv4::parse("10.89.0.3");
  net::Endpoint c = a;
  c.container_id = "C";
  c.container_name = "c";
  c.address = Ipv4::parse("10.89.1.2");
  n1.endpoints = {b, a};
  n2.endpoints = {c};
  std::vector<net::HostsPeer> peers = net::peers_of("A", {n1, n2});
  REQUIRE(peers.size() == 2);
  CHECK(peers[0].names[0] == "a");
  CHECK(peers[1].names[0] == "b"); // c is on another network
}
