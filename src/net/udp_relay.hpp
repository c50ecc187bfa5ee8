// The datagram half of the port forwarder: each client address seen on a published UDP port gets
// a socket of its own in the container's network namespace, connected to the container's port,
// so that the container's replies come back to that client through the host-side socket. A
// session idle for udp_session_timeout is closed (Docker's proxy keeps them 90 s too).
#pragma once

#include "net/relay_handle.hpp"

#include <sys/socket.h>

#include <chrono>
#include <map>
#include <memory>
#include <string>

namespace net {

inline constexpr std::chrono::seconds udp_session_timeout{90};

struct UdpSession {
  int fd = -1;       // in the container's namespace, connected to the container's port
  int listener = -1; // the host-side socket the client sent to
  sockaddr_storage client{};
  socklen_t client_length = 0;
  std::chrono::steady_clock::time_point last_used;
  RelayHandle handle;
};

class UdpRelay {
public:
  // Sessions are watched on `epoll`, their events tagged with their RelayHandle.
  explicit UdpRelay(int epoll) noexcept : m_epoll(epoll) {}
  UdpRelay(const UdpRelay&) = delete;
  UdpRelay& operator=(const UdpRelay&) = delete;
  ~UdpRelay();

  // `listener` (of route `route`) is readable: sends each waiting datagram on to `target` from
  // its client's session, made on first use in the current network namespace.
  void from_host(size_t route, int listener, const sockaddr_storage& target,
                 socklen_t target_length) noexcept;
  // A session's socket is readable: the container's replies go back to the client.
  void from_container(UdpSession& session) noexcept;
  // Closes the sessions idle for longer than udp_session_timeout. Returns the milliseconds until
  // the next one may expire, or -1 without sessions.
  int expire() noexcept;

private:
  UdpSession* session_for(size_t route, int listener, const sockaddr_storage& client,
                          socklen_t length, const sockaddr_storage& target,
                          socklen_t target_length) noexcept;
  // One datagram's room, allocated on first use (a relay without UDP routes never needs it).
  char* buffer() noexcept;

  int m_epoll;
  std::map<std::string, std::unique_ptr<UdpSession>> m_sessions; // by route and client address
  std::unique_ptr<char[]> m_buffer;
};

} // namespace net
