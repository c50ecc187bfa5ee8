#include "cli/port_list.hpp"

#include "util/error.hpp"
#include "util/strings.hpp"

#include <algorithm>
#include <tuple>

namespace cli {

namespace {

std::uint16_t parse_port_number(std::string_view text, std::string_view whole) {
  unsigned long long value = 0;
  try {
    value = util::parse_unsigned(text, "port");
  } catch (const util::Error&) {
    value = 0;
  }
  if (value == 0 || value > 65535)
    throw util::Error(util::cat("invalid port ", util::quote(whole)));
  return static_cast<std::uint16_t>(value);
}

net::Protocol parse_protocol(std::string_view text, std::string_view whole) {
  if (text == "tcp")
    return net::Protocol::tcp;
  if (text == "udp")
    return net::Protocol::udp;
  throw util::Error(util::cat("invalid protocol in ", util::quote(whole), ": tcp or udp"));
}

std::string private_port(const net::PortMapping& port) {
  return util::cat(port.container_port, "/", net::to_string(port.protocol));
}

std::string host_side(const net::PortMapping& port) {
  return net::host_address(port);
}

} // namespace

std::vector<net::PortMapping> parse_published_ports(std::string_view text) {
  std::vector<net::PortMapping> ports;
  for (std::string_view line : util::split(text, '\n')) {
    if (line.empty())
      continue;
    size_t arrow = line.find("->");
    size_t colon = line.substr(0, arrow).rfind(':');
    size_t slash = line.find('/', arrow == std::string_view::npos ? 0 : arrow);
    if (arrow == std::string_view::npos || colon == std::string_view::npos ||
        slash == std::string_view::npos)
      throw util::Error(util::cat("malformed published port ", util::quote(line)));
    net::PortMapping port;
    std::string_view ip = line.substr(0, colon);
    if (ip.size() >= 2 && ip.front() == '[' && ip.back() == ']') // [::]:8080
      ip = ip.substr(1, ip.size() - 2);
    port.host_ip = std::string(ip);
    port.host_port = parse_port_number(line.substr(colon + 1, arrow - colon - 1), line);
    port.container_port = parse_port_number(line.substr(arrow + 2, slash - arrow - 2), line);
    port.protocol = parse_protocol(line.substr(slash + 1), line);
    ports.push_back(std::move(port));
  }
  return ports;
}

PortQuery parse_port_query(std::string_view text) {
  PortQuery query;
  size_t slash = text.find('/');
  query.port = parse_port_number(text.substr(0, slash), text);
  if (slash != std::string_view::npos)
    query.protocol = parse_protocol(text.substr(slash + 1), text);
  return query;
}

std::vector<std::string> describe_all_ports(std::vector<net::PortMapping> ports) {
  std::sort(ports.begin(), ports.end(), [](const net::PortMapping& a, const net::PortMapping& b) {
    return std::tie(a.container_port, a.protocol, a.host_ip, a.host_port) <
           std::tie(b.container_port, b.protocol, b.host_ip, b.host_port);
  });
  std::vector<std::string> lines;
  for (const net::PortMapping& port : ports)
    lines.push_back(util::cat(private_port(port), " -> ", host_side(port)));
  return lines;
}

std::vector<PortRange> collapse_ports(std::vector<net::PortMapping> ports) {
  std::sort(ports.begin(), ports.end(), [](const net::PortMapping& a, const net::PortMapping& b) {
    return std::tie(a.container_port, a.host_ip, a.host_port, a.protocol) <
           std::tie(b.container_port, b.host_ip, b.host_port, b.protocol);
  });
  std::vector<PortRange> ranges;
  for (const net::PortMapping& port : ports) {
    auto extends = [&](const PortRange& r) {
      return r.host_ip == port.host_ip && r.protocol == port.protocol &&
             r.container_port + r.range == port.container_port &&
             r.host_port + r.range == port.host_port;
    };
    auto found = std::find_if(ranges.begin(), ranges.end(), extends);
    if (found != ranges.end())
      ++found->range;
    else
      ranges.push_back({port.host_ip, port.host_port, port.container_port, 1, port.protocol});
  }
  return ranges;
}

std::string describe_port_ranges(const std::vector<PortRange>& ranges) {
  auto span = [](unsigned first, unsigned count) {
    return count > 1 ? util::cat(first, "-", first + count - 1) : util::cat(first);
  };
  std::vector<std::string> parts;
  for (const PortRange& r : ranges)
    parts.push_back(util::cat(net::is_ipv6(r.host_ip) ? util::cat("[", r.host_ip, "]") : r.host_ip,
                              ":", span(r.host_port, r.range), "->",
                              span(r.container_port, r.range), "/", net::to_string(r.protocol)));
  return util::join(parts, ", ");
}

std::vector<std::string> describe_port(const std::vector<net::PortMapping>& ports,
                                       const PortQuery& query) {
  std::vector<std::string> lines;
  for (const net::PortMapping& port : ports)
    if (port.container_port == query.port && port.protocol == query.protocol)
      lines.push_back(host_side(port));
  return lines;
}

} // namespace cli
