#include "cli/port_list.hpp"

#include "util/error.hpp"

#include <doctest/doctest.h>

TEST_SUITE("cli.port_list") {
  TEST_CASE("recorded ports parse back") {
    auto ports = cli::parse_published_ports("127.0.0.1:8080->80/tcp\n0.0.0.0:5353->53/udp\n");
    REQUIRE(ports.size() == 2);
    CHECK(ports[0].host_ip == "127.0.0.1");
    CHECK(ports[0].host_port == 8080);
    CHECK(ports[0].container_port == 80);
    CHECK(ports[0].protocol == net::Protocol::tcp);
    CHECK(ports[1].protocol == net::Protocol::udp);
    CHECK(cli::parse_published_ports("").empty());
    auto v6 = cli::parse_published_ports("[::]:8080->80/tcp\n");
    REQUIRE(v6.size() == 1);
    CHECK(v6[0].host_ip == "::");
    CHECK(v6[0].host_port == 8080);
    CHECK_THROWS_AS(cli::parse_published_ports("8080->80/tcp"), util::Error);
    CHECK_THROWS_AS(cli::parse_published_ports("1.2.3.4:x->80/tcp"), util::Error);
    CHECK_THROWS_AS(cli::parse_published_ports("1.2.3.4:80->80/sctp"), util::Error);
  }

  TEST_CASE("Docker's lines for all ports, sorted") {
    auto ports = cli::parse_published_ports(
        "127.0.0.1:9000->8000/tcp\n127.0.0.1:5353->53/udp\n127.0.0.1:8080->80/tcp\n");
    CHECK(cli::describe_all_ports(ports) ==
          std::vector<std::string>{"53/udp -> 127.0.0.1:5353", "80/tcp -> 127.0.0.1:8080",
                                   "8000/tcp -> 127.0.0.1:9000"});
  }

  TEST_CASE("one private port, tcp unless told") {
    auto ports = cli::parse_published_ports(
        "127.0.0.1:8080->80/tcp\n127.0.0.1:8081->80/tcp\n127.0.0.1:5353->80/udp\n");
    CHECK(cli::describe_port(ports, cli::parse_port_query("80")) ==
          std::vector<std::string>{"127.0.0.1:8080", "127.0.0.1:8081"});
    CHECK(cli::describe_port(ports, cli::parse_port_query("80/udp")) ==
          std::vector<std::string>{"127.0.0.1:5353"});
    CHECK(cli::describe_port(ports, cli::parse_port_query("81")).empty());
    CHECK_THROWS_AS(cli::parse_port_query("0"), util::Error);
    CHECK_THROWS_AS(cli::parse_port_query("http"), util::Error);
    CHECK_THROWS_AS(cli::parse_port_query("80/icmp"), util::Error);
  }

  TEST_CASE("ps: ports sorted by private port, consecutive ones collapsed into ranges") {
    auto ports = cli::parse_published_ports("0.0.0.0:9000->90/udp\n127.0.0.1:8080->80/tcp\n");
    CHECK(cli::describe_port_ranges(cli::collapse_ports(ports)) ==
          "127.0.0.1:8080->80/tcp, 0.0.0.0:9000->90/udp");
    ports = cli::parse_published_ports("0.0.0.0:8001->81/tcp\n0.0.0.0:8000->80/tcp\n"
                                       "0.0.0.0:8002->82/udp\n0.0.0.0:8003->83/tcp\n");
    auto ranges = cli::collapse_ports(ports);
    REQUIRE(ranges.size() == 3);
    CHECK(ranges[0] == cli::PortRange{"0.0.0.0", 8000, 80, 2, net::Protocol::tcp});
    CHECK(cli::describe_port_ranges(ranges) ==
          "0.0.0.0:8000-8001->80-81/tcp, 0.0.0.0:8002->82/udp, 0.0.0.0:8003->83/tcp");
    CHECK(cli::describe_port_ranges({}).empty());
    ports = cli::parse_published_ports("[::]:8080->80/tcp\n0.0.0.0:8080->80/tcp\n");
    CHECK(cli::describe_port_ranges(cli::collapse_ports(ports)) ==
          "0.0.0.0:8080->80/tcp, [::]:8080->80/tcp");
    CHECK(cli::describe_all_ports(ports) ==
          std::vector<std::string>{"80/tcp -> 0.0.0.0:8080", "80/tcp -> [::]:8080"});
  }

  TEST_CASE("ps: ranges need both sides consecutive and one address") {
    auto ports = cli::parse_published_ports("0.0.0.0:8000->80/tcp\n0.0.0.0:9001->81/tcp\n"
                                            "127.0.0.1:8002->82/tcp\n0.0.0.0:8080->80/tcp\n"
                                            "0.0.0.0:8081->81/tcp\n");
    CHECK(cli::describe_port_ranges(cli::collapse_ports(ports)) ==
          "0.0.0.0:8000->80/tcp, 0.0.0.0:8080-8081->80-81/tcp, 0.0.0.0:9001->81/tcp, "
          "127.0.0.1:8002->82/tcp");
  }
}
