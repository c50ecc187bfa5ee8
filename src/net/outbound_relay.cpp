#include "net/outbound_relay.hpp"

#include "net/seccomp_notify.hpp"
#include "net/socket_calls.hpp"
#include "net/socket_origin.hpp"
#include "net/splice_proxy.hpp"
#include "util/error.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <unordered_map>
#include <vector>

namespace net {

namespace {

using Clock = std::chrono::steady_clock;

constexpr uint32_t loopback = 0x7f000001; // 127.0.0.1
// How long attaching the caller's socket to the relay may take (a loopback handshake completes
// within the connect call; a backlog the container flooded does not).
constexpr int attach_ms = 200;
// Relayed sockets whose connection ended are forgotten past this many.
constexpr size_t remembered = 256;


std::optional<SocketAddress> name_of(int fd, bool peer) noexcept {
  SocketAddress a;
  a.length = sizeof a.storage;
  auto* where = reinterpret_cast<sockaddr*>(&a.storage);
  if ((peer ? ::getpeername(fd, where, &a.length) : ::getsockname(fd, where, &a.length)) < 0)
    return std::nullopt;
  return a;
}

// Closes `fd` so that its peer sees a reset.
void reset_close(util::UniqueFd& fd) noexcept {
  linger abort{1, 0};
  ::setsockopt(fd.get(), SOL_SOCKET, SO_LINGER, &abort, sizeof abort);
  fd.reset();
}

} // namespace

int make_relay_listener() noexcept {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0)
    return -errno;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(loopback);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) < 0 ||
      ::listen(fd, SOMAXCONN) < 0) {
    int err = errno;
    ::close(fd);
    return -err;
  }
  return fd;
}

struct OutboundRelay::Impl {
  // A connection being made from cove's namespace for a caller's connect().
  struct Dial {
    Impl* owner = nullptr;
    uint64_t id = 0;
    util::UniqueFd caller; // the container's socket (the same object as the caller's)
    util::UniqueFd host;   // the connection from cove's namespace
    util::UniqueFd inside; // the relay's end of the caller's connection, once attached
    uint16_t port = 0;     // ... and the caller's port on the container's loopback
    SocketAddress asked;
    bool answered = false;
    bool held = false; // non-blocking: answered EINPROGRESS at `deadline` if still dialling
    Clock::time_point deadline;
  };

  // A relayed socket, by its port on the container's loopback.
  struct Relayed {
    SocketAddress asked;
    bool closed = false;
  };

  util::UniqueFd listener;
  std::optional<NetnsId> netns; // the listener's
  uint16_t relay_port = 0;
  Ipv4 guest;
  SpliceProxy& proxy;
  const NotifyListener& notify;
  util::UniqueFd timer;
  std::vector<std::unique_ptr<Dial>> dials;
  std::unordered_map<uint16_t, Relayed> relayed;
  size_t open_relayed = 0; // entries not closed

