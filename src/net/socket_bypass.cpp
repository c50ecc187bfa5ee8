#include "net/socket_bypass.hpp"

#include "net/port_forwarder.hpp"
#include "net/seccomp_notify.hpp"
#include "net/socket_twin.hpp"
#include "net/splice_proxy.hpp"
#include "util/error.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <optional>
#include <thread>
#include <vector>

namespace net {

namespace {

// What the container asked for: a socket address it passed.
struct Address {
  sockaddr_storage storage{};
  socklen_t length = 0;
  int family() const noexcept { return storage.ss_family; }
  const sockaddr* get() const noexcept { return reinterpret_cast<const sockaddr*>(&storage); }
  sockaddr_in& v4() noexcept { return reinterpret_cast<sockaddr_in&>(storage); }
  const sockaddr_in& v4() const noexcept { return reinterpret_cast<const sockaddr_in&>(storage); }
  sockaddr_in6& v6() noexcept { return reinterpret_cast<sockaddr_in6&>(storage); }
  const sockaddr_in6& v6() const noexcept {
    return reinterpret_cast<const sockaddr_in6&>(storage);
  }
};

Address ipv4_address(uint32_t host_order, uint16_t port) noexcept {
  Address a;
  a.v4().sin_family = AF_INET;
  a.v4().sin_addr.s_addr = htonl(host_order);
  a.v4().sin_port = htons(port);
  a.length = sizeof(sockaddr_in);
  return a;
}

// `text` (an address as a PortMapping holds it) in `family`: IPv4 text becomes a v4-mapped
// IPv6 address. Nothing for IPv6 text in AF_INET.
std::optional<Address> address_in(int family, const std::string& text, uint16_t port) noexcept {
  Address a;
  if (family == AF_INET) {
    a.v4().sin_family = AF_INET;
    a.v4().sin_port = htons(port);
    if (::inet_pton(AF_INET, text.c_str(), &a.v4().sin_addr) != 1)
      return std::nullopt;
    a.length = sizeof(sockaddr_in);
    return a;
  }
  a.v6().sin6_family = AF_INET6;
  a.v6().sin6_port = htons(port);
  if (::inet_pton(AF_INET6, text.c_str(), &a.v6().sin6_addr) != 1) {
    in_addr v4{};
    if (::inet_pton(AF_INET, text.c_str(), &v4) != 1)
      return std::nullopt;
    a.v6().sin6_addr.s6_addr[10] = 0xff;
    a.v6().sin6_addr.s6_addr[11] = 0xff;
    std::memcpy(&a.v6().sin6_addr.s6_addr[12], &v4, sizeof v4);
  }
  a.length = sizeof(sockaddr_in6);
  return a;
}

// The IPv4 address inside an AF_INET address, or inside a v4-mapped AF_INET6 one.
std::optional<uint32_t> ipv4_of(const Address& a) noexcept {
  if (a.family() == AF_INET)
    return ntohl(a.v4().sin_addr.s_addr);
  if (a.family() == AF_INET6 && IN6_IS_ADDR_V4MAPPED(&a.v6().sin6_addr)) {
    uint32_t v4;
    std::memcpy(&v4, &a.v6().sin6_addr.s6_addr[12], sizeof v4);
    return ntohl(v4);
  }
  return std::nullopt;
}

uint16_t port_of(const Address& a) noexcept {
  return ntohs(a.family() == AF_INET ? a.v4().sin_port : a.v6().sin6_port);
}

// A socket nobody has bound or connected: the only kind worth replacing.
bool is_fresh(int fd, const SocketKind& kind) noexcept {
  sockaddr_storage local{};
  socklen_t length = sizeof local;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &length) < 0)
    return false;
  uint16_t port = local.ss_family == AF_INET
                      ? reinterpret_cast<sockaddr_in&>(local).sin_port
                      : reinterpret_cast<sockaddr_in6&>(local).sin6_port;
  if (port != 0)
    return false;
  if (kind.type != SOCK_STREAM)
    return true;
  int listening = 0;
  length = sizeof listening;
  return ::getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &length) == 0 && !listening;
}

void report(const char* what, int err) noexcept {
  std::fprintf(stderr, "cove host sockets: %s: %s\n", what, std::strerror(err));
  std::fflush(stderr);
}

} // namespace

