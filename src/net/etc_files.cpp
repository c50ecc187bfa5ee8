#include "net/etc_files.hpp"

#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/log.hpp"
#include "util/strings.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <set>

namespace net {

namespace {

struct HostEntry {
  std::string ip;
  std::vector<std::string> names;
};

// Whitespace-separated fields of `line`, after cutting a comment starting at `comment`.
std::vector<std::string> fields_of(std::string_view line, std::string_view comments) {
  line = line.substr(0, line.find_first_of(comments));
  std::vector<std::string> fields;
  size_t pos = 0;
  while (pos < line.size()) {
    size_t start = line.find_first_not_of(" \t\r", pos);
    if (start == std::string_view::npos)
      break;
    size_t end = line.find_first_of(" \t\r", start);
    fields.emplace_back(line.substr(start, end == std::string_view::npos ? end : end - start));
    pos = end == std::string_view::npos ? line.size() : end;
  }
  return fields;
}

std::vector<HostEntry> parse_hosts(std::string_view text) {
  std::vector<HostEntry> entries;
  for (const auto& line : util::split(text, '\n')) {
    auto fields = fields_of(line, "#");
    if (fields.size() < 2)
      continue; // an address without names says nothing
    entries.push_back({fields[0], {fields.begin() + 1, fields.end()}});
  }
  return entries;
}

// Parses an IP address (IPv6 zone suffix allowed) into 16 bytes, IPv4 as IPv4-mapped IPv6.
bool parse_ip(std::string_view text, unsigned char out[16]) {
  std::string addr(text.substr(0, text.find('%')));
  in_addr v4{};
  if (::inet_pton(AF_INET, addr.c_str(), &v4) == 1) {
    std::fill(out, out + 16, 0);
    out[10] = out[11] = 0xff;
    std::copy_n(reinterpret_cast<const unsigned char*>(&v4), 4, out + 12);
    return true;
  }
  in6_addr v6{};
  if (::inet_pton(AF_INET6, addr.c_str(), &v6) != 1)
    return false;
  std::copy_n(v6.s6_addr, 16, out);
  return true;
}

std::string format_line(const std::string& ip, const std::vector<std::string>& names) {
  return util::cat(ip, '\t', util::join(names, " "), '\n');
}

std::vector<HostEntry> extra_entries(const ExtraHosts& extra_hosts) {
  std::vector<HostEntry> entries;
  for (const auto& [names, ip] : extra_hosts) {
    std::string text = util::cat(names, ':', ip);
    unsigned char bytes[16];
    if (!parse_ip(ip, bytes))
      throw util::Error(util::cat("invalid host entry ", util::quote(text), ": ", util::quote(ip),
                                  " is not an IP address"));
    HostEntry entry{ip, {}};
    for (const auto& name : util::split(names, ';')) {
      if (name.empty() || name.find_first_of(" \t\n#") != std::string::npos)
        throw util::Error(util::cat("invalid host entry ", util::quote(text), ": bad hostname ",
                                    util::quote(name)));
      entry.names.push_back(name);
    }
    entries.push_back(std::move(entry));
  }
  return entries;
}

struct ResolvConf {
  std::vector<std::string> nameservers;
  std::vector<std::string> search;
  std::vector<std::string> options;
};

ResolvConf parse_resolv_conf(std::string_view text) {
  ResolvConf conf;
  for (const auto& line : util::split(text, '\n')) {
    auto fields = fields_of(line, "#;");
    if (fields.size() < 2)
      continue;
    if (fields[0] == "nameserver")
      conf.nameservers.push_back(fields[1]);
    else if (fields[0] == "search" ||
             fields[0] == "domain") // the last of these wins (resolv.conf(5))
      conf.search.assign(fields.begin() + 1, fields.end());
    else if (fields[0] == "options")
      conf.options.insert(conf.options.end(), fields.begin() + 1, fields.end());
  }
  return conf;
}

} // namespace

bool is_loopback_address(std::string_view address) {
  unsigned char b[16];
  if (!parse_ip(address, b))
    return false;
  bool v4_mapped = std::all_of(b, b + 10, [](unsigned char x) { return x == 0; }) &&
                   b[10] == 0xff && b[11] == 0xff;
  if (v4_mapped)
    return b[12] == 127;
  return std::all_of(b, b + 15, [](unsigned char x) { return x == 0; }) && b[15] == 1;
}

std::string make_hosts(std::string_view hostname, std::string_view host_hosts_text,
                       NetworkKind network, const ExtraHosts& extra_hosts,
                       std::string_view private_ip) {
  auto entries = extra_entries(extra_hosts);
  auto base = parse_hosts(host_hosts_text);
  entries.insert(entries.end(), base.begin(), base.end());

  std::string out;
  std::set<std::string, std::less<>> names;
  for (const auto& entry : entries) {
    names.insert(entry.names.begin(), entry.names.end());
    out += format_line(entry.ip, entry.names);
  }
  std::string own_ip(network == NetworkKind::private_net ? private_ip : "127.0.0.1");
  const HostEntry defaults[] = {
      {"127.0.0.1", {"localhost"}},
      {"::1", {"localhost"}},
      {own_ip, {std::string(hostname)}},
  };
  for (const auto& entry : defaults) {
    if (entry.names[0].empty() || names.count(entry.names[0]) > 0)
      continue;
    out += format_line(entry.ip, entry.names);
  }
  return out;
}

std::string make_hostname(std::string_view hostname) { return util::cat(hostname, '\n'); }

std::string make_resolv_conf(std::string_view host_resolv_text, NetworkKind network,
                             const std::vector<std::string>& dns_servers,
                             const std::vector<std::string>& dns_search,
                             const std::vector<std::string>& dns_options,
                             std::string_view private_dns) {
  for (const auto& server : dns_servers) {
    unsigned char bytes[16];
    if (!parse_ip(server, bytes))
      throw util::Error(
          util::cat("invalid DNS server ", util::quote(server), ": not an IP address"));
  }
  bool overridden = !dns_servers.empty() || !dns_search.empty() || !dns_options.empty();
  if (network == NetworkKind::host && !overridden)
    return std::string(host_resolv_text);

  ResolvConf host = parse_resolv_conf(host_resolv_text);
  std::vector<std::string> servers = dns_servers;
  if (servers.empty()) {
    if (network == NetworkKind::private_net)
      servers.emplace_back(private_dns);
    for (const auto& server : host.nameservers) {
      if (network == NetworkKind::host || !is_loopback_address(server))
        servers.push_back(server);
    }
  }
  std::vector<std::string> search = dns_search.empty() ? host.search : dns_search;
  if (search == std::vector<std::string>{"."})
    search.clear();
  const auto& options = dns_options.empty() ? host.options : dns_options;

  std::string out;
  if (!search.empty())
    out += util::cat("search ", util::join(search, " "), '\n');
  for (const auto& server : servers)
    out += util::cat("nameserver ", server, '\n');
  if (!options.empty())
    out += util::cat("options ", util::join(options, " "), '\n');
  return out;
}

namespace {

// The host's resolv.conf as the container should see it. systemd-resolved's stub (127.0.0.53)
// is unreachable from a private namespace, so its upstream list is used there instead.
std::string host_resolv_text(NetworkKind network) {
  std::string text = util::read_file_if_exists("/etc/resolv.conf").value_or("");
  if (network == NetworkKind::host)
    return text;
  auto servers = parse_resolv_conf(text).nameservers;
  bool only_loopback =
      !servers.empty() && std::all_of(servers.begin(), servers.end(),
                                      [](const auto& s) { return is_loopback_address(s); });
  if (only_loopback) {
    if (auto upstream = util::read_file_if_exists("/run/systemd/resolve/resolv.conf")) {
      LOG_DEBUG("resolv.conf: host uses a local stub resolver, taking systemd-resolved's upstream "
                "servers");
      return *upstream;
    }
  }
  return text;
}

} // namespace

void write_etc_files(const std::filesystem::path& dir, const EtcFilesRequest& request) {
  std::string hosts_text = util::read_file_if_exists("/etc/hosts").value_or("");
  std::string hosts =
      make_hosts(request.hostname, hosts_text, request.network, request.extra_hosts,
                 request.private_ip);
  std::string resolv =
      make_resolv_conf(host_resolv_text(request.network), request.network, request.dns_servers,
                       request.dns_search, request.dns_options, request.private_dns);
  // Regenerated at every start, so a system crash cannot leave a stale copy that matters.
  constexpr auto durability = util::Durability::process_safe;
  util::write_file_atomic(dir / "hosts", hosts, 0644, durability);
  util::write_file_atomic(dir / "hostname", make_hostname(request.hostname), 0644, durability);
  util::write_file_atomic(dir / "resolv.conf", resolv, 0644, durability);
}

} // namespace net
