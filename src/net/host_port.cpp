#include "net/host_port.hpp"

#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/strings.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <optional>
#include <string>

namespace net {

namespace {

unsigned unprivileged_port_start() {
  std::optional<std::string> text =
      util::read_file_if_exists("/proc/sys/net/ipv4/ip_unprivileged_port_start");
  return text ? static_cast<unsigned>(std::stoul(std::string(util::trim(*text)))) : 1024;
}

// The socket address of host_ip:port, IPv4 or IPv6.
sockaddr_storage host_socket_address(const std::string& ip, uint16_t port, socklen_t& length) {
  sockaddr_storage storage{};
  if (is_ipv6(ip)) {
    auto* addr = reinterpret_cast<sockaddr_in6*>(&storage);
    addr->sin6_family = AF_INET6;
    addr->sin6_port = htons(port);
    length = sizeof *addr;
    if (::inet_pton(AF_INET6, ip.c_str(), &addr->sin6_addr) == 1)
      return storage;
  } else {
    auto* addr = reinterpret_cast<sockaddr_in*>(&storage);
    addr->sin_family = AF_INET;
    addr->sin_port = htons(port);
    length = sizeof *addr;
    if (::inet_pton(AF_INET, ip.c_str(), &addr->sin_addr) == 1)
      return storage;
  }
  throw util::Error(util::cat("publish on ", util::quote(ip), ": not an IP address"));
}

uint16_t port_of(const sockaddr_storage& storage) {
  return ntohs(storage.ss_family == AF_INET6
                   ? reinterpret_cast<const sockaddr_in6*>(&storage)->sin6_port
                   : reinterpret_cast<const sockaddr_in*>(&storage)->sin_port);
}

} // namespace

util::UniqueFd bind_host_port(PortMapping& mapping) {
  bool tcp = mapping.protocol == Protocol::tcp;
  std::string what = util::cat("publish ", describe(mapping));
  socklen_t length = 0;
  sockaddr_storage addr = host_socket_address(mapping.host_ip, mapping.host_port, length);
  util::UniqueFd fd(::socket(addr.ss_family, (tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_CLOEXEC, 0));
  if (!fd)
    util::throw_errno(util::cat(what, ": create a socket"));
  int one = 1;
  if (tcp)
    ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  // [::] means IPv6 only: 0.0.0.0 is a mapping of its own.
  if (addr.ss_family == AF_INET6)
    ::setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), length) == 0) {
    socklen_t len = sizeof addr;
    util::check(::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&addr), &len),
                util::cat(what, ": read the bound address"));
    mapping.host_port = port_of(addr);
    return fd;
  }
  int err = errno;
  if (err == EADDRINUSE)
    throw util::SystemError(err, util::cat(what, ": port ", mapping.host_port, "/",
                                           to_string(mapping.protocol), " on ", mapping.host_ip,
                                           " is already in use"),
                            util::SystemError::Formatted{});
  unsigned start = unprivileged_port_start();
  if (err == EACCES && mapping.host_port < start)
    throw util::SystemError(err,
                            util::cat(what, ": port ", mapping.host_port,
                                      " is privileged (below net.ipv4.ip_unprivileged_port_start=",
                                      start, "): publish a host port of ", start, " or more"),
                            util::SystemError::Formatted{});
  util::throw_errno(err, util::cat(what, ": bind ", host_address(mapping)));
}

uint16_t check_host_port(const PortMapping& mapping) {
  PortMapping probe = mapping;
  bind_host_port(probe);
  return probe.host_port;
}

} // namespace net
