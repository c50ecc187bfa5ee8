// The guards on sockets of cove's namespace handed to a container (net/socket_guard), against
// the kernel's own TCP on 127.0.0.1: what a container could do with such a socket if it won a
// race against the supervisor (a disconnect, then a connect elsewhere) completes no connection.
#include "intercept_harness.hpp"
#include "net/socket_guard.hpp"

using namespace intercept;

namespace {

sockaddr_in bound_address(int fd) {
  sockaddr_in addr{};
  socklen_t length = sizeof addr;
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &length) == 0);
  return addr;
}

bool disconnect(int fd) {
  sockaddr unspec{};
  unspec.sa_family = AF_UNSPEC;
  return ::connect(fd, &unspec, sizeof unspec) == 0;
}

// Whether a non-blocking connect of `fd` to 127.0.0.1:`port` completes within `ms`.
bool connects_within(int fd, uint16_t port, int ms) {
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  sockaddr_in target = ipv4("127.0.0.1", port);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&target), sizeof target) == 0)
    return true;
  if (errno != EINPROGRESS)
    return false;
  pollfd p{fd, POLLOUT, 0};
  if (::poll(&p, 1, ms) != 1)
    return false;
  int err = 0;
  socklen_t length = sizeof err;
  ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &length);
  return err == 0;
}

// Nothing waits in `listener`'s accept queue.
bool nothing_accepted(int listener) {
  ::fcntl(listener, F_SETFL, ::fcntl(listener, F_GETFL) | O_NONBLOCK);
  util::UniqueFd c(::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC));
  return !c && errno == EAGAIN;
}

// Recent kernels let only CAP_NET_ADMIN filter TCP sockets.
bool guards_unavailable() {
  if (net::tcp_guards_available())
    return false;
  MESSAGE("skipped: this kernel lets only CAP_NET_ADMIN filter TCP sockets");
  return true;
}

bool filter_locked(int fd) {
  int zero = 0;
  return ::setsockopt(fd, SOL_SOCKET, SO_DETACH_FILTER, &zero, sizeof zero) < 0 && errno == EPERM &&
         ::setsockopt(fd, SOL_SOCKET, SO_LOCK_FILTER, &zero, sizeof zero) < 0 && errno == EPERM;
}

} // namespace

// Sends `text` on `from` and reads it on `to`.
bool carries(int from, int to, const char* text) {
  size_t length = std::strlen(text);
  char buf[64] = {};
  return ::send(from, text, length, MSG_NOSIGNAL) == static_cast<ssize_t>(length) &&
         ::recv(to, buf, length, MSG_WAITALL) == static_cast<ssize_t>(length) &&
         std::strcmp(buf, text) == 0;
}

TEST_CASE("socket guard: a guarded listener serves its port, and neither it nor its connections connect elsewhere") {
  if (guards_unavailable())
    return;
  uint16_t other_port = 0;
  util::UniqueFd other = listen_loopback(other_port);
  util::UniqueFd server(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in addr = ipv4("127.0.0.1", 0);
  REQUIRE(::bind(server.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  uint16_t port = ntohs(bound_address(server.get()).sin_port);
  REQUIRE(net::guard_listening_socket(server.get(), port) == 0);
  REQUIRE(::listen(server.get(), 8) == 0);
  CHECK(filter_locked(server.get()));

  util::UniqueFd client(connect_ipv4("127.0.0.1", port));
  REQUIRE(client);
  util::UniqueFd accepted(::accept4(server.get(), nullptr, nullptr, SOCK_CLOEXEC));
  REQUIRE(accepted);
  CHECK(carries(client.get(), accepted.get(), "request"));
  CHECK(carries(accepted.get(), client.get(), "answer"));
  CHECK(filter_locked(accepted.get())); // inherited

  // The accepted connection, disconnected and aimed at another port of the host's loopback.
  REQUIRE(disconnect(accepted.get()));
  CHECK_FALSE(connects_within(accepted.get(), other_port, 300));
  // The listener itself, the same way.
  REQUIRE(disconnect(server.get()));
  CHECK_FALSE(connects_within(server.get(), other_port, 300));
  CHECK(nothing_accepted(other.get()));
}

TEST_CASE("socket guard: a guarded outbound socket reaches its peer and nothing else") {
  if (guards_unavailable())
    return;
  uint16_t peer_port = 0;
  util::UniqueFd peer = listen_loopback(peer_port);
  uint16_t other_port = 0;
  util::UniqueFd other = listen_loopback(other_port);
  sockaddr_in peer_address = ipv4("127.0.0.1", peer_port);
  net::SocketAddress guarded;
  std::memcpy(&guarded.storage, &peer_address, sizeof peer_address);
  guarded.length = sizeof peer_address;

  util::UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  REQUIRE(net::guard_connecting_socket(fd.get(), guarded) == 0);
  CHECK(filter_locked(fd.get()));
  REQUIRE(connects_within(fd.get(), peer_port, 2000));
  util::UniqueFd accepted(::accept4(peer.get(), nullptr, nullptr, SOCK_CLOEXEC));
  REQUIRE(accepted);
  ::fcntl(fd.get(), F_SETFL, ::fcntl(fd.get(), F_GETFL) & ~O_NONBLOCK);
  CHECK(carries(fd.get(), accepted.get(), "request"));
  CHECK(carries(accepted.get(), fd.get(), "answer"));

  REQUIRE(disconnect(fd.get()));
  CHECK_FALSE(connects_within(fd.get(), other_port, 300));
  CHECK(nothing_accepted(other.get()));

  // Guarded for one peer, connecting to another from the start.
  util::UniqueFd wrong(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  REQUIRE(net::guard_connecting_socket(wrong.get(), guarded) == 0);
  CHECK_FALSE(connects_within(wrong.get(), other_port, 300));
  CHECK(nothing_accepted(other.get()));
}

TEST_CASE("socket guard: an IPv6 peer is refused, not guarded wrongly") {
  net::SocketAddress v6;
  v6.v6().sin6_family = AF_INET6;
  v6.v6().sin6_addr = in6addr_loopback;
  v6.v6().sin6_port = htons(80);
  v6.length = sizeof(sockaddr_in6);
  util::UniqueFd fd(::socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0));
  CHECK(net::guard_connecting_socket(fd.get(), v6) == -EAFNOSUPPORT);
}
