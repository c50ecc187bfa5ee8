#include "net/port_handover.hpp"

#include "net/port_forwarder.hpp"
#include "net/published_bind.hpp"
#include "net/socket_guard.hpp"
#include "net/socket_origin.hpp"
#include "net/splice_proxy.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <cerrno>

namespace net {

std::optional<PortHandover::HostSocket> PortHandover::take(const util::UniqueFd& theirs,
                                                           const SocketKind& kind,
                                                           const SocketAddress& asked,
                                                           uint32_t guest) noexcept {
  std::optional<uint32_t> v4 = asked.ipv4();
  bool wildcard = v4 ? (*v4 == INADDR_ANY || *v4 == guest)
                     : IN6_IS_ADDR_UNSPECIFIED(&asked.v6().sin6_addr);
  if (!wildcard || asked.port() == 0 || !is_fresh(theirs.get()))
    return std::nullopt;
  int v6only = 0;
  socklen_t length = sizeof v6only;
  if (kind.domain == AF_INET6)
    ::getsockopt(theirs.get(), IPPROTO_IPV6, IPV6_V6ONLY, &v6only, &length);
  std::optional<PublishedBind> bind;
  try {
    bind = published_bind(m_forwarder.tcp_listeners(), m_released, kind.domain, v6only != 0,
                          asked.port());
    m_released.reserve(m_released.size() + (bind ? bind->release.size() : 0));
    m_handed.reserve(m_handed.size() + 1);
  } catch (...) { // out of memory: the port stays with the forwarder
    return std::nullopt;
  }
  if (!bind)
    return std::nullopt;
  HostSocket result;
  result.socket = socket_twin(theirs.get(), kind);
  if (!result.socket)
    return std::nullopt;
  if (guard_listening_socket(result.socket.get(), bind->address.port()) < 0 && m_guard_required)
    return std::nullopt;
  int one = 1;
  // The forwarder's relayed connections may have left the port in TIME_WAIT.
  ::setsockopt(result.socket.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind->force_v6only)
    ::setsockopt(result.socket.get(), IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  for (int fd : bind->release) {
    m_forwarder.release(fd);
    m_released.push_back(fd); // reserved above
  }
  if (::bind(result.socket.get(), bind->address.get(), bind->address.length) < 0) {
    // Taken meanwhile, or by an earlier socket of the container's own.
    result.error = errno;
    result.socket.reset();
  } else {
    m_handed.push_back({bind->address.port(), asked}); // reserved above
  }
  result.relay_target = bind->relay_target;
  return result;
}

std::optional<SocketAddress> PortHandover::shown_name(int socket, uint32_t guest) const noexcept {
  SocketAddress local;
  local.length = sizeof local.storage;
  if (::getsockname(socket, reinterpret_cast<sockaddr*>(&local.storage), &local.length) < 0)
    return std::nullopt;
  for (const Handed& h : m_handed) {
    if (h.host_port != local.port())
      continue;
    if (tcp_state(socket) == TCP_LISTEN)
      return h.asked;
    if (!local.ipv4())
      return std::nullopt; // an IPv6 client's: the container has no IPv6 address of its own here
    return ipv4_in(h.asked.family(), guest, h.asked.port());
  }
  return std::nullopt;
}

void PortHandover::relay_into_container(util::UniqueFd theirs, const SocketAddress& asked,
                                        const SocketAddress& target) noexcept {
  int one = 1;
  ::setsockopt(theirs.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (::bind(theirs.get(), asked.get(), asked.length) < 0 ||
      ::listen(theirs.get(), SOMAXCONN) < 0)
    return;
  ProxyRoute route;
  route.listener = theirs.get();
  route.target = target.storage;
  route.target_length = target.length;
  try {
    m_relay_listeners.push_back(std::move(theirs));
  } catch (...) {
    return;
  }
  m_proxy.add_route(route);
}

} // namespace net