struct SocketBypass::State {
  SocketBypass::Config config;
  NotifyListener listener;
  SpliceProxy proxy;                 // the relays from the container's ports to handed sockets
  std::vector<util::UniqueFd> relay_listeners; // the container's original sockets, relayed
  std::vector<int> released;         // forwarder sockets given up
  util::UniqueFd stop_read;
  util::UniqueFd stop_write;
  std::thread thread; // last: joined (in the destructor) before the rest goes

  State(const Config& c, util::UniqueFd fd) : config(c), listener(std::move(fd)) {}
  ~State() {
    if (!thread.joinable())
      return;
    char byte = 0;
    while (::write(stop_write.get(), &byte, 1) < 0 && errno == EINTR) {
    }
    thread.join();
  }

  static bool on_notification(void* self, uint32_t events) noexcept {
    return static_cast<State*>(self)->serve(events);
  }

  // False once every process of the container is gone (the listener hangs up for good).
  bool serve(uint32_t events) noexcept {
    Notification n;
    if (!listener.receive(n))
      return !(events & (EPOLLHUP | EPOLLERR));
    handle(n);
    return true;
  }

  void handle(const Notification& n) noexcept {
    if (n.nr == SYS_connect && on_connect(n))
      return;
    if (n.nr == SYS_bind && on_bind(n))
      return;
    listener.allow(n.id);
  }

  // The address argument of connect() or bind(); nothing when it cannot be read.
  static std::optional<Address> read_address(const Notification& n) noexcept {
    Address a;
    uint64_t length = n.args[2];
    if (length < sizeof(sockaddr_in) || length > sizeof a.storage)
      return std::nullopt;
    a.length = static_cast<socklen_t>(length);
    if (!read_process_memory(n.pid, n.args[1], &a.storage, a.length))
      return std::nullopt;
    if (a.family() == AF_INET6 && a.length < sizeof(sockaddr_in6))
      return std::nullopt;
    if (a.family() != AF_INET && a.family() != AF_INET6)
      return std::nullopt;
    return a;
  }

  // Where a connection to `address` goes from cove's namespace; nothing when it stays in the
  // container (its own network, loopback, broadcast and multicast, the host unless allowed).
  // IPv6 destinations stay too (the container has no IPv6 network), but not v4-mapped ones.
  std::optional<Address> outside(const Address& address) const noexcept {
    std::optional<uint32_t> v4 = ipv4_of(address);
    if (!v4)
      return std::nullopt;
    uint32_t ip = *v4;
    uint16_t port = port_of(address);
    if (ip == config.gateway.value) {
      if (!config.allow_host_loopback)
        return std::nullopt;
      return address.family() == AF_INET ? std::optional(ipv4_address(INADDR_LOOPBACK, port))
                                         : address_in(AF_INET6, "127.0.0.1", port);
    }
    uint32_t first = ip >> 24;
    if (config.network.contains(Ipv4{ip}) || first == 127 || first == 0 || first >= 224)
      return std::nullopt;
    return address;
  }

  // Takes the caller's socket `fd` when it is a fresh TCP or UDP socket of `family`.
  static util::UniqueFd take_socket(const Notification& n, int family, SocketKind& kind) noexcept {
    util::UniqueFd theirs = take_process_fd(n.pid, static_cast<int>(n.args[0]));
    if (!theirs)
      return theirs;
    kind = socket_kind(theirs.get());
    bool tcp = kind.type == SOCK_STREAM && (kind.protocol == IPPROTO_TCP || kind.protocol == 0);
    bool udp = kind.type == SOCK_DGRAM && (kind.protocol == IPPROTO_UDP || kind.protocol == 0);
    if (kind.domain != family || !(tcp || udp) || !is_fresh(theirs.get(), kind))
      return {};
    return theirs;
  }

  // Puts `ours` in place of the caller's socket. False (the caller's socket untouched) if that
  // failed.
  bool install(const Notification& n, int ours) noexcept {
    int fd = static_cast<int>(n.args[0]);
    bool cloexec = process_fd_cloexec(n.pid, fd);
    if (!listener.valid(n.id))
      return false;
    return listener.replace_fd(n.id, ours, fd, cloexec) == 0;
  }

