// The published-port forwarder against real sockets on 127.0.0.1: its thread stays in this
// process's own network namespace (netns -1), so no privilege is needed.
#include "net/port_forwarder.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"

#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <thread>

namespace {

sockaddr_in loopback(uint16_t port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return addr;
}

// A listening socket on a free port of 127.0.0.1.
util::UniqueFd listen_any(uint16_t& port) {
  util::UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in addr = loopback(0);
  REQUIRE(::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(::listen(fd.get(), 16) == 0);
  socklen_t len = sizeof addr;
  ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&addr), &len);
  port = ntohs(addr.sin_port);
  return fd;
}

// A port nobody listens on (bound and closed).
uint16_t unused_port() {
  uint16_t port = 0;
  listen_any(port);
  return port;
}

util::UniqueFd connect_to(uint16_t port) {
  util::UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in addr = loopback(port);
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0)
    return util::UniqueFd();
  return fd;
}

void send_all(int fd, const std::string& data) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::send(fd, data.data() + done, data.size() - done, MSG_NOSIGNAL);
    REQUIRE(n > 0);
    done += static_cast<size_t>(n);
  }
}

// Reads to the end; sets `error` to the errno of a failed read.
std::string read_all(int fd, int& error) {
  std::string out;
  char buf[65536];
  error = 0;
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      error = errno;
      return out;
    }
    if (n == 0)
      return out;
    out.append(buf, static_cast<size_t>(n));
  }
}

std::string pattern(size_t size) {
  std::string data(size, '\0');
  for (size_t i = 0; i < size; ++i)
    data[i] = static_cast<char>((i * 7919) >> 3);
  return data;
}

net::PortMapping tcp_mapping(uint16_t host_port, uint16_t container_port) {
  net::PortMapping m;
  m.host_ip = "127.0.0.1";
  m.host_port = host_port;
  m.container_port = container_port;
  return m;
}

} // namespace

TEST_CASE("the forwarder relays both directions, then a half-close, byte for byte") {
  uint16_t server_port = 0;
  util::UniqueFd server = listen_any(server_port);
  const std::string request = pattern(6 << 20);
  std::string received;
  // The server reads everything up to the client's end of file, then answers with it reversed.
  std::thread peer([&] {
    util::UniqueFd c(::accept4(server.get(), nullptr, nullptr, SOCK_CLOEXEC));
    int error = 0;
    received = read_all(c.get(), error);
    std::string answer(received.rbegin(), received.rend());
    send_all(c.get(), answer);
  });
  net::PortForwarder forwarder =
      net::PortForwarder::start({tcp_mapping(0, server_port)}, -1, net::Ipv4::parse("127.0.0.1"));
  REQUIRE(forwarder.ports().size() == 1);
  uint16_t published = forwarder.ports()[0].host_port;
  CHECK(published != 0);
  util::UniqueFd client = connect_to(published);
  REQUIRE(client);
  send_all(client.get(), request);
  ::shutdown(client.get(), SHUT_WR);
  int error = 0;
  std::string answer = read_all(client.get(), error);
  peer.join();
  CHECK(error == 0);
  CHECK(received == request);
  CHECK(answer == std::string(request.rbegin(), request.rend()));
}

TEST_CASE("a connection the container refuses is reset, and the forwarder keeps serving") {
  uint16_t closed_port = unused_port();
  net::PortForwarder forwarder =
      net::PortForwarder::start({tcp_mapping(0, closed_port)}, -1, net::Ipv4::parse("127.0.0.1"));
  for (int i = 0; i < 3; ++i) {
    util::UniqueFd client = connect_to(forwarder.ports()[0].host_port);
    REQUIRE(client); // the host side accepts; the relay then fails
    int error = 0;
    std::string data = read_all(client.get(), error);
    CHECK(data.empty());
    CHECK(error == ECONNRESET);
  }
}

TEST_CASE("a host port in use is refused by name, and the port is free once the forwarder is gone") {
  uint16_t taken = 0;
  util::UniqueFd holder = listen_any(taken);
  try {
    net::PortForwarder::start({tcp_mapping(taken, 80)}, -1, net::Ipv4::parse("127.0.0.1"));
    FAIL("a port in use was published");
  } catch (const util::Error& e) {
    CHECK(std::string(e.what()).find("is already in use") != std::string::npos);
  }
  uint16_t published = 0;
  {
    net::PortForwarder forwarder = net::PortForwarder::start(
        {tcp_mapping(0, unused_port())}, -1, net::Ipv4::parse("127.0.0.1"));
    published = forwarder.ports()[0].host_port;
    CHECK(connect_to(published));
  }
  CHECK_FALSE(connect_to(published));
}

TEST_CASE("datagrams go to the container and each client gets its own replies") {
  // A UDP "container" that answers every datagram with "re:" and what it got.
  util::UniqueFd server(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  sockaddr_in addr = loopback(0);
  REQUIRE(::bind(server.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  socklen_t len = sizeof addr;
  ::getsockname(server.get(), reinterpret_cast<sockaddr*>(&addr), &len);
  timeval timeout{5, 0};
  ::setsockopt(server.get(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  std::thread peer([&] {
    char buf[512];
    for (int i = 0; i < 2; ++i) {
      sockaddr_in from{};
      socklen_t from_len = sizeof from;
      ssize_t n = ::recvfrom(server.get(), buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from),
                             &from_len);
      if (n <= 0)
        return;
      std::string reply = "re:" + std::string(buf, static_cast<size_t>(n));
      ::sendto(server.get(), reply.data(), reply.size(), 0, reinterpret_cast<sockaddr*>(&from),
               from_len);
    }
  });
  net::PortMapping mapping = tcp_mapping(0, ntohs(addr.sin_port));
  mapping.protocol = net::Protocol::udp;
  net::PortForwarder forwarder =
      net::PortForwarder::start({mapping}, -1, net::Ipv4::parse("127.0.0.1"));
  sockaddr_in published = loopback(forwarder.ports()[0].host_port);
  auto ask = [&](const std::string& what) {
    util::UniqueFd client(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    ::setsockopt(client.get(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    ::sendto(client.get(), what.data(), what.size(), 0, reinterpret_cast<sockaddr*>(&published),
             sizeof published);
    char buf[512];
    ssize_t n = ::recv(client.get(), buf, sizeof buf, 0);
    return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
  };
  CHECK(ask("one") == "re:one");
  CHECK(ask("two") == "re:two");
  peer.join();
}
