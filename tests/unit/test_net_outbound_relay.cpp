// The outbound relay (net/outbound_relay, served by net/socket_bypass) against real processes
// (tests/unit/intercept_harness.hpp): the destination is the host's loopback, reached through
// the gateway address with host loopback allowed.
#include "intercept_harness.hpp"

#include <chrono>

using namespace intercept;

namespace {

int relayed(const net::SocketBypass::Config& config, const std::function<int(int)>& body,
            const std::function<void(int)>& parent = {}) {
  return run_intercepted(config, body, parent, {.relay = true});
}

bool name_is(int fd, bool peer, const char* ip, uint16_t port) {
  sockaddr_in addr{};
  socklen_t length = sizeof addr;
  int rc = peer ? ::getpeername(fd, reinterpret_cast<sockaddr*>(&addr), &length)
                : ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &length);
  sockaddr_in expected = ipv4(ip, port);
  return rc == 0 && length == sizeof addr && addr.sin_addr.s_addr == expected.sin_addr.s_addr &&
         (port == 0 || addr.sin_port == expected.sin_port);
}

} // namespace

TEST_CASE("outbound relay: connections to the gateway reach the host's loopback, as the kernel's would") {
  uint16_t port = 0;
  util::UniqueFd server = listen_loopback(port);
  uint16_t closed_port = 0;
  listen_loopback(closed_port); // closed again at once: nobody listens there
  std::thread host([&] { // answers: a ping, a half-closed request, 8 MiB
    util::UniqueFd first(::accept4(server.get(), nullptr, nullptr, SOCK_CLOEXEC));
    char buf[8] = {};
    if (first && ::recv(first.get(), buf, 4, MSG_WAITALL) == 4)
      ::send(first.get(), "pong", 4, MSG_NOSIGNAL);
    util::UniqueFd second(::accept4(server.get(), nullptr, nullptr, SOCK_CLOEXEC));
    while (second && ::recv(second.get(), buf, sizeof buf, 0) > 0) { // up to the end of file
    }
    ::send(second.get(), "bye", 3, MSG_NOSIGNAL);
    second.reset();
    util::UniqueFd third(::accept4(server.get(), nullptr, nullptr, SOCK_CLOEXEC));
    static char chunk[1 << 16];
    std::memset(chunk, 'x', sizeof chunk);
    for (int i = 0; third && i < 128; ++i)
      if (::send(third.get(), chunk, sizeof chunk, MSG_NOSIGNAL) != static_cast<ssize_t>(sizeof chunk))
        break;
  });
  int code = relayed(slirp(true), [&](int) {
    int fd = connect_ipv4("10.0.2.2", port);
    if (fd < 0 || !roundtrip(fd, "ping", "pong"))
      return 1;
    // The container sees the address it asked for and its own, not the relay's.
    if (!name_is(fd, true, "10.0.2.2", port) || !name_is(fd, false, "10.0.2.100", 0))
      return 2;
    // A half-close reaches the other end, which still answers.
    int half = connect_ipv4("10.0.2.2", port);
    char buf[8] = {};
    if (half < 0 || ::send(half, "req", 3, 0) != 3 || ::shutdown(half, SHUT_WR) < 0 ||
        ::recv(half, buf, sizeof buf, MSG_WAITALL) != 3 || std::strcmp(buf, "bye") != 0)
      return 3;
    // A non-blocking connect from another thread answers at once (0 or EINPROGRESS).
    int bulk = -1;
    std::thread other([&] {
      bulk = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      sockaddr_in to = ipv4("10.0.2.2", port);
      if (::connect(bulk, reinterpret_cast<sockaddr*>(&to), sizeof to) < 0 && errno != EINPROGRESS)
        bulk = -1;
    });
    other.join();
    pollfd p{bulk, POLLOUT, 0};
    if (bulk < 0 || ::poll(&p, 1, 5000) != 1)
      return 4;
    ::fcntl(bulk, F_SETFL, ::fcntl(bulk, F_GETFL) & ~O_NONBLOCK);
    size_t total = 0;
    static char sink[1 << 16];
    for (ssize_t n; (n = ::recv(bulk, sink, sizeof sink, 0)) > 0;)
      total += static_cast<size_t>(n);
    if (total != 128u << 16)
      return 5;
    // A refused connection is refused, blocking or not; a UDP socket stays inside.
    if (connect_ipv4("10.0.2.2", closed_port) >= 0 || errno != ECONNREFUSED)
      return 6;
    int quick = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    sockaddr_in to = ipv4("10.0.2.2", closed_port);
    if (::connect(quick, reinterpret_cast<sockaddr*>(&to), sizeof to) == 0 || errno != ECONNREFUSED)
      return 7;
    if (connect_ipv4("10.0.2.2", port, SOCK_DGRAM) >= 0 || errno != ENETUNREACH)
      return 8;
    return 0;
  });
  if (code != 0)
    ::shutdown(server.get(), SHUT_RDWR);
  host.join();
  expect_passed(code);
}