  Impl(util::UniqueFd l, Ipv4 g, SpliceProxy& p, const NotifyListener& n)
      : listener(std::move(l)), guest(g), proxy(p), notify(n) {
    std::optional<SocketAddress> local = name_of(listener.get(), false);
    if (!local || local->family() != AF_INET)
      throw util::Error("outbound relay: the relay's listening socket has no IPv4 address");
    relay_port = local->port();
    netns = socket_netns(listener.get());
    timer.reset(::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC));
    if (!timer)
      util::throw_errno("outbound relay: create a timer");
    proxy.add_input(timer.get(), EPOLLIN, &Impl::on_timer, this);
    proxy.add_input(listener.get(), EPOLLIN, &Impl::on_knock, this);
  }

  // A connection to the relay's port that is no caller's: attach() takes the callers' own
  // before this thread gets back to its loop, so one found here came from a process in the
  // container knocking (or a caller attach() gave up on), and is reset.
  static bool on_knock(void* context, uint32_t) noexcept {
    auto* self = static_cast<Impl*>(context);
    for (;;) {
      util::UniqueFd stray(::accept4(self->listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
      if (!stray) // out of descriptors: no more watching (attach() still takes its own)
        return errno == EAGAIN || errno == EINTR || errno == ECONNABORTED;
      reset_close(stray);
    }
  }

  void connect(uint64_t id, util::UniqueFd socket, const SocketKind& kind,
               const SocketAddress& asked, const SocketAddress& target) noexcept {
    int flags = ::fcntl(socket.get(), F_GETFL);
    util::UniqueFd host = socket_twin(socket.get(), kind);
    if (!host) {
      notify.answer(id, 0, errno);
      return;
    }
    ::fcntl(host.get(), F_SETFL, ::fcntl(host.get(), F_GETFL) | O_NONBLOCK);
    int rc = ::connect(host.get(), target.get(), target.length);
    if (rc < 0 && errno != EINPROGRESS) {
      notify.answer(id, 0, errno);
      return;
    }
    std::unique_ptr<Dial> dial;
    try {
      dial = std::make_unique<Dial>();
      dials.reserve(dials.size() + 1);
    } catch (...) {
      notify.answer(id, 0, ENOMEM);
      return;
    }
    dial->owner = this;
    dial->id = id;
    dial->caller = std::move(socket);
    dial->host = std::move(host);
    dial->asked = asked;
    dial->held = flags >= 0 && (flags & O_NONBLOCK);
    dial->deadline = Clock::now() + std::chrono::milliseconds(hold_ms);
    Dial* raw = dial.get();
    dials.push_back(std::move(dial));
    if (rc == 0) {
      finish(*raw, 0);
      return;
    }
    proxy.add_input(raw->host.get(), EPOLLOUT, &Impl::on_dialled, raw);
    if (raw->held)
      arm_timer();
  }

  static bool on_dialled(void* context, uint32_t) noexcept {
    auto* dial = static_cast<Dial*>(context);
    dial->owner->proxy.remove_input(dial->host.get()); // the relay takes it over
    int err = 0;
    socklen_t length = sizeof err;
    if (::getsockopt(dial->host.get(), SOL_SOCKET, SO_ERROR, &err, &length) < 0)
      err = errno;
    if (err == 0) {
      // Writable without an error, yet not connected: the peer reset it at once.
      if (!name_of(dial->host.get(), true))
        err = ECONNRESET;
    }
    dial->owner->finish(*dial, err);
    return false;
  }

  // The dial is over with `err`: answer the caller (if not answered yet) and relay, or reset.
  void finish(Dial& dial, int err) noexcept {
    if (!dial.answered && !notify.valid(dial.id)) {
      // The caller is gone, or a signal interrupted its connect(), which then starts again as
      // a new notification with a dial of its own: this one must not touch the socket.
      std::erase_if(dials, [&dial](const std::unique_ptr<Dial>& d) { return d.get() == &dial; });
      return;
    }
    if (!dial.answered) {
      if (err == 0 && !attach(dial))
        err = errno;
      notify.answer(dial.id, 0, err);
      dial.answered = true;
    }
    if (err != 0 && dial.inside) { // answered EINPROGRESS before: the caller sees a reset
      reset_close(dial.inside);
      on_closed(this, dial.port);
    } else if (dial.inside) {
      proxy.add_pair(dial.inside.release(), dial.host.release(), &Impl::on_closed, this,
                     dial.port);
    }
    std::erase_if(dials, [&dial](const std::unique_ptr<Dial>& d) { return d.get() == &dial; });
  }

  static uint16_t local_port(int fd) noexcept {
    std::optional<SocketAddress> local = name_of(fd, false);
    return local ? local->port() : 0;
  }

  // Connects the caller's socket to the relay's listener and accepts it there: dial.inside.
  // False, errno set, when that fails.
  bool attach(Dial& dial) noexcept {
    SocketAddress relay = ipv4_in(dial.asked.family(), loopback, relay_port);
    int flags = ::fcntl(dial.caller.get(), F_GETFL);
    bool blocking = flags >= 0 && !(flags & O_NONBLOCK);
    if (blocking) // the object is the caller's: never block this thread on it
      ::fcntl(dial.caller.get(), F_SETFL, flags | O_NONBLOCK);
    int rc = ::connect(dial.caller.get(), relay.get(), relay.length);
    int err = rc < 0 ? errno : 0;
    if (blocking)
      ::fcntl(dial.caller.get(), F_SETFL, flags);
    if (err != 0 && err != EINPROGRESS) {
      errno = err;
      return false;
    }
    std::optional<SocketAddress> local = name_of(dial.caller.get(), false);
    uint16_t port = local ? local->port() : 0;
    if (port == 0) {
      errno = ENOTCONN;
      return false;
    }
    Clock::time_point until = Clock::now() + std::chrono::milliseconds(attach_ms);
    for (;;) {
      util::UniqueFd accepted(::accept4(listener.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
      if (accepted) {
        std::optional<SocketAddress> from = name_of(accepted.get(), true);
        if (from && from->port() == port && from->ipv4() == local->ipv4()) {
          dial.inside = std::move(accepted);
          dial.port = port;
          break;
        }
        reset_close(accepted); // not the caller's: someone in the container knocking
        continue;
      }
      if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
        return false;
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now());
      pollfd p{listener.get(), POLLIN, 0};
      if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) == 0) {
        errno = ETIMEDOUT;
        return false;
      }
    }
    try {
      if (relayed.size() >= remembered)
        std::erase_if(relayed, [](const auto& entry) { return entry.second.closed; });
      // A port is used again only once its earlier connection is closed here (its 4-tuple
      // stays taken until then): the entry replaced is a closed one, or none.
      auto [entry, added] = relayed.try_emplace(port);
      if (added || entry->second.closed)
        ++open_relayed;
      entry->second = Relayed{dial.asked, false};
    } catch (...) { // getpeername() then shows the relay
    }
    return true;
  }

  static void on_closed(void* context, uintptr_t port) noexcept {
    auto* self = static_cast<Impl*>(context);
    auto entry = self->relayed.find(static_cast<uint16_t>(port));
    if (entry != self->relayed.end() && !entry->second.closed) {
      entry->second.closed = true;
      --self->open_relayed;
    }
  }

  // Non-blocking callers whose dial outlasts hold_ms: attached now and answered EINPROGRESS.
  static bool on_timer(void* context, uint32_t) noexcept {
    auto* self = static_cast<Impl*>(context);
    uint64_t expirations;
    while (::read(self->timer.get(), &expirations, sizeof expirations) > 0) {
    }
    Clock::time_point now = Clock::now();
    for (const std::unique_ptr<Dial>& dial : self->dials) {
      if (dial->answered || !dial->held || dial->deadline > now)
        continue;
      dial->answered = true;
      if (!self->notify.valid(dial->id))
        continue; // as in finish(): left to dial on, then dropped without a word
      int err = self->attach(*dial) ? EINPROGRESS : errno;
      self->notify.answer(dial->id, 0, err);
    }
    self->arm_timer();
    return true;
  }

  // The timer fires at the earliest deadline of a caller still held (or not at all).
  void arm_timer() noexcept {
    std::optional<Clock::time_point> next;
    for (const std::unique_ptr<Dial>& dial : dials)
      if (!dial->answered && dial->held && (!next || dial->deadline < *next))
        next = dial->deadline;
    itimerspec spec{};
    if (next) {
      auto wait = std::max(std::chrono::nanoseconds(1),
                           std::chrono::duration_cast<std::chrono::nanoseconds>(*next - Clock::now()));
      spec.it_value.tv_sec = static_cast<time_t>(wait.count() / 1000000000);
      spec.it_value.tv_nsec = static_cast<long>(wait.count() % 1000000000);
    }
    ::timerfd_settime(timer.get(), 0, &spec, nullptr);
  }

  // The relayed socket's port on the container's loopback, when `fd` is one.
  std::optional<uint16_t> relayed_port(int fd) const noexcept {
    std::optional<SocketAddress> peer = name_of(fd, true);
    if (!peer || peer->port() != relay_port || peer->ipv4() != loopback)
      return std::nullopt;
    uint16_t port = local_port(fd);
    if (port == 0 || !relayed.contains(port))
      return std::nullopt;
    return port;
  }
};

