#include "net/udp_relay.hpp"

#include <sys/epoll.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <new>

namespace net {

namespace {

// Open sessions at most (each holds a descriptor); datagrams from further clients are dropped.
constexpr size_t max_sessions = 4096;
// Datagrams relayed per wake-up before other sockets get a turn.
constexpr int datagrams_per_turn = 64;

// The largest UDP payload.
constexpr size_t max_datagram = 65535;

std::string session_key(size_t route, const sockaddr_storage& client, socklen_t length) {
  std::string key(reinterpret_cast<const char*>(&route), sizeof route);
  key.append(reinterpret_cast<const char*>(&client), length);
  return key;
}

void report(const char* what, int err) noexcept {
  std::fprintf(stderr, "cove port forwarder: %s: %s\n", what, std::strerror(err));
  std::fflush(stderr);
}

} // namespace

UdpRelay::~UdpRelay() {
  for (auto& [key, session] : m_sessions)
    ::close(session->fd);
}

UdpSession* UdpRelay::session_for(size_t route, int listener, const sockaddr_storage& client,
                                  socklen_t length, const sockaddr_storage& target,
                                  socklen_t target_length) noexcept {
  try {
    std::string key = session_key(route, client, length);
    if (auto it = m_sessions.find(key); it != m_sessions.end())
      return it->second.get();
    if (m_sessions.size() >= max_sessions)
      return nullptr;
    auto session = std::make_unique<UdpSession>();
    session->fd = ::socket(target.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (session->fd < 0) {
      report("open a UDP session to the container", errno);
      return nullptr;
    }
    if (::connect(session->fd, reinterpret_cast<const sockaddr*>(&target), target_length) < 0) {
      report("connect a UDP session to the container", errno);
      ::close(session->fd);
      return nullptr;
    }
    session->listener = listener;
    session->client = client;
    session->client_length = length;
    session->handle.kind = RelayHandle::Kind::udp_session;
    session->handle.session = session.get();
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.ptr = &session->handle;
    ::epoll_ctl(m_epoll, EPOLL_CTL_ADD, session->fd, &event);
    return m_sessions.emplace(std::move(key), std::move(session)).first->second.get();
  } catch (const std::bad_alloc&) {
    return nullptr;
  }
}

char* UdpRelay::buffer() noexcept {
  if (!m_buffer)
    m_buffer.reset(new (std::nothrow) char[max_datagram]);
  return m_buffer.get();
}

void UdpRelay::from_host(size_t route, int listener, const sockaddr_storage& target,
                         socklen_t target_length) noexcept {
  char* data = buffer();
  for (int i = 0; data && i < datagrams_per_turn; ++i) {
    sockaddr_storage client{};
    socklen_t length = sizeof client;
    ssize_t n = ::recvfrom(listener, data, max_datagram, 0,
                           reinterpret_cast<sockaddr*>(&client), &length);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return; // EAGAIN: all read
    }
    UdpSession* session = session_for(route, listener, client, length, target, target_length);
    if (!session)
      continue; // dropped, as a full queue would
    session->last_used = std::chrono::steady_clock::now();
    // A refused earlier datagram (nobody listening yet) shows up here as ECONNREFUSED; UDP
    // gives no guarantee, so this one is simply lost as well.
    ::send(session->fd, data, static_cast<size_t>(n), 0);
  }
}

void UdpRelay::from_container(UdpSession& session) noexcept {
  char* data = buffer();
  for (int i = 0; data && i < datagrams_per_turn; ++i) {
    ssize_t n = ::recv(session.fd, data, max_datagram, 0);
    if (n < 0) {
      if (errno == EINTR || errno == ECONNREFUSED)
        continue;
      return;
    }
    session.last_used = std::chrono::steady_clock::now();
    ::sendto(session.listener, data, static_cast<size_t>(n), 0,
             reinterpret_cast<const sockaddr*>(&session.client), session.client_length);
  }
}

int UdpRelay::expire() noexcept {
  if (m_sessions.empty())
    return -1;
  auto now = std::chrono::steady_clock::now();
  auto next = udp_session_timeout;
  for (auto it = m_sessions.begin(); it != m_sessions.end();) {
    auto idle = std::chrono::duration_cast<std::chrono::seconds>(now - it->second->last_used);
    if (idle >= udp_session_timeout) {
      ::close(it->second->fd); // leaves the epoll set with it
      it = m_sessions.erase(it);
      continue;
    }
    next = std::min(next, udp_session_timeout - idle);
    ++it;
  }
  return m_sessions.empty() ? -1 : static_cast<int>(next.count() * 1000 + 1000);
}

} // namespace net