TEST_CASE("outbound relay: a slow dial answers a non-blocking connect early, and a failure resets") {
  // A listener whose queue is full drops new connection attempts: the relay's dial waits for a
  // retransmission (a second) while the container's non-blocking connect is answered.
  uint16_t port = 0;
  util::UniqueFd filler;
  util::UniqueFd server = listen_full(port, filler);
  std::thread host([&] { // makes room after a moment, then answers the relayed connection
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    util::UniqueFd first(::accept4(server.get(), nullptr, nullptr, SOCK_CLOEXEC));
    util::UniqueFd second(::accept4(server.get(), nullptr, nullptr, SOCK_CLOEXEC));
    char buf[8] = {};
    if (second && ::recv(second.get(), buf, 4, MSG_WAITALL) == 4)
      ::send(second.get(), "pong", 4, MSG_NOSIGNAL);
  });
  int code = relayed(slirp(true), [&](int) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    sockaddr_in to = ipv4("10.0.2.2", port);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) == 0 || errno != EINPROGRESS)
      return 1;
    pollfd p{fd, POLLOUT, 0};
    if (::poll(&p, 1, 5000) != 1)
      return 2;
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    return roundtrip(fd, "ping", "pong") ? 0 : 3;
  });
  host.join();
  expect_passed(code);

  // Again, but the listener goes away instead: the connection the container saw made resets.
  util::UniqueFd filler2;
  util::UniqueFd doomed = listen_full(port, filler2);
  std::thread closer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    doomed.reset();
  });
  code = relayed(slirp(true), [&](int) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    sockaddr_in to = ipv4("10.0.2.2", port);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) == 0 || errno != EINPROGRESS)
      return 1;
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    char byte;
    return ::recv(fd, &byte, 1, 0) < 0 && errno == ECONNRESET ? 0 : 2;
  });
  closer.join();
  expect_passed(code);
}

TEST_CASE("outbound relay: a process knocking at the relay's port does not disturb it") {
  PongServer host;
  int code = relayed(slirp(true), [&](int) {
    // The only listener on this loopback is the relay's: find it as the container could.
    int first = connect_ipv4("10.0.2.2", host.port());
    if (first < 0 || !roundtrip(first, "ping", "pong"))
      return 1;
    std::FILE* table = std::fopen("/proc/net/tcp", "r");
    char line[256];
    unsigned relay_port = 0;
    while (table && std::fgets(line, sizeof line, table))
      if (std::sscanf(line, " %*d: 0100007F:%X 00000000:0000 0A", &relay_port) == 1)
        break;
    if (table)
      std::fclose(table);
    if (relay_port == 0)
      return 2;
    int knock = connect_ipv4("127.0.0.1", static_cast<uint16_t>(relay_port));
    char byte;
    if (knock >= 0 && ::recv(knock, &byte, 1, 0) > 0)
      return 3; // reset or closed, never relayed anywhere
    return 0;
  });
  expect_passed(code);
}

TEST_CASE("outbound relay: a socket bound before it connects is relayed from its own address") {
  PongServer host;
  uint16_t port = host.port();
  int code = relayed(slirp(true), [&](int) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in local = ipv4("127.0.0.2", 0);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local) < 0)
      return 1;
    sockaddr_in to = ipv4("10.0.2.2", port);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) < 0)
      return 2;
    return roundtrip(fd, "ping", "pong") && name_is(fd, true, "10.0.2.2", port) ? 0 : 3;
  });
  expect_passed(code);
}

TEST_CASE("outbound relay: a connect interrupted by a signal starts again and connects once") {
  uint16_t port = 0;
  util::UniqueFd filler;
  util::UniqueFd server = listen_full(port, filler); // the dial waits a second
  std::thread host([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    util::UniqueFd first(::accept4(server.get(), nullptr, nullptr, SOCK_CLOEXEC));
    for (int i = 0; i < 2; ++i) { // the interrupted dial's connection may arrive too
      util::UniqueFd c(::accept4(server.get(), nullptr, nullptr, SOCK_CLOEXEC));
      char buf[8] = {};
      if (c && ::recv(c.get(), buf, 4, MSG_WAITALL) == 4) {
        ::send(c.get(), "pong", 4, MSG_NOSIGNAL);
        return;
      }
    }
  });
  int code = relayed(slirp(true), [&](int) {
    struct sigaction action{};
    action.sa_handler = [](int) {};
    action.sa_flags = SA_RESTART;
    ::sigaction(SIGUSR1, &action, nullptr);
    pthread_t self = ::pthread_self();
    std::thread poke([self] {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      ::pthread_kill(self, SIGUSR1);
    });
    int fd = connect_ipv4("10.0.2.2", port);
    poke.join();
    return fd >= 0 && roundtrip(fd, "ping", "pong") ? 0 : 1;
  });
  if (code != 0)
    ::shutdown(server.get(), SHUT_RDWR);
  host.join();
  expect_passed(code);
}

TEST_CASE("outbound relay: sockets of a namespace the container made for itself stay there") {
  uint16_t port = 0;
  util::UniqueFd server = listen_loopback(port);
  int code = relayed(slirp(true), [&](int) {
    if (::unshare(CLONE_NEWNET) < 0)
      return 1;
    if (!loopback_up())
      return 2;
    // Only a loopback here: the kernel's answer, not a relay into a namespace without it.
    return connect_ipv4("10.0.2.2", port) < 0 && errno == ENETUNREACH ? 0 : 3;
  });
  expect_passed(code);
}
