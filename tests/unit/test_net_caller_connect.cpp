// connect() done by the supervisor when no connect of the container may run as its own
// (SocketBypass::Config::strict_connects; a unix socket's through net/caller_connect), against
// real processes (tests/unit/intercept_harness.hpp).
#include "intercept_harness.hpp"

#include <sys/stat.h>
#include <sys/un.h>

#include <cstdlib>
#include <string>

using namespace intercept;

namespace {

net::SocketBypass::Config strict() {
  net::SocketBypass::Config config =
      net::SocketBypass::slirp4netns(net::SlirpNetwork::standard(), false, nullptr);
  config.strict_connects = true;
  return config;
}

sockaddr_un unix_address(const std::string& path, bool abstract = false) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path + (abstract ? 1 : 0), path.data(), path.size());
  return addr;
}

socklen_t length_of(const std::string& path, bool abstract = false) {
  return static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size() + (abstract ? 1 : 0));
}

// A listening unix socket at `path` (or the abstract name); -1 on failure.
int unix_listener(const std::string& path, bool abstract = false) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr = unix_address(path, abstract);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), length_of(path, abstract)) < 0 ||
      ::listen(fd, 4) < 0)
    return -1;
  return fd;
}

// connect() of a new unix stream socket; the errno, 0 when connected.
int unix_connect(const std::string& path, bool abstract = false) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr = unix_address(path, abstract);
  int err = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), length_of(path, abstract)) < 0 ? errno : 0;
  ::close(fd);
  return err;
}

} // namespace

TEST_CASE("strict connects: unix sockets connect by path, relative path and abstract name, as the caller's would") {
  if (::geteuid() != 0) { // cove's supervisor is root in its user namespace, rootless too
    MESSAGE("skipped: entering the caller's mount namespace needs root here");
    return;
  }
  char dir_template[] = "/tmp/cove-unit-unix.XXXXXX";
  REQUIRE(::mkdtemp(dir_template) != nullptr);
  std::string dir = dir_template;
  int code = run_intercepted(strict(), [&](int) {
    int server = unix_listener(dir + "/server.sock");
    if (server < 0 || unix_listener("cove-unit-abstract", true) < 0)
      return 1;
    if (unix_connect(dir + "/server.sock") != 0)
      return 2;
    // Made by cove's supervisor (the parent here), with the caller's ids.
    int accepted = ::accept4(server, nullptr, nullptr, SOCK_CLOEXEC);
    ucred peer{};
    socklen_t peer_length = sizeof peer;
    if (accepted < 0 || ::getsockopt(accepted, SOL_SOCKET, SO_PEERCRED, &peer, &peer_length) < 0 ||
        peer.pid != ::getppid() || peer.uid != ::getuid())
      return 11;
    if (::chdir(dir.c_str()) < 0 || unix_connect("server.sock") != 0)
      return 3; // relative to the caller's working directory
    if (unix_connect("cove-unit-abstract", true) != 0)
      return 4;
    if (unix_connect(dir + "/missing.sock") != ENOENT)
      return 5;
    // Permissions are the caller's: without write permission on the socket, refused.
    if (::chmod((dir + "/server.sock").c_str(), 0) < 0 || unix_connect(dir + "/server.sock") != EACCES)
      return 6;
    // A descriptor that is no socket, and one that is not open.
    int pipe_fds[2];
    if (::pipe(pipe_fds) < 0)
      return 7;
    sockaddr_un addr = unix_address(dir + "/server.sock");
    if (::connect(pipe_fds[0], reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 || errno != ENOTSOCK)
      return 8;
    if (::connect(999, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 || errno != EBADF)
      return 9;
    // INET sockets inside the container's network are connected by the supervisor too.
    uint16_t port = 0;
    util::UniqueFd inside = listen_loopback(port);
    return connect_ipv4("127.0.0.1", port) >= 0 ? 0 : 10;
  }, {}, {.relay = true, .host_sockets = true});
  std::string cleanup = "rm -rf " + dir;
  CHECK(std::system(cleanup.c_str()) == 0);
  expect_passed(code);
}
