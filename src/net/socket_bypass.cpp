#include "net/socket_bypass.hpp"

#include "net/caller_connect.hpp"
#include "net/outbound_relay.hpp"
#include "net/outside_destination.hpp"
#include "net/port_forwarder.hpp"
#include "net/port_handover.hpp"
#include "net/seccomp_notify.hpp"
#include "net/socket_address.hpp"
#include "net/socket_calls.hpp"
#include "net/socket_guard.hpp"
#include "net/socket_origin.hpp"
#include "net/socket_twin.hpp"
#include "net/splice_proxy.hpp"
#include "util/error.hpp"

#include <fcntl.h>
#include <linux/capability.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

namespace net {

namespace {

void report(const char* what, int err) noexcept {
  std::fprintf(stderr, "cove host sockets: %s: %s\n", what, std::strerror(err));
  std::fflush(stderr);
}

} // namespace

struct SocketBypass::State {
  // A blocking connect() the supervisor answers when the connection is made or fails.
  struct PendingConnect {
    State* state;
    uint64_t id;
    util::UniqueFd socket;
  };

  SocketBypass::Config config;
  NotifyListener listener;
  NetnsId host_netns = netns_of_this_thread();
  SpliceProxy proxy; // the outbound relay's connections, the container's ports to handed sockets
  std::unique_ptr<OutboundRelay> relay; // none: host sockets
  std::optional<PortHandover> handover; // none: no published port is handed over
  std::vector<std::unique_ptr<PendingConnect>> pending;
  // Host sockets were handed to the container / it ran 32-bit socket calls: the two exclude
  // each other (i386's socketcall keeps its arguments in memory, where the container can change
  // them after cove looked, so it must never find a host socket to aim).
  bool handed = false;
  bool compat_seen = false;
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

  void allow(const Notification& n) noexcept { listener.allow(n.id); }
  void answer(const Notification& n, int error) noexcept { listener.answer(n.id, 0, error); }

  void handle(const Notification& n) noexcept {
    SocketCall call = decode_socket_call(n);
    if (call.compat)
      compat_seen = true;
    switch (call.kind) {
    case SocketCall::Kind::connect:
      on_connect(n, call);
      return;
    case SocketCall::Kind::bind:
      on_bind(n, call);
      return;
    case SocketCall::Kind::getsockname:
    case SocketCall::Kind::getpeername:
      if (handed && call.kind == SocketCall::Kind::getsockname && answer_handed_name(n, call))
        return;
      if (relay)
        relay->answer_name(n, call);
      else
        allow(n);
      return;
    case SocketCall::Kind::fastopen_send:
      // Connecting by sendto(MSG_FASTOPEN) is refused as when the host disables TCP Fast Open
      // for clients: programs fall back to connect(), which is checked.
      answer(n, EOPNOTSUPP);
      return;
    case SocketCall::Kind::other_socketcall:
      // A send through i386's socketcall: its flags and socket are in memory the caller could
      // change after this check, so it may run only while no host socket exists (handed and
      // compat_seen exclude each other from here on).
      if (handed)
        answer(n, EACCES);
      else
        allow(n);
      return;
    case SocketCall::Kind::unreadable:
      answer(n, EFAULT);
      return;
    case SocketCall::Kind::none:
      allow(n);
      return;
    }
  }

  // getsockname() of a handed published port's socket shows what the container bound, as
  // the forwarder's would (net/port_handover). False (nothing done) for any other socket.
  bool answer_handed_name(const Notification& n, const SocketCall& call) noexcept {
    util::UniqueFd socket = handover ? take_process_fd(n.pid, call.fd) : util::UniqueFd();
    if (!socket || socket_origin(socket.get(), host_netns) != SocketOrigin::host)
      return false;
    std::optional<SocketAddress> shown = handover->shown_name(socket.get(), config.guest.value);
    if (!shown)
      return false;
    answer(n, write_address_result(n.pid, call.address, call.length, shown->get(), shown->length));
    return true;
  }

  // The address argument of connect() or bind(); nothing when it cannot be read.
  static std::optional<SocketAddress> read_address(const Notification& n, const SocketCall& call) noexcept {
    SocketAddress a;
    if (call.length < sizeof(sa_family_t) || call.length > sizeof a.storage)
      return std::nullopt;
    a.length = static_cast<socklen_t>(call.length);
    if (!read_process_memory(n.pid, call.address, &a.storage, a.length))
      return std::nullopt;
    return a;
  }