  bool on_connect(const Notification& n) noexcept {
    std::optional<Address> asked = read_address(n);
    if (!asked)
      return false;
    std::optional<Address> target = outside(*asked);
    if (!target)
      return false;
    SocketKind kind;
    util::UniqueFd theirs = take_socket(n, asked->family(), kind);
    if (!theirs)
      return false;
    util::UniqueFd ours = socket_twin(theirs.get(), kind);
    if (!ours)
      return false;
    int flags = ::fcntl(ours.get(), F_GETFL);
    bool blocking = !(flags & O_NONBLOCK);
    // Connected here, from the address read once: the caller cannot change it afterwards.
    if (kind.type == SOCK_STREAM)
      ::fcntl(ours.get(), F_SETFL, flags | O_NONBLOCK);
    int rc = ::connect(ours.get(), target->get(), target->length);
    int err = rc < 0 ? errno : 0;
    ::fcntl(ours.get(), F_SETFL, flags);
    if (err != 0 && err != EINPROGRESS) {
      listener.answer(n.id, 0, err); // refused, unreachable: as the caller's own would fail
      return true;
    }
    if (!install(n, ours.get()))
      return false;
    if (err == 0)
      listener.answer(n.id, 0, 0);
    else if (!blocking)
      listener.answer(n.id, 0, EINPROGRESS);
    else // the caller's connect() runs on our socket, which is connecting: it waits for the
      listener.allow(n.id); // outcome and ignores the address it passes
    return true;
  }

  // The host address for a bind() of `family` (v6only as the caller's socket has it) to the
  // published container `port`, and the forwarder sockets that then have to go: those of the
  // same family, both for a dual-stack bind of a port published on both.
  struct HostBind {
    Address address;
    bool force_v6only = false;
    std::vector<int> release;
    Address relay_target; // where, from cove's namespace, the host socket is reached
  };

  std::optional<HostBind> host_bind(int family, bool v6only, uint16_t port) const {
    if (config.forwarder == nullptr)
      return std::nullopt;
    const PortForwarder::HostListener* v4 = nullptr;
    const PortForwarder::HostListener* v6 = nullptr;
    std::vector<PortForwarder::HostListener> listeners = config.forwarder->tcp_listeners();
    for (const PortForwarder::HostListener& l : listeners) {
      if (l.mapping.container_port != port)
        continue;
      (is_ipv6(l.mapping.host_ip) ? v6 : v4) = &l;
    }
    auto was_released = [&](int fd) {
      return std::find(released.begin(), released.end(), fd) != released.end();
    };
    HostBind bind;
    const PortForwarder::HostListener* chosen = nullptr;
    if (family == AF_INET) {
      chosen = v4;
      if (v4)
        bind.release = {v4->fd};
    } else if (!v6only && v4 && v6 && v4->mapping.host_ip == "0.0.0.0" && v6->mapping.host_ip == "::") {
      chosen = v6; // [::] taking IPv4 as well
      bind.release = {v4->fd, v6->fd};
    } else if (!v6only && v4) {
      chosen = v4; // ::ffff:a.b.c.d: IPv4 only, like the port
      bind.release = {v4->fd};
    } else if (v6) {
      chosen = v6;
      bind.force_v6only = !v6only;
      bind.release = {v6->fd};
    }
    if (chosen == nullptr)
      return std::nullopt;
    std::optional<Address> address =
        address_in(family, chosen->mapping.host_ip, chosen->mapping.host_port);
    if (!address)
      return std::nullopt;
    bind.address = *address;
    std::erase_if(bind.release, was_released);
    // Relayed connections come from cove's namespace: to the loopback address of the family
    // a wildcard socket takes, or to the address it is bound to.
    const std::string& ip = chosen->mapping.host_ip;
    uint16_t host_port = chosen->mapping.host_port;
    bool ipv4_reaches = family == AF_INET || (!v6only && !bind.force_v6only);
    std::string target = ip == "0.0.0.0" || (ip == "::" && ipv4_reaches) ? "127.0.0.1"
                         : ip == "::"                                    ? "::1"
                                                                         : ip;
    std::optional<Address> relay = address_in(is_ipv6(target) ? AF_INET6 : AF_INET, target, host_port);
    if (!relay)
      return std::nullopt;
    bind.relay_target = *relay;
    return bind;
  }

