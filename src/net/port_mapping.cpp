#include "net/port_mapping.hpp"

#include "util/error.hpp"
#include "util/strings.hpp"

#include <arpa/inet.h>

#include <optional>
#include <utility>

namespace net {

namespace {

struct PortRange {
  uint16_t first = 0;
  uint16_t last = 0;
  unsigned size() const { return static_cast<unsigned>(last - first) + 1; }
};

[[noreturn]] void fail(std::string_view text, std::string_view why) {
  throw util::Error(util::cat("invalid port mapping ", util::quote(text), ": ", why));
}

uint16_t parse_port(std::string_view full, std::string_view port) {
  if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != port.npos)
    fail(full, util::cat(util::quote(port), " is not a port number"));
  unsigned long value = std::stoul(std::string(port));
  if (value == 0 || value > 65535)
    fail(full, util::cat("port ", value, " is out of range 1-65535"));
  return static_cast<uint16_t>(value);
}

PortRange parse_range(std::string_view full, std::string_view text) {
  size_t dash = text.find('-');
  if (dash == text.npos) {
    uint16_t port = parse_port(full, text);
    return {port, port};
  }
  PortRange range{parse_port(full, text.substr(0, dash)), parse_port(full, text.substr(dash + 1))};
  if (range.last < range.first)
    fail(full, util::cat("range ", util::quote(text), " ends before it starts"));
  return range;
}

Protocol parse_protocol(std::string_view full, std::string_view text) {
  if (text == "tcp")
    return Protocol::tcp;
  if (text == "udp")
    return Protocol::udp;
  fail(full, util::cat("unknown protocol ", util::quote(text), " (use tcp or udp)"));
}

void check_address(std::string_view full, std::string_view ip) {
  in6_addr addr{};
  if (::inet_pton(is_ipv6(ip) ? AF_INET6 : AF_INET, std::string(ip).c_str(), &addr) != 1)
    fail(full, util::cat(util::quote(ip), " is not an IP address"));
}

// Splits "[IP:][HOST:]CTR" (protocol already removed) into its three parts; an IPv6 address is
// written in brackets: "[::1]:8080:80", "[::1]::80".
void split_fields(std::string_view full, std::string_view spec, std::string_view& ip,
                  std::string_view& host, std::string_view& container) {
  if (!spec.empty() && spec.front() == '[') {
    size_t close = spec.find(']');
    if (close == spec.npos || close + 1 >= spec.size() || spec[close + 1] != ':')
      fail(full, "an IPv6 address is written [ADDRESS]:HOSTPORT:CONTAINERPORT");
    ip = spec.substr(1, close - 1);
    std::string_view rest = spec.substr(close + 2);
    size_t colon = rest.find(':');
    if (ip.empty() || colon == rest.npos)
      fail(full, "an IPv6 address is written [ADDRESS]:HOSTPORT:CONTAINERPORT");
    host = rest.substr(0, colon);
    container = rest.substr(colon + 1);
    return;
  }
  size_t last = spec.rfind(':');
  if (last == spec.npos) {
    container = spec;
    return;
  }
  container = spec.substr(last + 1);
  std::string_view front = spec.substr(0, last);
  size_t middle = front.rfind(':');
  if (middle == front.npos) {
    host = front;
    return;
  }
  ip = front.substr(0, middle);
  host = front.substr(middle + 1);
  if (ip.find(':') != ip.npos)
    fail(full, "write an IPv6 address in brackets: [ADDRESS]:HOSTPORT:CONTAINERPORT");
}

} // namespace

std::string_view to_string(Protocol protocol) {
  return protocol == Protocol::udp ? "udp" : "tcp";
}

std::vector<PortMapping> parse_port_mapping(std::string_view text) {
  std::string_view spec = text;
  Protocol protocol = Protocol::tcp;
  if (size_t slash = spec.find('/'); slash != spec.npos) {
    protocol = parse_protocol(text, spec.substr(slash + 1));
    spec = spec.substr(0, slash);
  }
  std::string_view ip;
  std::string_view host;
  std::string_view container;
  split_fields(text, spec, ip, host, container);
  if (!ip.empty())
    check_address(text, ip);
  PortRange ctr = parse_range(text, container);
  std::optional<PortRange> hst;
  if (!host.empty())
    hst = parse_range(text, host);
  if (hst && hst->size() != ctr.size())
    fail(text, "host and container port ranges differ in length");
  std::vector<PortMapping> out;
  for (unsigned i = 0; i < ctr.size(); ++i) {
    PortMapping mapping;
    if (!ip.empty())
      mapping.host_ip = std::string(ip);
    mapping.dual_stack = ip.empty();
    mapping.host_port = hst ? static_cast<uint16_t>(hst->first + i) : 0;
    mapping.container_port = static_cast<uint16_t>(ctr.first + i);
    mapping.protocol = protocol;
    out.push_back(std::move(mapping));
  }
  return out;
}

std::vector<PortMapping> exposed_port_mappings(const std::vector<std::string>& exposed) {
  std::vector<PortMapping> out;
  for (const std::string& entry : exposed) {
    std::vector<PortMapping> ports = parse_port_mapping(entry);
    out.insert(out.end(), ports.begin(), ports.end());
  }
  return out;
}

bool is_ipv6(std::string_view ip) {
  return ip.find(':') != ip.npos;
}

std::string host_address(const PortMapping& mapping) {
  return is_ipv6(mapping.host_ip) ? util::cat("[", mapping.host_ip, "]:", mapping.host_port)
                                  : util::cat(mapping.host_ip, ":", mapping.host_port);
}

std::string describe(const PortMapping& mapping) {
  return util::cat(host_address(mapping), "->", mapping.container_port, "/",
                   to_string(mapping.protocol));
}

} // namespace net
