// Host sockets (net/socket_bypass) against real processes (tests/unit/intercept_harness.hpp).
#include "intercept_harness.hpp"

#include <linux/io_uring.h>
#include <sys/syscall.h>

using namespace intercept;

TEST_CASE("host sockets: TCP connections to the gateway reach the host's loopback when allowed") {
  uint16_t port = 0;
  util::UniqueFd server = listen_loopback(port);
  std::thread host([&] { // answers two TCP connections
    for (int i = 0; i < 2; ++i) {
      util::UniqueFd c(::accept4(server.get(), nullptr, nullptr, SOCK_CLOEXEC));
      char buf[8] = {};
      if (c && ::recv(c.get(), buf, 4, MSG_WAITALL) == 4)
        ::send(c.get(), "pong", 4, MSG_NOSIGNAL);
    }
  });
  int code = run_intercepted(slirp(true), [&](int) {
    int blocking = connect_ipv4("10.0.2.2", port);
    if (blocking < 0 || !roundtrip(blocking, "ping", "pong"))
      return 1;
    // A non-blocking connect answers EINPROGRESS (or succeeds) and completes by itself; from a
    // thread other than the process's first (its own task id in the notification).
    int fd = -1;
    std::thread other([&] {
      fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      sockaddr_in to = ipv4("10.0.2.2", port);
      if (::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) < 0 && errno != EINPROGRESS)
        fd = -1;
    });
    other.join();
    if (fd < 0)
      return 2;
    pollfd p{fd, POLLOUT, 0};
    int err = 0;
    socklen_t len = sizeof err;
    if (::poll(&p, 1, 5000) != 1 || ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err)
      return 3;
    int flags = ::fcntl(fd, F_GETFL);
    if (!(flags & O_NONBLOCK))
      return 4; // the replacement kept the mode
    ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
    if (!roundtrip(fd, "ping", "pong"))
      return 5;
    // UDP stays with the container's own network (this namespace has no route there).
    if (connect_ipv4("10.0.2.2", port, SOCK_DGRAM) >= 0 || errno != ENETUNREACH)
      return 6;
    return 0;
  });
  if (code != 0) // let the host thread finish
    ::shutdown(server.get(), SHUT_RDWR);
  host.join();
  expect_passed(code);
}

TEST_CASE("host sockets: a host socket in the container cannot be aimed anywhere else") {
  uint16_t port = 0;
  util::UniqueFd server = listen_loopback(port);
  uint16_t other_port = 0;
  util::UniqueFd other = listen_loopback(other_port); // must never see a connection
  std::thread host([&] { // takes one connection and closes it
    util::UniqueFd c(::accept4(server.get(), nullptr, nullptr, SOCK_CLOEXEC));
  });
  int code = run_intercepted(slirp(true), [&](int) {
    int fd = connect_ipv4("10.0.2.2", port); // a host socket from here on
    if (fd < 0)
      return 1;
    char byte;
    if (::recv(fd, &byte, 1, 0) != 0) // the host closed it
      return 2;
    sockaddr unspec{};
    unspec.sa_family = AF_UNSPEC;
    if (::connect(fd, &unspec, sizeof unspec) == 0 || errno != EOPNOTSUPP)
      return 3; // no disconnect
    sockaddr_in loopback = ipv4("127.0.0.1", other_port);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&loopback), sizeof loopback) == 0 ||
        errno != EISCONN)
      return 4;
    if (::sendto(fd, "x", 1, MSG_FASTOPEN, reinterpret_cast<sockaddr*>(&loopback),
                 sizeof loopback) >= 0 || errno != EOPNOTSUPP)
      return 5;
    sockaddr_in any = ipv4("0.0.0.0", 0);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&any), sizeof any) == 0 || errno != EINVAL)
      return 6;
    io_uring_params params{};
    if (::syscall(SYS_io_uring_setup, 4, &params) >= 0 || errno != EPERM)
      return 7;
    return 0;
  });
  host.join();
  if (code != exit_skip) {
    CHECK(code == 0);
    // Nothing reached the other port.
    int flags = ::fcntl(other.get(), F_GETFL);
    ::fcntl(other.get(), F_SETFL, flags | O_NONBLOCK);
    CHECK(::accept(other.get(), nullptr, nullptr) < 0);
  }
}

TEST_CASE("host sockets: the gateway stays unreachable without host loopback, loopback stays inside") {
  int code = run_intercepted(slirp(false), [](int) {
    if (connect_ipv4("10.0.2.2", 9) >= 0 || errno != ENETUNREACH)
      return 1; // not through cove: the namespace has no route there
    int server = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr = ipv4("127.0.0.1", 0);
    socklen_t length = sizeof addr;
    if (::bind(server, reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0 || ::listen(server, 1) < 0 ||
        ::getsockname(server, reinterpret_cast<sockaddr*>(&addr), &length) < 0)
      return 2;
    return connect_ipv4("127.0.0.1", ntohs(addr.sin_port)) >= 0 ? 0 : 3;
  });
  expect_passed(code);
}

TEST_CASE("host sockets: a published port's listening socket is handed to the container") {
  net::PortForwarder forwarder = publish_8080();
  uint16_t host_port = forwarder.ports().at(0).host_port;
  int code = run_intercepted(
      slirp(false, &forwarder),
      [](int ready) {
        // Dual-stack [::]:8080, as many servers bind: IPv4 clients arrive v4-mapped.
        int server = ::socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in6 addr{};
        addr.sin6_family = AF_INET6;
        addr.sin6_port = htons(8080);
        if (serve_host_client(server, reinterpret_cast<sockaddr*>(&addr), sizeof addr, ready) < 0)
          return 3;
        // A client inside reaches the port through the relay to the host socket.
        int inside = connect_ipv4("127.0.0.1", 8080);
        if (inside < 0)
          return 4;
        int relayed = ::accept4(server, nullptr, nullptr, SOCK_CLOEXEC);
        if (relayed < 0 || ::send(inside, "in", 2, 0) != 2 || !roundtrip(relayed, "out", "in"))
          return 5;
        char buf[8] = {};
        if (::recv(inside, buf, 3, MSG_WAITALL) != 3 || std::strcmp(buf, "out") != 0)
          return 6;
        return 0;
      },
      host_client(host_port));
  expect_passed(code);
}