  std::optional<SocketAddress> outside(const SocketAddress& address) const noexcept {
    return outside_destination(address, config.network, config.gateway, config.allow_host_loopback);
  }

  // Puts `ours` in place of the caller's descriptor `fd`.
  bool install(const Notification& n, int fd, int ours) noexcept {
    bool cloexec = process_fd_cloexec(n.pid, fd);
    if (!listener.valid(n.id) || listener.replace_fd(n.id, ours, fd, cloexec) != 0)
      return false;
    handed = true;
    return true;
  }

  // The caller's socket `call.fd` into `socket` with its kind, and where it lives; nothing once
  // the call is answered. A descriptor that is not open or not a socket gets the kernel's own
  // error here rather than the call running (another thread could open a host socket under
  // that number in between); the container's own non-INET sockets (unix, netlink...) run the
  // call as their own, a connect with strict_connects excepted (connect_unrelayed). Without the
  // right to look (no host socket can have been handed either) the call runs.
  std::optional<SocketOrigin> take_socket(const Notification& n, const SocketCall& call,
                                          util::UniqueFd& socket, SocketKind& kind) noexcept {
    bool strict = call.kind == SocketCall::Kind::connect && config.strict_connects;
    socket = take_process_fd(n.pid, call.fd);
    if (!socket) {
      if (handed || strict)
        answer(n, EBADF);
      else
        allow(n);
      return std::nullopt;
    }
    SocketOrigin origin = socket_origin(socket.get(), host_netns);
    if (origin == SocketOrigin::other) {
      answer(n, ENOTSOCK);
      return std::nullopt;
    }
    kind = socket_kind(socket.get());
    if (origin == SocketOrigin::container && kind.domain != AF_INET && kind.domain != AF_INET6) {
      if (strict)
        connect_unrelayed(n, call, std::move(socket), kind);
      else
        allow(n);
      return std::nullopt;
    }
    return origin;
  }

  // connect() of INET sockets is always done here, on the socket object taken from the caller,
  // never by letting the caller's call run: another of its threads could put a different
  // socket under the same number, or change the address, after the check.
  void on_connect(const Notification& n, const SocketCall& call) noexcept {
    if (relay) {
      relay_connect(n, call);
      return;
    }
    util::UniqueFd socket;
    SocketKind kind;
    std::optional<SocketOrigin> origin = take_socket(n, call, socket, kind);
    if (!origin)
      return;
    std::optional<SocketAddress> asked = read_address(n, call);
    if (!asked) {
      answer(n, EFAULT);
      return;
    }
    if (*origin == SocketOrigin::host) {
      connect_host_socket(n, call, socket, kind, *asked);
      return;
    }
    std::optional<SocketAddress> target = outside(*asked);
    if (config.outbound_host_sockets && target && !compat_seen && is_tcp(kind) &&
        asked->family() == kind.domain && is_fresh(socket.get()) &&
        connect_twin(n, call, socket, kind, *target))
      return;
    connect_here(n, std::move(socket), *asked, -1); // the container's socket, in its namespace
  }

  // A host socket like the caller's `socket`, guarded for `target`, connected here and put in
  // place of the caller's descriptor. False (nothing done) when it cannot be made.
  bool connect_twin(const Notification& n, const SocketCall& call, const util::UniqueFd& socket,
                    const SocketKind& kind, const SocketAddress& target) noexcept {
    util::UniqueFd ours = socket_twin(socket.get(), kind);
    if (!ours)
      return false;
    guard_connecting_socket(ours.get(), target); // where it can be: host_sockets=true accepts the race
    connect_here(n, std::move(ours), target, call.fd);
    return true;
  }

