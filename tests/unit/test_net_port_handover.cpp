// Published ports handed to the container (net/port_handover, served by net/socket_bypass) as
// by default: with the outbound relay, and no outbound host sockets.
#include "intercept_harness.hpp"
#include "net/socket_guard.hpp"

#include <linux/filter.h>

using namespace intercept;

namespace {

bool local_name_is(int fd, const char* ip, uint16_t port) {
  sockaddr_in addr{};
  socklen_t length = sizeof addr;
  sockaddr_in expected = ipv4(ip, port);
  return ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &length) == 0 &&
         length == sizeof addr && addr.sin_addr.s_addr == expected.sin_addr.s_addr &&
         addr.sin_port == expected.sin_port;
}

} // namespace

TEST_CASE("port handover: with the relay, the container's listener is the published host socket, guarded") {
  if (!net::tcp_guards_available()) {
    MESSAGE("skipped: this kernel lets only CAP_NET_ADMIN filter TCP sockets, so nothing is handed over");
    return;
  }
  net::PortForwarder forwarder = publish_8080();
  uint16_t host_port = forwarder.ports().at(0).host_port;
  uint16_t other_port = 0;
  util::UniqueFd other = listen_loopback(other_port); // must never see a connection
  net::SocketBypass::Config config =
      net::SocketBypass::slirp4netns(net::SlirpNetwork::standard(), true, &forwarder);
  int code = run_intercepted(
      config,
      [&](int ready) {
        int server = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in addr = ipv4("0.0.0.0", 8080);
        int client = serve_host_client(server, reinterpret_cast<sockaddr*>(&addr), sizeof addr, ready);
        if (client < 0)
          return 3;
        // The names the container bound, not the host's.
        if (!local_name_is(server, "0.0.0.0", 8080) || !local_name_is(client, "10.0.2.100", 8080))
          return 11;
        // Guarded: the filter cannot be taken off.
        int zero = 0;
        if (::setsockopt(server, SOL_SOCKET, SO_DETACH_FILTER, &zero, sizeof zero) == 0 ||
            errno != EPERM)
          return 4;
        // Neither disconnected nor aimed elsewhere (the host's loopback through the gateway
        // goes through the relay for the container's own sockets, never for this one).
        sockaddr unspec{};
        unspec.sa_family = AF_UNSPEC;
        if (::connect(client, &unspec, sizeof unspec) == 0 || errno != EOPNOTSUPP)
          return 5;
        sockaddr_in gateway = ipv4("10.0.2.2", other_port);
        if (::connect(client, reinterpret_cast<sockaddr*>(&gateway), sizeof gateway) == 0 ||
            errno != EISCONN)
          return 6;
        if (::connect(server, reinterpret_cast<sockaddr*>(&gateway), sizeof gateway) == 0 ||
            errno != EISCONN)
          return 7;
        if (::sendto(client, "x", 1, MSG_FASTOPEN, reinterpret_cast<sockaddr*>(&gateway),
                     sizeof gateway) >= 0 || errno != EOPNOTSUPP)
          return 8;
        int one = 1;
        int fresh = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (::setsockopt(fresh, IPPROTO_TCP, TCP_FASTOPEN_CONNECT, &one, sizeof one) == 0 ||
            errno != EOPNOTSUPP)
          return 9;
        // The container's own sockets still go through the relay.
        int relayed = connect_ipv4("10.0.2.2", other_port);
        if (relayed < 0)
          return 10;
        return 0;
      },
      host_client(host_port),
      {.relay = true, .host_sockets = true});
  expect_passed(code);
  if (code != exit_skip) {
    // Exactly one connection reached the other port: the relayed one.
    util::UniqueFd first(::accept4(other.get(), nullptr, nullptr, SOCK_CLOEXEC));
    CHECK(first);
    ::fcntl(other.get(), F_SETFL, ::fcntl(other.get(), F_GETFL) | O_NONBLOCK);
    CHECK(::accept(other.get(), nullptr, nullptr) < 0);
  }
}
