#include "net/network_options.hpp"

#include "net/pasta_args.hpp"
#include "net/slirp4netns.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"

#include <arpa/inet.h>

namespace net {

namespace {

bool is_ip_address(const std::string& text) {
  unsigned char buf[sizeof(in6_addr)];
  return ::inet_pton(AF_INET, text.c_str(), buf) == 1 || ::inet_pton(AF_INET6, text.c_str(), buf) == 1;
}

bool host_reachable(const NetworkMode& mode) {
  return (mode.driver == NetworkDriver::slirp4netns || mode.driver == NetworkDriver::pasta) &&
         mode.allow_host_loopback;
}

// The host's address as seen from the container when host_reachable(mode): slirp4netns' gateway,
// or for pasta the host's own default gateway, which pasta --map-gw maps to the host.
std::string host_address(const NetworkMode& mode) {
  if (mode.driver != NetworkDriver::pasta)
    return mode.slirp_network().gateway.str();
  std::optional<std::string> gateway = host_default_gateway();
  if (!gateway)
    throw util::Error("pasta: the host has no IPv4 default route, so the container cannot reach "
                      "the host through its gateway address");
  return *gateway;
}

std::vector<std::string> strings_at(const nlohmann::json& json, const char* key) {
  if (!json.contains(key))
    return {};
  return json.at(key).get<std::vector<std::string>>();
}

} // namespace

std::pair<std::string, std::string> parse_add_host(std::string_view text, const NetworkMode& mode) {
  size_t colon = text.find(':');
  if (colon == 0 || colon == text.npos || colon + 1 == text.size())
    throw util::Error(util::cat("invalid --add-host ", util::quote(text), ": use NAME:IP"));
  std::string name(text.substr(0, colon));
  std::string ip(text.substr(colon + 1));
  if (ip == "host-gateway") {
    if (!host_reachable(mode))
      throw util::Error(util::cat("invalid --add-host ", util::quote(text),
                                  ": host-gateway needs --network "
                                  "slirp4netns:allow_host_loopback=true or pasta:--map-gw"));
    ip = host_address(mode);
  }
  if (!is_ip_address(ip))
    throw util::Error(util::cat("invalid --add-host ", util::quote(text), ": ", util::quote(ip),
                                " is not an IP address"));
  return {std::move(name), std::move(ip)};
}

void NetworkOptions::check(const NetworkMode& mode) const {
  if (mode.driver == NetworkDriver::container) {
    // The other container's network, /etc/hosts and /etc/resolv.conf are used as they are.
    auto conflict = [&](bool given, std::string_view option) {
      if (given)
        throw util::Error(util::cat("conflicting options: ", option, " and --network ",
                                    mode.str(), " (the container uses ", mode.container,
                                    "'s network, ports, /etc/hosts and /etc/resolv.conf)"));
    };
    conflict(!publish.empty() || publish_all, "-p/-P");
    conflict(!dns.empty() || !dns_search.empty() || !dns_options.empty(),
             "--dns/--dns-search/--dns-option");
    conflict(!add_hosts.empty(), "--add-host");
  }
  std::vector<PortMapping> ports;
  for (const std::string& text : publish) {
    std::vector<PortMapping> some = parse_port_mapping(text);
    ports.insert(ports.end(), some.begin(), some.end());
  }
  if (!ports.empty() && !mode.has_helper() && mode.driver != NetworkDriver::host)
    throw util::Error(util::cat("cannot publish ports with --network ", mode.str(),
                                ": the container has no network to forward them to"));
  for (const std::string& server : dns)
    if (!is_ip_address(server))
      throw util::Error(util::cat("invalid --dns ", util::quote(server), ": not an IP address"));
  for (const std::string& entry : add_hosts)
    parse_add_host(entry, mode);
}

std::vector<PortMapping> NetworkOptions::port_mappings(const std::vector<std::string>& exposed) const {
  std::vector<PortMapping> ports;
  for (const std::string& text : publish) {
    std::vector<PortMapping> some = parse_port_mapping(text);
    ports.insert(ports.end(), some.begin(), some.end());
  }
  if (publish_all) {
    std::vector<PortMapping> some = exposed_port_mappings(exposed);
    ports.insert(ports.end(), some.begin(), some.end());
  }
  return ports;
}

EtcFilesRequest NetworkOptions::etc_files(const NetworkMode& mode,
                                          const std::string& hostname) const {
  EtcFilesRequest request;
  request.hostname = hostname;
  request.network = mode.etc_kind();
  if (mode.driver == NetworkDriver::slirp4netns) {
    SlirpNetwork slirp = mode.slirp_network();
    request.private_ip = slirp.guest.str();
    request.private_dns = slirp.dns.str();
  }
  for (const std::string& entry : add_hosts)
    request.extra_hosts.push_back(parse_add_host(entry, mode));
  if (host_reachable(mode))
    request.extra_hosts.emplace_back(std::string(host_alias), host_address(mode));
  request.dns_servers = dns;
  // pasta answers DNS at its forwarder address and relays to the host's resolver.
  if (mode.driver == NetworkDriver::pasta && dns.empty())
    request.dns_servers = {std::string(pasta_dns_ip)};
  request.dns_search = dns_search;
  request.dns_options = dns_options;
  return request;
}

nlohmann::json NetworkOptions::to_json() const {
  return {{"publish", publish},         {"publish_all", publish_all},
          {"dns", dns},                 {"dns_search", dns_search},
          {"dns_options", dns_options}, {"add_hosts", add_hosts}};
}

NetworkOptions NetworkOptions::from_json(const nlohmann::json& json) {
  NetworkOptions options;
  options.publish = strings_at(json, "publish");
  options.publish_all = json.value("publish_all", false);
  options.dns = strings_at(json, "dns");
  options.dns_search = strings_at(json, "dns_search");
  options.dns_options = strings_at(json, "dns_options");
  options.add_hosts = strings_at(json, "add_hosts");
  return options;
}

} // namespace net
