// Shared by the socket supervisor's tests (test_net_socket_bypass, test_net_outbound_relay):
// real processes, no mocks. A forked child enters a user and network namespace of its own (only
// its loopback, so an address outside is unreachable from there), installs the socket filter
// and passes its listener (and, for the relay, the relay's listening socket) to this process,
// which serves it from its own namespace. Skipped where unprivileged user namespaces are off.
#pragma once

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
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <linux/close_range.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <optional>
#include <thread>

namespace intercept {

inline constexpr int exit_skip = 77;

inline sockaddr_in ipv4(const char* ip, uint16_t port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  ::inet_pton(AF_INET, ip, &addr.sin_addr);
  return addr;
}

inline int connect_ipv4(const char* ip, uint16_t port, int type = SOCK_STREAM) {
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

inline util::UniqueFd listen_loopback(uint16_t& port) {
  util::UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in addr = ipv4("127.0.0.1", 0);
  REQUIRE(::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(::listen(fd.get(), 8) == 0);
  socklen_t length = sizeof addr;
  ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&addr), &length);
  port = ntohs(addr.sin_port);
  return fd;
}

inline bool send_fd(int socket, int fd) {
  char byte = 0;
  return util::send_with_fd(socket, &byte, 1, fd);
}

inline util::UniqueFd receive_fd(int socket) {
  char byte;
  util::UniqueFd passed;
  return util::receive_with_fd(socket, &byte, 1, passed) == 1 ? std::move(passed) : util::UniqueFd();
}

inline bool roundtrip(int fd, const char* out, const char* expected) {
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
// Brings up the loopback interface of the caller's network namespace; false if it cannot.
inline bool loopback_up() {
  int probe = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ifreq request{};
  std::strcpy(request.ifr_name, "lo");
  ::ioctl(probe, SIOCGIFFLAGS, &request);
  request.ifr_flags |= IFF_UP;
  bool up = ::ioctl(probe, SIOCSIFFLAGS, &request) == 0;
  ::close(probe);
  return up;
}

inline int run_intercepted(const net::SocketBypass::Config& config, const std::function<int(int)>& body,
                    const std::function<void(int)>& parent = {},
                    net::SocketFilter mode = {.relay = false, .host_sockets = true}) {
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
    if (!loopback_up())
      ::_exit(exit_skip);
    int relay = mode.relay ? net::make_relay_listener() : -1;
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
  util::UniqueFd relay = mode.relay && listener ? receive_fd(sockets[0])
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

// The container's side of a published-port test: binds `server` to `address` and listens,
// tells the host it is ready (a byte on `ready`), accepts the host's client and answers its
// "hi" with "ok". The accepted connection, or -1.
inline int serve_host_client(int server, const sockaddr* address, socklen_t length, int ready) {
  if (::bind(server, address, length) < 0 || ::listen(server, 8) < 0 || ::write(ready, "r", 1) != 1)
    return -1;
  int client = ::accept4(server, nullptr, nullptr, SOCK_CLOEXEC);
  if (client < 0 || !roundtrip(client, "ok", "hi"))
    return -1;
  return client;
}

// A forwarder publishing container port 8080 on a free port of the host's 127.0.0.1.
inline net::PortForwarder publish_8080() {
  net::PortMapping mapping;
  mapping.host_ip = "127.0.0.1";
  mapping.container_port = 8080;
  return net::PortForwarder::start({mapping}, -1, net::Ipv4::parse("127.0.0.1"));
}

// The host's side of a published-port test: once the body is ready (it wrote to `ready`), a
// client on 127.0.0.1:`port` says "hi" and expects "ok".
inline std::function<void(int)> host_client(uint16_t port) {
  return [port](int ready) {
    char byte;
    REQUIRE(::read(ready, &byte, 1) == 1);
    int fd = connect_ipv4("127.0.0.1", port);
    REQUIRE(fd >= 0);
    CHECK(roundtrip(fd, "hi", "ok"));
    ::close(fd);
  };
}

// slirp4netns' network; outbound connections become host sockets unless the relay is given.
inline net::SocketBypass::Config slirp(bool allow_host_loopback, net::PortForwarder* forwarder = nullptr) {
  net::SocketBypass::Config config =
      net::SocketBypass::slirp4netns(net::SlirpNetwork::standard(), allow_host_loopback, forwarder);
  config.outbound_host_sockets = true;
  return config;
}

// A listening socket on 127.0.0.1 whose queue is full (`filler` holds the one connection it
// takes): new connection attempts are dropped until it accepts, and retried a second later.
inline util::UniqueFd listen_full(uint16_t& port, util::UniqueFd& filler) {
  util::UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in addr = ipv4("127.0.0.1", 0);
  socklen_t length = sizeof addr;
  REQUIRE(::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(::listen(fd.get(), 0) == 0);
  ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&addr), &length);
  port = ntohs(addr.sin_port);
  filler.reset(connect_ipv4("127.0.0.1", port));
  REQUIRE(filler);
  return fd;
}

// A server on the host's 127.0.0.1 that answers "ping" with "pong" on each of `connections`
// connections, from a thread of its own; shut down and joined when destroyed.
class PongServer {
public:
  explicit PongServer(int connections = 1) : m_server(listen_loopback(m_port)) {
    m_thread = std::thread([this, connections] {
      for (int i = 0; i < connections; ++i) {
        util::UniqueFd c(::accept4(m_server.get(), nullptr, nullptr, SOCK_CLOEXEC));
        if (!c)
          return; // shut down
        char buf[8] = {};
        if (::recv(c.get(), buf, 4, MSG_WAITALL) == 4)
          ::send(c.get(), "pong", 4, MSG_NOSIGNAL);
      }
    });
  }
  PongServer(const PongServer&) = delete;
  PongServer& operator=(const PongServer&) = delete;
  ~PongServer() {
    ::shutdown(m_server.get(), SHUT_RDWR);
    m_thread.join();
  }
  uint16_t port() const { return m_port; }

private:
  uint16_t m_port = 0;
  util::UniqueFd m_server;
  std::thread m_thread;
};

// The test passed, unless it was skipped (run_intercepted said why).
inline void expect_passed(int code) {
  if (code != exit_skip)
    CHECK(code == 0);
}

} // namespace intercept
