// The container's /etc/hosts, /etc/hostname and /etc/resolv.conf: pure builders (unit-tested)
// and the one effectful writer that `run` calls before bind-mounting them into the container.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace net {

// How the container reaches the network, as far as these files are concerned.
enum class NetworkKind {
  none,        // private network namespace with only loopback
  host,        // the host's network namespace
  private_net, // private namespace connected by slirp4netns
};

// The container's address and the built-in DNS forwarder of slirp4netns (its documented defaults).
inline constexpr std::string_view slirp_guest_ip = "10.0.2.100";
inline constexpr std::string_view slirp_dns_ip = "10.0.2.3";

// --add-host entries: {names, ip}; names may hold several names separated by ';' (podman's form).
using ExtraHosts = std::vector<std::pair<std::string, std::string>>;

// /etc/hosts the way podman builds it: the extra hosts first, then every entry of the host's
// hosts file (comments and blank lines dropped), then "127.0.0.1 localhost" and "::1 localhost",
// then the hostname (127.0.0.1, or slirp_guest_ip on private_net). A name that is already present
// is never added again, so user entries win. Throws util::Error for a malformed extra host.
// `private_ip` is the container's address on private_net (slirp4netns' cidr may move it).
std::string make_hosts(std::string_view hostname, std::string_view host_hosts_text,
                       NetworkKind network, const ExtraHosts& extra_hosts,
                       std::string_view private_ip = slirp_guest_ip);

// /etc/hostname: the name and a newline.
std::string make_hostname(std::string_view hostname);

// /etc/resolv.conf. Explicit dns_servers replace all others. Otherwise the host's nameservers
// are kept, minus loopback ones for a private namespace (they would point at the container
// itself), with slirp_dns_ip first on private_net; when none remain the file has no nameserver
// line. dns_search ("." = none) and dns_options replace the host's when given. With the host
// network and no overrides, the host's file is returned unchanged. Throws util::Error for a
// server that is not an IP address.
std::string make_resolv_conf(std::string_view host_resolv_text, NetworkKind network,
                             const std::vector<std::string>& dns_servers,
                             const std::vector<std::string>& dns_search,
                             const std::vector<std::string>& dns_options,
                             std::string_view private_dns = slirp_dns_ip);

// True for 127.0.0.0/8, ::1 and IPv4-mapped loopback addresses.
bool is_loopback_address(std::string_view address);

// Everything write_etc_files needs from the run request.
struct EtcFilesRequest {
  std::string hostname;
  NetworkKind network = NetworkKind::none;
  std::string private_ip = std::string(slirp_guest_ip);  // private_net: the container's address
  std::string private_dns = std::string(slirp_dns_ip);   // and slirp4netns' DNS forwarder
  ExtraHosts extra_hosts;
  std::vector<std::string> dns_servers;
  std::vector<std::string> dns_search;
  std::vector<std::string> dns_options;
};

// Reads the host's /etc/hosts and resolv.conf (the systemd-resolved upstream file instead of its
// 127.0.0.53 stub for a private namespace) and writes dir/hosts, dir/hostname and dir/resolv.conf,
// each atomically with mode 0644. `dir` must exist.
void write_etc_files(const std::filesystem::path& dir, const EtcFilesRequest& request);

} // namespace net