OutboundRelay::OutboundRelay(util::UniqueFd listener, Ipv4 guest, SpliceProxy& proxy,
                             const NotifyListener& notify)
    : m_impl(std::make_unique<Impl>(std::move(listener), guest, proxy, notify)) {}

OutboundRelay::~OutboundRelay() = default;

bool OutboundRelay::serves(int socket) const noexcept {
  return m_impl->netns && socket_netns(socket) == m_impl->netns;
}

void OutboundRelay::connect(uint64_t id, util::UniqueFd socket, const SocketKind& kind,
                            const SocketAddress& asked, const SocketAddress& target) noexcept {
  m_impl->connect(id, std::move(socket), kind, asked, target);
}

void OutboundRelay::answer_name(const Notification& n, const SocketCall& call) const noexcept {
  if (m_impl->open_relayed == 0) { // the common case for a server: nothing to look at
    m_impl->notify.allow(n.id);
    return;
  }
  util::UniqueFd socket = take_process_fd(n.pid, call.fd);
  std::optional<uint16_t> port = socket ? m_impl->relayed_port(socket.get()) : std::nullopt;
  if (!port) {
    m_impl->notify.allow(n.id);
    return;
  }
  SocketAddress shown = m_impl->relayed.at(*port).asked;
  if (call.kind == SocketCall::Kind::getsockname)
    shown = ipv4_in(shown.family(), m_impl->guest.value, *port);
  else
    shown.length = shown.family() == AF_INET ? sizeof(sockaddr_in) : sizeof(sockaddr_in6);
  int err = write_address_result(n.pid, call.address, call.length, shown.get(), shown.length);
  m_impl->notify.answer(n.id, 0, err);
}

} // namespace net
