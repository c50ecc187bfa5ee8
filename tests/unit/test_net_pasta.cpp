#include "net/network_mode.hpp"
#include "net/network_options.hpp"
#include "net/pasta_args.hpp"
#include "util/error.hpp"

#include <doctest/doctest.h>

#include <algorithm>

using net::NetworkDriver;
using net::NetworkMode;
using net::PortMapping;
using net::Protocol;

namespace {

// The value following `flag` in argv, every occurrence.
std::vector<std::string> values_of(const std::vector<std::string>& argv, std::string_view flag) {
  std::vector<std::string> values;
  for (size_t i = 0; i + 1 < argv.size(); ++i)
    if (argv[i] == flag)
      values.push_back(argv[i + 1]);
  return values;
}

bool has(const std::vector<std::string>& argv, std::string_view arg) {
  return std::find(argv.begin(), argv.end(), arg) != argv.end();
}

} // namespace

TEST_CASE("NetworkMode::parse: pasta") {
  NetworkMode pasta = NetworkMode::parse("pasta");
  CHECK(pasta.driver == NetworkDriver::pasta);
  CHECK_FALSE(pasta.allow_host_loopback);
  CHECK(pasta.private_namespace());
  CHECK(pasta.has_helper());
  CHECK(pasta.str() == "pasta");

  NetworkMode open = NetworkMode::parse("pasta:--map-gw,--mtu,1500");
  CHECK(open.allow_host_loopback);
  CHECK(open.pasta_args == std::vector<std::string>{"--mtu", "1500"});
  CHECK(open.str() == "pasta:--map-gw,--mtu,1500");
  CHECK(NetworkMode::parse(open.str()) == open);

  CHECK_THROWS_WITH_AS(NetworkMode::parse("pasta:-t,8080"),
                       doctest::Contains("publish ports with -p"), util::Error);
  CHECK_THROWS_WITH_AS(NetworkMode::parse("pasta:--netns=/x"), doctest::Contains("set by cove"),
                       util::Error);
  CHECK_THROWS_WITH_AS(NetworkMode::parse("pasta:--no-map-gw"), doctest::Contains("set by cove"),
                       util::Error);
  CHECK_THROWS_WITH_AS(NetworkMode::parse("pasta:,"), doctest::Contains("empty pasta option"),
                       util::Error);
}

TEST_CASE("NetworkMode::parse: container") {
  NetworkMode mode = NetworkMode::parse("container:web");
  CHECK(mode.driver == NetworkDriver::container);
  CHECK(mode.container == "web");
  CHECK_FALSE(mode.private_namespace());
  CHECK_FALSE(mode.has_helper());
  CHECK(NetworkMode::parse(mode.str()) == mode);
  CHECK_THROWS_WITH_AS(NetworkMode::parse("container:"), doctest::Contains("container:NAME"),
                       util::Error);
  CHECK_THROWS_WITH_AS(NetworkMode::parse("container:a/b"), doctest::Contains("container:NAME"),
                       util::Error);
}

TEST_CASE("NetworkOptions with pasta and container networks") {
  net::NetworkOptions options;
  net::EtcFilesRequest etc = options.etc_files(NetworkMode::parse("pasta"), "box");
  CHECK(etc.dns_servers == std::vector<std::string>{std::string(net::pasta_dns_ip)});
  CHECK(etc.extra_hosts.empty());
  options.dns = {"192.0.2.53"};
  etc = options.etc_files(NetworkMode::parse("pasta"), "box");
  CHECK(etc.dns_servers == std::vector<std::string>{"192.0.2.53"});

  net::NetworkOptions ports;
  ports.publish = {"8080:80"};
  CHECK_NOTHROW(ports.check(NetworkMode::parse("pasta")));
  CHECK_THROWS_AS(ports.check(NetworkMode::parse("container:web")), util::Error);
  net::NetworkOptions gateway;
  gateway.add_hosts = {"h:host-gateway"};
  CHECK_THROWS_WITH_AS(gateway.check(NetworkMode::parse("pasta")),
                       doctest::Contains("pasta:--map-gw"), util::Error);
}

TEST_CASE("pasta_argv") {
  net::PastaCommand command;
  command.netns_path = "/proc/self/fd/5";
  command.ready_path = "/proc/self/fd/6";
  std::vector<std::string> argv = net::pasta_argv(command);
  CHECK(argv.front() == "pasta");
  CHECK(has(argv, "--foreground"));
  CHECK(has(argv, "--config-net"));
  CHECK(has(argv, "--no-map-gw"));
  CHECK(values_of(argv, "--runas") == std::vector<std::string>{"0:0"});
  CHECK(values_of(argv, "-t") == std::vector<std::string>{"none"});
  CHECK(values_of(argv, "-u") == std::vector<std::string>{"none"});
  CHECK(values_of(argv, "-T") == std::vector<std::string>{"none"});
  CHECK(values_of(argv, "-U") == std::vector<std::string>{"none"});
  CHECK(values_of(argv, "--dns-forward") == std::vector<std::string>{"169.254.1.1"});
  CHECK(values_of(argv, "--netns") == std::vector<std::string>{"/proc/self/fd/5"});
  CHECK(values_of(argv, "--pid") == std::vector<std::string>{"/proc/self/fd/6"});

  command.map_host_loopback = true;
  command.extra_args = {"--mtu", "1500"};
  command.ports = {PortMapping{"0.0.0.0", 8080, 80, Protocol::tcp},
                   PortMapping{"127.0.0.1", 5353, 53, Protocol::udp},
                   PortMapping{"127.0.0.1", 8443, 443, Protocol::tcp}};
  argv = net::pasta_argv(command);
  CHECK_FALSE(has(argv, "--no-map-gw"));
  CHECK(values_of(argv, "-t") == std::vector<std::string>{"0.0.0.0/8080:80", "127.0.0.1/8443:443"});
  CHECK(values_of(argv, "-u") == std::vector<std::string>{"127.0.0.1/5353:53"});
  CHECK(values_of(argv, "--mtu") == std::vector<std::string>{"1500"});
  // The namespace comes last, after any extra option.
  CHECK(argv[argv.size() - 2] == "--netns");
}

TEST_CASE("parse_default_gateway") {
  std::string route =
      "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"
      "eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n"
      "eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n";
  CHECK(net::parse_default_gateway(route) == "192.0.2.1");
  CHECK_FALSE(net::parse_default_gateway("Iface\tDestination\tGateway\n").has_value());
  CHECK_FALSE(net::parse_default_gateway(
                  "Iface\tDestination\tGateway \tFlags\n"
                  "eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n")
                  .has_value());
}
