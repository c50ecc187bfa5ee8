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

sockaddr_in ipv4_address(const std::string& ip, uint16_t port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  if (::inet_pton(AF_INET, ip.c_str(), &addr.sin_addr) != 1)
    throw util::Error(util::cat("publish on ", util::quote(ip), ": not an IPv4 address"));
  return addr;
}

} // namespace

util::UniqueFd bind_host_port(PortMapping& mapping) {
  bool tcp = mapping.protocol == Protocol::tcp;
  std::string what = util::cat("publish ", describe(mapping));
  util::UniqueFd fd(::socket(AF_INET, (tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_CLOEXEC, 0));
  if (!fd)
    util::throw_errno(util::cat(what, ": create a socket"));
  int one = 1;
  if (tcp)
    ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr = ipv4_address(mapping.host_ip, mapping.host_port);
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    socklen_t len = sizeof addr;
    util::check(::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&addr), &len),
                util::cat(what, ": read the bound address"));
    mapping.host_port = ntohs(addr.sin_port);
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
  util::throw_errno(err, util::cat(what, ": bind ", mapping.host_ip, ":", mapping.host_port));
}

uint16_t check_host_port(const PortMapping& mapping) {
  PortMapping probe = mapping;
  bind_host_port(probe);
  return probe.host_port;
}

} // namespace net