  // The relay puts no socket of cove's namespace into the container; handed published ports'
  // sockets are answered from their state. Every other call the relay does not take runs as
  // the caller's own (safe while the only host sockets are guarded ones), or with
  // strict_connects is done here.
  void relay_connect(const Notification& n, const SocketCall& call) noexcept {
    util::UniqueFd socket = take_process_fd(n.pid, call.fd);
    if (socket && handed && socket_origin(socket.get(), host_netns) == SocketOrigin::host) {
      std::optional<SocketAddress> asked = read_address(n, call);
      if (asked)
        connect_host_socket(n, call, socket, socket_kind(socket.get()), *asked);
      else
        answer(n, EFAULT);
      return;
    }
    SocketKind kind = socket ? socket_kind(socket.get()) : SocketKind{};
    if (!socket || !is_tcp(kind) || tcp_state(socket.get()) != TCP_CLOSE ||
        !relay->serves(socket.get())) {
      connect_unrelayed(n, call, std::move(socket), kind);
      return;
    }
    std::optional<SocketAddress> asked = read_address(n, call);
    std::optional<SocketAddress> target = asked ? outside(*asked) : std::nullopt;
    if (!target || asked->family() != kind.domain) {
      connect_unrelayed(n, call, std::move(socket), kind);
      return;
    }
    relay->connect(n.id, std::move(socket), kind, *asked, *target);
  }

  // A connect() nothing else takes: it runs as the caller's own, or with strict_connects is
  // done here on the caller's socket object with the address read once (a unix socket's in
  // the caller's context), so no other object or address can take its place meanwhile.
  void connect_unrelayed(const Notification& n, const SocketCall& call, util::UniqueFd socket,
                         const SocketKind& kind) noexcept {
    if (!config.strict_connects) {
      allow(n);
      return;
    }
    if (!socket || kind.domain < 0) {
      answer(n, socket ? ENOTSOCK : EBADF);
      return;
    }
    std::optional<SocketAddress> asked = read_address(n, call);
    if (!asked)
      answer(n, EFAULT);
    else if (kind.domain == AF_UNIX)
      answer(n, connect_as_caller(n.pid, socket.get(), *asked));
    else
      connect_here(n, std::move(socket), *asked, -1);
  }

  // A host socket the container holds: never disconnected, connected again only towards the
  // outside and only with outbound host sockets (a connection that failed, tried again, gets
  // a new socket guarded for where it goes), and otherwise answered from its state (the kernel
  // never sees the address).
  void connect_host_socket(const Notification& n, const SocketCall& call, util::UniqueFd& socket,
                           const SocketKind& kind, const SocketAddress& asked) noexcept {
    if (asked.family() == AF_UNSPEC) {
      // Its connection would end, and the socket would only be good for a connect elsewhere.
      answer(n, EOPNOTSUPP);
      return;
    }
    int state = tcp_state(socket.get());
    std::optional<SocketAddress> target =
        config.outbound_host_sockets ? outside(asked) : std::nullopt;
    if (target && is_tcp(kind) && asked.family() == kind.domain) {
      if (state != TCP_CLOSE)
        connect_here(n, std::move(socket), *target, -1); // the kernel's EISCONN or EALREADY
      else if (compat_seen || !connect_twin(n, call, socket, kind, *target))
        answer(n, ENETUNREACH);
      return;
    }
    switch (state) {
    case TCP_SYN_SENT:
    case TCP_SYN_RECV:
      if (is_blocking(socket.get()))
        wait_for_connect(n, std::move(socket));
      else
        answer(n, EALREADY);
      return;
    case TCP_CLOSE:
    case -1:
      answer(n, ENETUNREACH);
      return;
    default:
      answer(n, EISCONN);
    }
  }

  // connect(2) of `socket` to `target` by the supervisor, answered as the caller's own would be;
  // with `replace` >= 0, `socket` is a new host socket put in place of the caller's descriptor
  // `replace` once it is connecting (the caller's is left alone when the connect fails at once).
  void connect_here(const Notification& n, util::UniqueFd socket, const SocketAddress& target,
                    int replace) noexcept {
    int flags = ::fcntl(socket.get(), F_GETFL);
    bool blocking = flags >= 0 && !(flags & O_NONBLOCK);
    if (blocking)
      ::fcntl(socket.get(), F_SETFL, flags | O_NONBLOCK);
    int rc = ::connect(socket.get(), target.get(), target.length);
    int err = rc < 0 ? errno : 0;
    if (blocking)
      ::fcntl(socket.get(), F_SETFL, flags);
    if (err != 0 && err != EINPROGRESS && err != EALREADY) {
      answer(n, err);
      return;
    }
    if (replace >= 0 && !install(n, replace, socket.get())) {
      answer(n, EBADF); // the caller is gone, or replaced the descriptor meanwhile
      return;
    }
    if (err == 0)
      answer(n, 0);
    else if (!blocking)
      answer(n, err);
    else
      wait_for_connect(n, std::move(socket));
  }

