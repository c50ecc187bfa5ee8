#include "net/container_network.hpp"
#include "net/network_mode.hpp"
#include "net/outside_destination.hpp"
#include "net/slirp_network.hpp"
#include "net/socket_address.hpp"
#include "net/network_options.hpp"
#include "net/port_mapping.hpp"
#include "net/socket_guard.hpp"
#include "util/error.hpp"

#include <doctest/doctest.h>

#include <arpa/inet.h>

using net::NetworkDriver;
using net::NetworkMode;
using net::PortMapping;
using net::Protocol;

TEST_CASE("parse_port_mapping: the Docker forms") {
  // Without an address: 0.0.0.0, and [::] too (dual_stack), as Docker binds both.
  CHECK(net::parse_port_mapping("80") ==
        std::vector<PortMapping>{{"0.0.0.0", 0, 80, Protocol::tcp, true}});
  CHECK(net::parse_port_mapping("8080:80") ==
        std::vector<PortMapping>{{"0.0.0.0", 8080, 80, Protocol::tcp, true}});
  CHECK(net::parse_port_mapping("0.0.0.0:8080:80") ==
        std::vector<PortMapping>{{"0.0.0.0", 8080, 80, Protocol::tcp, false}});
  CHECK(net::parse_port_mapping("[::1]:8080:80") ==
        std::vector<PortMapping>{{"::1", 8080, 80, Protocol::tcp}});
  CHECK(net::parse_port_mapping("[::]::80/udp") ==
        std::vector<PortMapping>{{"::", 0, 80, Protocol::udp}});
  CHECK(net::parse_port_mapping("[fd00::1]:7000-7001:80-81").size() == 2);
  CHECK(net::parse_port_mapping("127.0.0.1:8080:80/udp") ==
        std::vector<PortMapping>{{"127.0.0.1", 8080, 80, Protocol::udp}});
  CHECK(net::parse_port_mapping("127.0.0.1::80") ==
        std::vector<PortMapping>{{"127.0.0.1", 0, 80, Protocol::tcp}});
  CHECK(net::parse_port_mapping("53/udp") ==
        std::vector<PortMapping>{{"0.0.0.0", 0, 53, Protocol::udp, true}});
}

TEST_CASE("parse_port_mapping: ranges") {
  std::vector<PortMapping> ports = net::parse_port_mapping("8000-8002:9000-9002");
  REQUIRE(ports.size() == 3);
  CHECK(ports[0] == PortMapping{"0.0.0.0", 8000, 9000, Protocol::tcp, true});
  CHECK(ports[2] == PortMapping{"0.0.0.0", 8002, 9002, Protocol::tcp, true});
  CHECK(net::parse_port_mapping("7000-7001").size() == 2);
  CHECK_THROWS_WITH_AS(net::parse_port_mapping("8000-8002:80"), doctest::Contains("differ in length"),
                       util::Error);
  CHECK_THROWS_WITH_AS(net::parse_port_mapping("90-80"), doctest::Contains("ends before"),
                       util::Error);
}

TEST_CASE("parse_port_mapping: bad input is quoted") {
  CHECK_THROWS_WITH_AS(net::parse_port_mapping("70000:80"), doctest::Contains("out of range"),
                       util::Error);
  CHECK_THROWS_WITH_AS(net::parse_port_mapping("0"), doctest::Contains("out of range"),
                       util::Error);
  CHECK_THROWS_WITH_AS(net::parse_port_mapping("http"), doctest::Contains("\"http\""),
                       util::Error);
  CHECK_THROWS_WITH_AS(net::parse_port_mapping("80/sctp"), doctest::Contains("unknown protocol"),
                       util::Error);
  CHECK_THROWS_WITH_AS(net::parse_port_mapping("300.1.1.1:80:80"),
                       doctest::Contains("not an IP address"), util::Error);
  CHECK_THROWS_WITH_AS(net::parse_port_mapping("::1:80:80"), doctest::Contains("in brackets"),
                       util::Error);
  CHECK_THROWS_WITH_AS(net::parse_port_mapping("[::1]:80"), doctest::Contains("[ADDRESS]"),
                       util::Error);
  CHECK_THROWS_WITH_AS(net::parse_port_mapping("[::1:80:80"), doctest::Contains("[ADDRESS]"),
                       util::Error);
  CHECK_THROWS_WITH_AS(net::parse_port_mapping("[::g]:80:80"),
                       doctest::Contains("not an IP address"), util::Error);
  CHECK_THROWS_AS(net::parse_port_mapping(""), util::Error);
  CHECK_THROWS_AS(net::parse_port_mapping("8080:"), util::Error);
}

