// Host sockets (net/socket_bypass) against real processes: a forked child enters a user and
// network namespace of its own (only its loopback, so an address outside is unreachable from
// there), installs the socket filter and passes its listener to this process, which serves it
// from its own namespace. Skipped where unprivileged user namespaces are turned off.
#include "net/outbound_relay.hpp"
#include "net/port_forwarder.hpp"
#include "net/socket_bypass.hpp"
#include "net/socket_filter.hpp"
#include "util/fd.hpp"
#include "util/fd_passing.hpp"

#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <linux/close_range.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/io_uring.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <optional>
#include <thread>

namespace {

constexpr int exit_skip = 77;

sockaddr_in ipv4(const char* ip, uint16_t port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  ::inet_pton(AF_INET, ip, &addr.sin_addr);
  return addr;
}

int connect_ipv4(const char* ip, uint16_t port, int type = SOCK_STREAM) {
  int fd = ::socket(AF_INET, type | SOCK_CLOEXEC, 0);
  sockaddr_in addr = ipv4(ip, port);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0) {
    int err = errno;
    ::close(fd);
    errno = err;
    return -1;
  }
  return fd;
}

util::UniqueFd listen_loopback(uint16_t& port) {
  util::UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in addr = ipv4("127.0.0.1", 0);
  REQUIRE(::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(::listen(fd.get(), 8) == 0);
  socklen_t length = sizeof addr;
  ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&addr), &length);
  port = ntohs(addr.sin_port);
  return fd;
}

bool send_fd(int socket, int fd) {
  char byte = 0;
  return util::send_with_fd(socket, &byte, 1, fd);
}

util::UniqueFd receive_fd(int socket) {
  char byte;
  util::UniqueFd passed;
  return util::receive_with_fd(socket, &byte, 1, passed) == 1 ? std::move(passed) : util::UniqueFd();
}

bool roundtrip(int fd, const char* out, const char* expected) {
  if (::send(fd, out, std::strlen(out), MSG_NOSIGNAL) != static_cast<ssize_t>(std::strlen(out)))
    return false;
  char buf[64] = {};
  ssize_t n = ::recv(fd, buf, sizeof buf - 1, 0);
  return n == static_cast<ssize_t>(std::strlen(expected)) && std::strcmp(buf, expected) == 0;
}

// Runs `body` (its exit code is the result) in a child with its own user and network
// namespace under the socket filter, served by a SocketBypass with `config` here. Returns the
// child's exit code, exit_skip when the namespaces or the filter are not available. `ready`, if
// set, gets the read end of a pipe the body may write to.
int run_intercepted(const net::SocketBypass::Config& config, const std::function<int(int)>& body,
                    const std::function<void(int)>& parent = {},
                    net::SocketFilter mode = net::SocketFilter::host_sockets) {
  int sockets[2];
  int pipe_fds[2];
  REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sockets) == 0);
  REQUIRE(::pipe2(pipe_fds, O_CLOEXEC) == 0);
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::alarm(20);
    // Like the container after its exec: none of this process's descriptors (the forwarder's
    // host sockets above all, which must close when handed over).
    if (::dup2(sockets[1], 100) < 0 || ::dup2(pipe_fds[1], 101) < 0)
      ::_exit(91);
    sockets[1] = 100;
    pipe_fds[1] = 101;
    ::close_range(3, 99, 0);
    ::close_range(102, ~0U, 0);
    if (::unshare(CLONE_NEWUSER | CLONE_NEWNET) < 0)
      ::_exit(exit_skip);
    int probe = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    ifreq request{};
    std::strcpy(request.ifr_name, "lo");
    ::ioctl(probe, SIOCGIFFLAGS, &request);
    request.ifr_flags |= IFF_UP;
    if (::ioctl(probe, SIOCSIFFLAGS, &request) < 0)
      ::_exit(exit_skip);
    ::close(probe);
    int relay = mode == net::SocketFilter::relay ? net::make_relay_listener() : -1;
    int listener = net::install_socket_filter(mode);
    if (listener < 0)
      ::_exit(exit_skip);
    if (!send_fd(sockets[1], listener) || (relay >= 0 && !send_fd(sockets[1], relay)))
      ::_exit(90);
    ::close(listener);
    ::_exit(body(pipe_fds[1]));
  }
  ::close(sockets[1]);
  ::close(pipe_fds[1]);
  util::UniqueFd pipe_read(pipe_fds[0]);
  util::UniqueFd listener = receive_fd(sockets[0]);
  util::UniqueFd relay = mode == net::SocketFilter::relay && listener ? receive_fd(sockets[0])
                                                                      : util::UniqueFd();
  ::close(sockets[0]);
  std::optional<net::SocketBypass> bypass;
  if (listener)
    bypass.emplace(net::SocketBypass::start(std::move(listener), config, std::move(relay)));
  if (bypass && parent)
    parent(pipe_read.get());
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  REQUIRE(WIFEXITED(status));
  int code = WEXITSTATUS(status);
  if (code == exit_skip)
    MESSAGE("skipped: no unprivileged user namespaces or seccomp user notifications here");
  return code;
}