  bool on_bind(const Notification& n) noexcept {
    std::optional<Address> asked = read_address(n);
    if (!asked)
      return false;
    // The wildcard address or the container's own: an address the published port reaches.
    std::optional<uint32_t> v4 = ipv4_of(*asked);
    bool wildcard = v4 ? (*v4 == INADDR_ANY || *v4 == config.guest.value)
                       : IN6_IS_ADDR_UNSPECIFIED(&asked->v6().sin6_addr);
    uint16_t port = port_of(*asked);
    if (!wildcard || port == 0)
      return false;
    SocketKind kind;
    util::UniqueFd theirs = take_socket(n, asked->family(), kind);
    if (!theirs || kind.type != SOCK_STREAM)
      return false;
    int v6only = 0;
    socklen_t length = sizeof v6only;
    if (kind.domain == AF_INET6)
      ::getsockopt(theirs.get(), IPPROTO_IPV6, IPV6_V6ONLY, &v6only, &length);
    std::optional<HostBind> bind;
    try {
      bind = host_bind(kind.domain, v6only != 0, port);
    } catch (...) { // out of memory: the port stays with the forwarder
      return false;
    }
    if (!bind)
      return false;
    util::UniqueFd ours = socket_twin(theirs.get(), kind);
    if (!ours)
      return false;
    int one = 1;
    // The forwarder's relayed connections may have left the port in TIME_WAIT.
    ::setsockopt(ours.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind->force_v6only)
      ::setsockopt(ours.get(), IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    if (!listener.valid(n.id))
      return true; // the caller is gone
    for (int fd : bind->release) {
      config.forwarder->release(fd);
      released.push_back(fd);
    }
    if (::bind(ours.get(), bind->address.get(), bind->address.length) < 0) {
      // Taken meanwhile, or by an earlier socket of the container's own: its error.
      listener.answer(n.id, 0, errno);
      return true;
    }
    if (!install(n, ours.get())) {
      report("hand a published port to the container", EBADF);
      listener.answer(n.id, 0, EBADF);
      return true;
    }
    listener.answer(n.id, 0, 0);
    relay_into_container(std::move(theirs), *asked, bind->relay_target);
    return true;
  }

  // The container's own socket, bound where it asked, relays its connections to the host
  // socket it got instead. Fails quietly when that port is already served so.
  void relay_into_container(util::UniqueFd theirs, const Address& asked, const Address& target) noexcept {
    int one = 1;
    ::setsockopt(theirs.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(theirs.get(), asked.get(), asked.length) < 0 ||
        ::listen(theirs.get(), SOMAXCONN) < 0)
      return;
    ProxyRoute route;
    route.listener = theirs.get();
    route.target = target.storage;
    route.target_length = target.length;
    try {
      relay_listeners.push_back(std::move(theirs));
    } catch (...) {
      return;
    }
    proxy.add_route(route);
  }
};

SocketBypass::Config SocketBypass::slirp4netns(const SlirpNetwork& network,
                                               bool allow_host_loopback, PortForwarder* forwarder) {
  Config config;
  config.allow_host_loopback = allow_host_loopback;
  config.network = network.subnet;
  config.gateway = network.gateway;
  config.guest = network.guest;
  config.forwarder = forwarder;
  return config;
}

SocketBypass SocketBypass::start(util::UniqueFd listener, const Config& config) {
  auto state = std::make_unique<State>(config, std::move(listener));
  int fds[2];
  util::check(::pipe2(fds, O_CLOEXEC), "create the host sockets' stop pipe");
  state->stop_read.reset(fds[0]);
  state->stop_write.reset(fds[1]);
  state->proxy.add_input(state->listener.fd(), &State::on_notification, state.get());
  State* raw = state.get();
  state->thread = std::thread([raw] {
    // Signals are for the process's own threads; a write to a peer that is gone gives EPIPE.
    sigset_t all;
    sigfillset(&all);
    ::pthread_sigmask(SIG_SETMASK, &all, nullptr);
    raw->proxy.run(raw->stop_read.get());
  });
  return SocketBypass(std::move(state));
}

SocketBypass::SocketBypass(std::unique_ptr<State> state) noexcept : m_state(std::move(state)) {}

SocketBypass::SocketBypass(SocketBypass&&) noexcept = default;

SocketBypass::~SocketBypass() = default;

} // namespace net