TEST_CASE("exposed_port_mappings and describe") {
  std::vector<PortMapping> ports = net::exposed_port_mappings({"80/tcp", "53/udp"});
  REQUIRE(ports.size() == 2);
  CHECK(ports[0] == PortMapping{"0.0.0.0", 0, 80, Protocol::tcp, true});
  CHECK(ports[1].protocol == Protocol::udp);
  CHECK(net::describe({"127.0.0.1", 8080, 80, Protocol::udp}) == "127.0.0.1:8080->80/udp");
  CHECK(net::describe({"::", 8080, 80, Protocol::tcp}) == "[::]:8080->80/tcp");
  CHECK(net::host_address({"::1", 8080, 80, Protocol::tcp}) == "[::1]:8080");
}

TEST_CASE("NetworkMode::parse") {
  CHECK(NetworkMode::parse("none").driver == NetworkDriver::none);
  CHECK(NetworkMode::parse("host").driver == NetworkDriver::host);
  NetworkMode slirp = NetworkMode::parse("slirp4netns");
  CHECK(slirp.driver == NetworkDriver::slirp4netns);
  CHECK_FALSE(slirp.allow_host_loopback);
  NetworkMode open = NetworkMode::parse("slirp4netns:allow_host_loopback=true");
  CHECK(open.allow_host_loopback);
  CHECK(NetworkMode::parse(open.str()) == open);
  CHECK(NetworkMode::parse("slirp4netns:allow_host_loopback=false").str() == "slirp4netns");
  CHECK_FALSE(slirp.host_sockets);
  NetworkMode fast = NetworkMode::parse("slirp4netns:allow_host_loopback=true,host_sockets=true");
  CHECK(fast.host_sockets);
  CHECK(fast.allow_host_loopback);
  CHECK(fast.str() == "slirp4netns:allow_host_loopback=true,host_sockets=true");
  CHECK(NetworkMode::parse(fast.str()) == fast);
  CHECK(NetworkMode::parse("slirp4netns:host_sockets=false") == slirp);
  CHECK(slirp.port_handover);
  NetworkMode forwarded = NetworkMode::parse("slirp4netns:port_handover=false");
  CHECK_FALSE(forwarded.port_handover);
  CHECK(forwarded.str() == "slirp4netns:port_handover=false");
  CHECK(NetworkMode::parse(forwarded.str()) == forwarded);
  CHECK(open.private_namespace());
  CHECK_FALSE(NetworkMode::parse("host").private_namespace());
  CHECK(NetworkMode::parse("none").etc_kind() == net::NetworkKind::none);
  CHECK(slirp.etc_kind() == net::NetworkKind::private_net);
  CHECK_THROWS_WITH_AS(NetworkMode::parse("bridge"), doctest::Contains("unsupported network mode"),
                       util::Error);
  CHECK_THROWS_WITH_AS(NetworkMode::parse("slirp4netns:outbound_addr=eth0"),
                       doctest::Contains("unknown slirp4netns option"), util::Error);
  NetworkMode tuned = NetworkMode::parse("slirp4netns:mtu=1500,cidr=10.5.0.0/24,enable_ipv6=true");
  CHECK(tuned.mtu == 1500);
  CHECK(tuned.cidr == "10.5.0.0/24");
  CHECK(tuned.enable_ipv6);
  CHECK(NetworkMode::parse(tuned.str()) == tuned);
  CHECK(tuned.slirp_network().guest.str() == "10.5.0.100");
  CHECK(tuned.slirp_network().gateway.str() == "10.5.0.2");
  CHECK(tuned.slirp_network().dns.str() == "10.5.0.3");
  CHECK(slirp.slirp_network().guest.str() == "10.0.2.100");
  CHECK_THROWS_WITH_AS(NetworkMode::parse("slirp4netns:mtu=40"), doctest::Contains("between 68"),
                       util::Error);
  CHECK_THROWS_WITH_AS(NetworkMode::parse("slirp4netns:cidr=10.5.0.0/28"),
                       doctest::Contains("25 or shorter"), util::Error);
  CHECK_THROWS_AS(NetworkMode::parse("slirp4netns:cidr=10.5.0.1/24"), util::Error);
  CHECK_THROWS_WITH_AS(NetworkMode::parse("slirp4netns:allow_host_loopback=yes"),
                       doctest::Contains("not true or false"), util::Error);
}