net::SocketBypass::Config slirp(bool allow_host_loopback, net::PortForwarder* forwarder = nullptr) {
  return net::SocketBypass::slirp4netns(net::SlirpNetwork::standard(), allow_host_loopback, forwarder);
}

} // namespace

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
  if (code != exit_skip)
    CHECK(code == 0);
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
  if (code != exit_skip)
    CHECK(code == 0);
}

TEST_CASE("host sockets: a published port's listening socket is handed to the container") {
  net::PortMapping mapping;
  mapping.host_ip = "127.0.0.1";
  mapping.container_port = 8080;
  net::PortForwarder forwarder = net::PortForwarder::start({mapping}, -1, net::Ipv4::parse("127.0.0.1"));
  uint16_t host_port = forwarder.ports().at(0).host_port;
  int code = run_intercepted(
      slirp(false, &forwarder),
      [](int ready) {
        // Dual-stack [::]:8080, as many servers bind: IPv4 clients arrive v4-mapped.
        int server = ::socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in6 addr{};
        addr.sin6_family = AF_INET6;
        addr.sin6_port = htons(8080);
        if (::bind(server, reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0 ||
            ::listen(server, 8) < 0)
          return 1;
        if (::write(ready, "r", 1) != 1)
          return 2;
        int client = ::accept4(server, nullptr, nullptr, SOCK_CLOEXEC); // the host's
        if (client < 0 || !roundtrip(client, "ok", "hi"))
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
      [&](int ready) {
        char byte;
        REQUIRE(::read(ready, &byte, 1) == 1);
        int fd = connect_ipv4("127.0.0.1", host_port);
        REQUIRE(fd >= 0);
        CHECK(roundtrip(fd, "hi", "ok"));
        ::close(fd);
      });
  if (code != exit_skip)
    CHECK(code == 0);
}

namespace {

int relayed(const net::SocketBypass::Config& config, const std::function<int(int)>& body,
            const std::function<void(int)>& parent = {}) {
  return run_intercepted(config, body, parent, net::SocketFilter::relay);
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
  if (code != exit_skip)
    CHECK(code == 0);
}

TEST_CASE("outbound relay: a slow dial answers a non-blocking connect early, and a failure resets") {
  // A listener whose queue is full drops new connection attempts: the relay's dial waits for a
  // retransmission (a second) while the container's non-blocking connect is answered.
  uint16_t port = 0;
  util::UniqueFd server(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in addr = ipv4("127.0.0.1", 0);
  socklen_t length = sizeof addr;
  REQUIRE(::bind(server.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(::listen(server.get(), 0) == 0);
  ::getsockname(server.get(), reinterpret_cast<sockaddr*>(&addr), &length);
  port = ntohs(addr.sin_port);
  util::UniqueFd filler(connect_ipv4("127.0.0.1", port));
  REQUIRE(filler);
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
  if (code != exit_skip)
    CHECK(code == 0);

  // Again, but the listener goes away instead: the connection the container saw made resets.
  util::UniqueFd doomed(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  addr = ipv4("127.0.0.1", 0);
  REQUIRE(::bind(doomed.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(::listen(doomed.get(), 0) == 0);
  length = sizeof addr;
  ::getsockname(doomed.get(), reinterpret_cast<sockaddr*>(&addr), &length);
  port = ntohs(addr.sin_port);
  util::UniqueFd filler2(connect_ipv4("127.0.0.1", port));
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
  if (code != exit_skip)
    CHECK(code == 0);
}

TEST_CASE("outbound relay: a process knocking at the relay's port does not disturb it") {
  uint16_t port = 0;
  util::UniqueFd server = listen_loopback(port);
  std::thread host([&] {
    util::UniqueFd c(::accept4(server.get(), nullptr, nullptr, SOCK_CLOEXEC));
    char buf[8] = {};
    if (c && ::recv(c.get(), buf, 4, MSG_WAITALL) == 4)
      ::send(c.get(), "pong", 4, MSG_NOSIGNAL);
  });
  int code = relayed(slirp(true), [&](int) {
    // The only listener on this loopback is the relay's: find it as the container could.
    int first = connect_ipv4("10.0.2.2", port);
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
  if (code != 0)
    ::shutdown(server.get(), SHUT_RDWR);
  host.join();
  if (code != exit_skip)
    CHECK(code == 0);
}

TEST_CASE("outbound relay: a socket bound before it connects is relayed from its own address") {
  uint16_t port = 0;
  util::UniqueFd server = listen_loopback(port);
  std::thread host([&] {
    util::UniqueFd c(::accept4(server.get(), nullptr, nullptr, SOCK_CLOEXEC));
    char buf[8] = {};
    if (c && ::recv(c.get(), buf, 4, MSG_WAITALL) == 4)
      ::send(c.get(), "pong", 4, MSG_NOSIGNAL);
  });
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
  if (code != 0)
    ::shutdown(server.get(), SHUT_RDWR);
  host.join();
  if (code != exit_skip)
    CHECK(code == 0);
}

TEST_CASE("outbound relay: a connect interrupted by a signal starts again and connects once") {
  uint16_t port = 0;
  util::UniqueFd server(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in addr = ipv4("127.0.0.1", 0);
  socklen_t length = sizeof addr;
  REQUIRE(::bind(server.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(::listen(server.get(), 0) == 0); // full with the filler: the dial waits a second
  ::getsockname(server.get(), reinterpret_cast<sockaddr*>(&addr), &length);
  port = ntohs(addr.sin_port);
  util::UniqueFd filler(connect_ipv4("127.0.0.1", port));
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
  if (code != exit_skip)
    CHECK(code == 0);
}

TEST_CASE("outbound relay: sockets of a namespace the container made for itself stay there") {
  uint16_t port = 0;
  util::UniqueFd server = listen_loopback(port);
  int code = relayed(slirp(true), [&](int) {
    if (::unshare(CLONE_NEWNET) < 0)
      return 1;
    int probe = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    ifreq request{};
    std::strcpy(request.ifr_name, "lo");
    ::ioctl(probe, SIOCGIFFLAGS, &request);
    request.ifr_flags |= IFF_UP;
    if (::ioctl(probe, SIOCSIFFLAGS, &request) < 0)
      return 2;
    // Only a loopback here: the kernel's answer, not a relay into a namespace without it.
    return connect_ipv4("10.0.2.2", port) < 0 && errno == ENETUNREACH ? 0 : 3;
  });
  if (code != exit_skip)
    CHECK(code == 0);
}
