#include "net/port_forwarder.hpp"

#include "net/host_port.hpp"
#include "net/splice_proxy.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/log.hpp"
#include "util/strings.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <future>
#include <thread>
#include <utility>

namespace net {

namespace {

sockaddr_storage ipv4_target(Ipv4 address, uint16_t port, socklen_t& length) {
  sockaddr_storage storage{};
  auto* addr = reinterpret_cast<sockaddr_in*>(&storage);
  addr->sin_family = AF_INET;
  addr->sin_port = htons(port);
  addr->sin_addr.s_addr = htonl(address.value);
  length = sizeof(sockaddr_in);
  return storage;
}

struct HostSocket {
  util::UniqueFd fd;
  PortMapping mapping; // as bound (the host port chosen)
};

bool no_ipv6(int err) {
  return err == EAFNOSUPPORT || err == EADDRNOTAVAIL || err == EPROTONOSUPPORT;
}

// Binds `port`, and for a mapping without an address also [::] on the same port where the host
// has IPv6 (Docker's rule). A free port (host_port 0) is chosen again when its IPv6 twin is
// taken; a port asked for that is taken on [::] fails like any port in use.
std::vector<HostSocket> bind_mapping(const PortMapping& port) {
  constexpr int attempts = 16;
  for (int attempt = 1;; ++attempt) {
    std::vector<HostSocket> out;
    PortMapping first = port;
    util::UniqueFd fd = bind_host_port(first);
    out.push_back({std::move(fd), first});
    if (!port.dual_stack || port.host_ip != "0.0.0.0")
      return out;
    PortMapping twin = first;
    twin.host_ip = "::";
    twin.dual_stack = false;
    try {
      util::UniqueFd fd6 = bind_host_port(twin);
      out.push_back({std::move(fd6), twin});
      return out;
    } catch (const util::SystemError& e) {
      if (no_ipv6(e.code()))
        return out; // no IPv6 here: 0.0.0.0 alone, as Docker does
      if (e.code() != EADDRINUSE || port.host_port != 0 || attempt == attempts)
        throw;
    }
  }
}

// The relay thread: enters the container's network namespace (this thread only; its sockets to
// the container are made there) and serves until stopped.
void relay_main(const std::vector<ProxyRoute>* routes, int netns_fd, int stop_fd,
                std::promise<int>* entered) noexcept {
  // Signals are for the process's own threads (cove's, or the monitor's signalfd); a write to
  // a peer that is gone must give EPIPE, not a SIGPIPE for the process.
  sigset_t all;
  sigfillset(&all);
  ::pthread_sigmask(SIG_SETMASK, &all, nullptr);
  if (netns_fd >= 0 && ::setns(netns_fd, CLONE_NEWNET) < 0) {
    entered->set_value(errno);
    return;
  }
  entered->set_value(0);
  run_splice_proxy(*routes, stop_fd);
}

} // namespace

std::vector<PortMapping> tcp_ports(const std::vector<PortMapping>& ports) {
  std::vector<PortMapping> out;
  std::copy_if(ports.begin(), ports.end(), std::back_inserter(out),
               [](const PortMapping& p) { return p.protocol == Protocol::tcp; });
  return out;
}

std::vector<PortMapping> udp_ports(const std::vector<PortMapping>& ports) {
  std::vector<PortMapping> out;
  std::copy_if(ports.begin(), ports.end(), std::back_inserter(out),
               [](const PortMapping& p) { return p.protocol != Protocol::tcp; });
  return out;
}

struct PortForwarder::Relay {
  std::vector<util::UniqueFd> listeners;
  std::vector<ProxyRoute> routes;
  util::UniqueFd stop_read;
  util::UniqueFd stop_write;
  std::thread thread; // last: joined (in the destructor) before the rest goes

  ~Relay() {
    if (!thread.joinable())
      return;
    char byte = 0;
    while (::write(stop_write.get(), &byte, 1) < 0 && errno == EINTR) {
    }
    thread.join();
  }
};

PortForwarder PortForwarder::start(std::vector<PortMapping> ports, int netns_fd, Ipv4 target) {
  auto relay = std::make_unique<Relay>();
  std::vector<PortMapping> published;
  for (const PortMapping& port : ports) {
    for (HostSocket& socket : bind_mapping(port)) {
      ProxyRoute route;
      route.udp = socket.mapping.protocol == Protocol::udp;
      if (!route.udp)
        util::check(::listen(socket.fd.get(), SOMAXCONN),
                    util::cat("publish ", describe(socket.mapping), ": listen"));
      route.listener = socket.fd.get();
      route.target = ipv4_target(target, socket.mapping.container_port, route.target_length);
      relay->routes.push_back(route);
      relay->listeners.push_back(std::move(socket.fd));
      published.push_back(socket.mapping);
    }
  }
  int fds[2];
  util::check(::pipe2(fds, O_CLOEXEC), "create the port forwarder's stop pipe");
  relay->stop_read.reset(fds[0]);
  relay->stop_write.reset(fds[1]);
  std::promise<int> entered;
  std::future<int> result = entered.get_future();
  relay->thread = std::thread(relay_main, &relay->routes, netns_fd, relay->stop_read.get(), &entered);
  if (int err = result.get(); err != 0) {
    relay->thread.join();
    util::throw_errno(err, "port forwarder: enter the container's network namespace");
  }
  LOG_DEBUG("port forwarder relays ", published.size(), " ports to ", target.str());
  return PortForwarder(std::move(relay), std::move(published));
}

std::vector<PortForwarder::HostListener> PortForwarder::tcp_listeners() const {
  std::vector<HostListener> out;
  for (size_t i = 0; i < m_ports.size() && i < m_relay->listeners.size(); ++i)
    if (m_ports[i].protocol == Protocol::tcp)
      out.push_back({m_ports[i], m_relay->listeners[i].get()});
  return out;
}

void PortForwarder::release(int fd) noexcept {
  // Replacing the descriptor drops the listening socket (and with it the epoll registration)
  // in one step.
  int inert = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (inert < 0 || ::dup3(inert, fd, O_CLOEXEC) < 0)
    util::log::warning("port forwarder: give up a published port: ", std::strerror(errno));
  if (inert >= 0)
    ::close(inert);
}

PortForwarder::PortForwarder(std::unique_ptr<Relay> relay, std::vector<PortMapping> ports)
    : m_relay(std::move(relay)), m_ports(std::move(ports)) {}

PortForwarder::PortForwarder(PortForwarder&&) noexcept = default;

PortForwarder::~PortForwarder() = default;

} // namespace net