  // Answers the blocked caller when `socket` is connected or has failed.
  void wait_for_connect(const Notification& n, util::UniqueFd socket) noexcept {
    PendingConnect* raw = nullptr;
    try {
      pending.push_back(std::make_unique<PendingConnect>(PendingConnect{this, n.id, std::move(socket)}));
      raw = pending.back().get();
    } catch (...) {
      answer(n, ENOMEM);
      return;
    }
    proxy.add_input(raw->socket.get(), EPOLLOUT, &State::on_connect_done, raw);
  }

  static bool on_connect_done(void* context, uint32_t events) noexcept {
    auto* p = static_cast<PendingConnect*>(context);
    int err = 0;
    socklen_t length = sizeof err;
    ::getsockopt(p->socket.get(), SOL_SOCKET, SO_ERROR, &err, &length);
    if (err == 0 && !(events & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
      return true;
    if (err == 0 && tcp_state(p->socket.get()) != TCP_ESTABLISHED &&
        tcp_state(p->socket.get()) != TCP_CLOSE_WAIT)
      err = ECONNABORTED;
    State* state = p->state;
    state->listener.answer(p->id, 0, err);
    std::erase_if(state->pending, [p](const std::unique_ptr<PendingConnect>& q) { return q.get() == p; });
    return false;
  }

  // bind() of INET sockets is done here as well: a published port's becomes a host socket, any
  // other the container's own, bound on the caller's behalf (with its right to low ports).
  void on_bind(const Notification& n, const SocketCall& call) noexcept {
    util::UniqueFd socket;
    SocketKind kind;
    std::optional<SocketOrigin> origin = take_socket(n, call, socket, kind);
    if (!origin)
      return;
    if (*origin == SocketOrigin::host) {
      answer(n, EINVAL); // bound already, as far as the container is concerned
      return;
    }
    std::optional<SocketAddress> asked = read_address(n, call);
    if (!asked) {
      answer(n, EFAULT);
      return;
    }
    if ((asked->family() == AF_INET || asked->family() == AF_INET6) && asked->port() != 0 &&
        asked->port() < 1024 && !process_has_capability(n.pid, CAP_NET_BIND_SERVICE)) {
      answer(n, EACCES);
      return;
    }
    if (!compat_seen && is_tcp(kind) && asked->family() == kind.domain && hand_over(n, call, socket, kind, *asked))
      return;
    int rc = ::bind(socket.get(), asked->get(), asked->length);
    answer(n, rc < 0 ? errno : 0);
  }

  // A bind to a published TCP port on the wildcard address or the container's own gets a
  // host socket (net/port_handover). False (nothing done) when the bind is not such a one.
  bool hand_over(const Notification& n, const SocketCall& call, util::UniqueFd& theirs,
                 const SocketKind& kind, const SocketAddress& asked) noexcept {
    if (!handover)
      return false;
    if (!listener.valid(n.id)) {
      answer(n, EBADF); // the caller is gone: the port stays with the forwarder
      return true;
    }
    std::optional<PortHandover::HostSocket> ours = handover->take(theirs, kind, asked, config.guest.value);
    if (!ours)
      return false;
    if (!ours->socket) {
      answer(n, ours->error);
      return true;
    }
    if (!install(n, call.fd, ours->socket.get())) {
      report("hand a published port to the container", EBADF);
      answer(n, EBADF);
      return true;
    }
    answer(n, 0);
    handover->relay_into_container(std::move(theirs), asked, ours->relay_target);
    return true;
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

SocketBypass SocketBypass::start(util::UniqueFd listener, const Config& config,
                                 util::UniqueFd relay_listener) {
  auto state = std::make_unique<State>(config, std::move(listener));
  if (relay_listener)
    state->relay = std::make_unique<OutboundRelay>(std::move(relay_listener), config.guest,
                                                   state->proxy, state->listener);
  int fds[2];
  util::check(::pipe2(fds, O_CLOEXEC), "create the host sockets' stop pipe");
  state->stop_read.reset(fds[0]);
  state->stop_write.reset(fds[1]);
  if (config.forwarder != nullptr)
    state->handover.emplace(*config.forwarder, state->proxy,
                            !config.outbound_host_sockets && !config.strict_connects);
  state->proxy.add_input(state->listener.fd(), EPOLLIN, &State::on_notification, state.get());
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