TEST_CASE("NetworkOptions: checks, ports, etc files and the stored form") {
  NetworkMode slirp = NetworkMode::parse("slirp4netns");
  NetworkMode open = NetworkMode::parse("slirp4netns:allow_host_loopback=true");
  net::NetworkOptions options;
  options.publish = {"127.0.0.1:8080:80", "5353:53/udp"};
  options.publish_all = true;
  options.dns = {"192.0.2.1"};
  options.add_hosts = {"db:192.0.2.7", "gw:host-gateway"};
  CHECK_THROWS_WITH_AS(options.check(slirp), doctest::Contains("host-gateway needs"), util::Error);
  CHECK_NOTHROW(options.check(open));
  CHECK_THROWS_WITH_AS(options.check(NetworkMode::parse("none")),
                       doctest::Contains("cannot publish ports"), util::Error);
  CHECK(options.port_mappings({"9000/tcp"}).size() == 3);

  net::EtcFilesRequest files = options.etc_files(open, "box");
  CHECK(files.hostname == "box");
  CHECK(files.network == net::NetworkKind::private_net);
  CHECK(files.dns_servers == std::vector<std::string>{"192.0.2.1"});
  REQUIRE(files.extra_hosts.size() == 3);
  CHECK(files.extra_hosts[1].second == "10.0.2.2");
  CHECK(files.extra_hosts[2].first == "host.containers.internal");

  options.add_hosts = {"db:192.0.2.7"};
  CHECK(options.etc_files(slirp, "box").extra_hosts.size() == 1);
  CHECK(net::NetworkOptions::from_json(options.to_json()) == options);
  CHECK(net::NetworkOptions::from_json(nlohmann::json::object()) == net::NetworkOptions{});
  options.dns = {"dns.example"};
  CHECK_THROWS_WITH_AS(options.check(slirp), doctest::Contains("invalid --dns"), util::Error);
}

TEST_CASE("parse_add_host") {
  NetworkMode slirp = NetworkMode::parse("slirp4netns");
  CHECK(net::parse_add_host("db:fd00::1", slirp) == std::pair<std::string, std::string>{"db", "fd00::1"});
  CHECK_THROWS_WITH_AS(net::parse_add_host("db", slirp), doctest::Contains("NAME:IP"), util::Error);
  CHECK_THROWS_WITH_AS(net::parse_add_host(":1.2.3.4", slirp), doctest::Contains("NAME:IP"),
                       util::Error);
}

TEST_CASE("NetworkMode: user-defined networks, one or several, with aliases") {
  net::NetworkMode one = net::NetworkMode::parse("web:alias=a,alias=b");
  CHECK(one.driver == net::NetworkDriver::bridge);
  REQUIRE(one.networks.size() == 1);
  CHECK(one.networks[0].name == "web");
  CHECK(one.networks[0].aliases == std::vector<std::string>{"a", "b"});
  CHECK(one.str() == "web:alias=a,alias=b");
  net::NetworkMode two = net::NetworkMode::parse("front:alias=x+back");
  REQUIRE(two.networks.size() == 2);
  CHECK(two.networks[1].name == "back");
  CHECK(two.networks[1].aliases.empty());
  CHECK(two.find_network("back") != nullptr);
  CHECK(two.find_network("other") == nullptr);
  CHECK(net::NetworkMode::parse(two.str()) == two);
  CHECK_THROWS_WITH_AS(net::NetworkMode::parse("a+host"), doctest::Contains("only user-defined"),
                       util::Error);
  CHECK_THROWS_WITH_AS(net::NetworkMode::parse("a+a"), doctest::Contains("given twice"),
                       util::Error);
  CHECK_THROWS_WITH_AS(net::NetworkMode::parse("a:mtu=9"), doctest::Contains("alias=NAME"),
                       util::Error);
}

TEST_CASE("NetworkOptions::check: container: mode refuses what belongs to the other container") {
  net::NetworkMode mode = net::NetworkMode::parse("container:web");
  net::NetworkOptions none;
  CHECK_NOTHROW(none.check(mode));
  net::NetworkOptions ports;
  ports.publish = {"8080:80"};
  CHECK_THROWS_WITH_AS(ports.check(mode), doctest::Contains("conflicting options: -p/-P"),
                       util::Error);
  net::NetworkOptions dns;
  dns.dns_search = {"example.test"};
  CHECK_THROWS_WITH_AS(dns.check(mode), doctest::Contains("--dns"), util::Error);
  net::NetworkOptions hosts;
  hosts.add_hosts = {"a:10.1.1.1"};
  CHECK_THROWS_WITH_AS(hosts.check(mode), doctest::Contains("--add-host"), util::Error);
}

TEST_CASE("ContainerNetwork::socket_filter: what a slirp4netns container's filter catches") {
  using net::ContainerNetwork;
  auto filter = [](std::string_view mode, std::vector<std::string> ports) {
    ContainerNetwork::Request request;
    request.mode = NetworkMode::parse(mode);
    for (const std::string& p : ports)
      for (const PortMapping& m : net::parse_port_mapping(p))
        request.ports.push_back(m);
    return ContainerNetwork::socket_filter(request);
  };
  auto relay_only = filter("slirp4netns", {});
  REQUIRE(relay_only);
  CHECK(relay_only->relay);
  CHECK_FALSE(relay_only->host_sockets);
  // TCP ports are handed over (guarded, or with every connect done by the supervisor).
  auto published = filter("slirp4netns", {"8080:80"});
  REQUIRE(published);
  CHECK(published->relay);
  CHECK(published->host_sockets);
  CHECK_FALSE(filter("slirp4netns", {"5353:53/udp"})->host_sockets);
  CHECK_FALSE(filter("slirp4netns:port_handover=false", {"8080:80"})->host_sockets);
  auto host = filter("slirp4netns:host_sockets=true", {});
  REQUIRE(host);
  CHECK_FALSE(host->relay);
  CHECK(host->host_sockets);
  CHECK_FALSE(filter("slirp4netns:outbound_relay=false", {}));
  CHECK_FALSE(filter("slirp4netns:outbound_relay=false,port_handover=false", {"8080:80"}));
  CHECK_FALSE(filter("none", {}));
  CHECK_FALSE(filter("pasta", {"8080:80"}));
}

TEST_CASE("outside_destination: what cove's namespace dials for a slirp4netns container") {
  net::SlirpNetwork slirp = net::SlirpNetwork::standard();
  auto dial = [&](const char* ip, bool host_loopback) -> std::string {
    std::optional<net::SocketAddress> asked = net::address_in(AF_INET, ip, 80);
    REQUIRE(asked);
    std::optional<net::SocketAddress> target =
        net::outside_destination(*asked, slirp.subnet, slirp.gateway, host_loopback);
    if (!target)
      return "stays";
    char text[INET_ADDRSTRLEN] = {};
    ::inet_ntop(AF_INET, &target->v4().sin_addr, text, sizeof text);
    return text;
  };
  CHECK(dial("192.0.2.7", false) == "192.0.2.7");
  CHECK(dial("10.0.2.2", false) == "stays");     // the host, not allowed
  CHECK(dial("10.0.2.2", true) == "127.0.0.1");  // the host's loopback, allowed
  CHECK(dial("10.0.2.100", true) == "stays");    // the container's own network
  CHECK(dial("127.0.0.1", true) == "stays");
  CHECK(dial("0.1.2.3", true) == "stays");
  CHECK(dial("224.0.0.1", true) == "stays");
  CHECK(dial("255.255.255.255", true) == "stays");
  std::optional<net::SocketAddress> mapped = net::address_in(AF_INET6, "192.0.2.7", 80);
  REQUIRE(mapped);
  CHECK(net::outside_destination(*mapped, slirp.subnet, slirp.gateway, false));
  std::optional<net::SocketAddress> v6 = net::address_in(AF_INET6, "2001:db8::1", 80);
  REQUIRE(v6);
  CHECK_FALSE(net::outside_destination(*v6, slirp.subnet, slirp.gateway, true));
  net::SocketAddress truncated = *net::address_in(AF_INET, "192.0.2.7", 80);
  truncated.length = 4;
  CHECK_FALSE(net::outside_destination(truncated, slirp.subnet, slirp.gateway, true));
}
