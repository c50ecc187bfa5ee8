#include "net/splice_proxy.hpp"

#include "net/relay_handle.hpp"
#include "net/splice_pump.hpp"
#include "net/udp_relay.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <algorithm>
#include <cstring>
#include <deque>
#include <memory>
#include <new>
#include <utility>
#include <vector>

namespace net {

namespace {

// After running out of descriptors, accepting pauses this long (the pending connections wait
// in the backlog rather than spinning the loop).
constexpr int accept_pause_ms = 100;

void report(const char* what, int err) noexcept {
  std::fprintf(stderr, "cove relay: %s: %s\n", what, std::strerror(err));
  std::fflush(stderr);
}

void close_fd(int& fd) noexcept {
  if (fd >= 0)
    ::close(fd);
  fd = -1;
}

} // namespace

struct Connection {
  int client = -1;
  int server = -1;
  bool connecting = true;
  bool dead = false;
  bool client_hung = false; // hung up and no longer watched
  bool server_hung = false;
  Direction up;   // client -> server
  Direction down; // server -> client
  uint32_t client_events = 0;
  uint32_t server_events = 0;
  RelayHandle client_handle;
  RelayHandle server_handle;
  void (*on_close)(void*, uintptr_t) = nullptr; // add_pair's callback, while the loop runs
  void* close_context = nullptr;
  uintptr_t close_tag = 0;
  Connection* prev = nullptr; // the live list, or the dead one (next only)
  Connection* next = nullptr;
};

namespace {

} // namespace

class SpliceProxy::Impl {
public:
  Impl() noexcept : m_epoll(::epoll_create1(EPOLL_CLOEXEC)) {
    if (m_epoll < 0)
      report("create an epoll instance", errno);
  }
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;
  // Closes every connection still open (the listeners belong to the caller).
  ~Impl() {
    while (m_live) {
      m_live->on_close = nullptr; // its owner may be gone already
      drop(*m_live, true);
    }
    bury();
    if (m_epoll >= 0)
      ::close(m_epoll);
  }

  void add_route(const ProxyRoute& route) noexcept {
    m_routes.push_back(route);
    RelayHandle& handle = m_listener_handles.emplace_back();
    handle.route = m_routes.size() - 1;
    handle.kind = route.udp ? RelayHandle::Kind::udp_listener : RelayHandle::Kind::tcp_listener;
    int flags = ::fcntl(route.listener, F_GETFL);
    ::fcntl(route.listener, F_SETFL, flags | O_NONBLOCK);
    watch(EPOLL_CTL_ADD, route.listener, m_accept_paused && !route.udp ? 0u : EPOLLIN, &handle);
  }

  void add_input(int fd, uint32_t events, bool (*on_input)(void*, uint32_t), void* context) noexcept {
    std::unique_ptr<RelayHandle> handle(new (std::nothrow) RelayHandle);
    if (!handle) {
      report("watch a descriptor", ENOMEM);
      return;
    }
    handle->kind = RelayHandle::Kind::input;
    handle->route = static_cast<size_t>(fd);
    handle->on_input = on_input;
    handle->context = context;
    watch(EPOLL_CTL_ADD, fd, events, handle.get());
    try {
      m_inputs.push_back(std::move(handle));
    } catch (...) {
      ::epoll_ctl(m_epoll, EPOLL_CTL_DEL, fd, nullptr);
      report("watch a descriptor", ENOMEM);
    }
  }

  void add_pair(int client, int server, void (*on_close)(void*, uintptr_t), void* context,
                uintptr_t tag) noexcept {
    for (int fd : {client, server})
      ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
    Connection* c = adopt(0, client, server);
    if (c == nullptr) {
      if (on_close)
        on_close(context, tag);
      return;
    }
    c->connecting = false;
    c->on_close = on_close;
    c->close_context = context;
    c->close_tag = tag;
    service(*c, true, 0);
  }

  void remove_input(int fd) noexcept {
    for (const std::unique_ptr<RelayHandle>& handle : m_inputs) {
      if (!handle->dead && handle->route == static_cast<size_t>(fd)) {
        ::epoll_ctl(m_epoll, EPOLL_CTL_DEL, fd, nullptr);
        handle->dead = true;
      }
    }
  }

  void run(int stop_fd) noexcept {
    if (m_epoll < 0)
      return;
    RelayHandle stop;
    stop.kind = RelayHandle::Kind::stop;
    watch(EPOLL_CTL_ADD, stop_fd, EPOLLIN, &stop);
    UdpRelay udp(m_epoll);
    epoll_event events[64];
    for (bool stopping = false; !stopping;) {
      int timeout = udp.expire();
      if (m_accept_paused)
        timeout = timeout < 0 ? accept_pause_ms : std::min(timeout, accept_pause_ms);
      int n = ::epoll_wait(m_epoll, events, 64, timeout);
      if (n < 0 && errno != EINTR) {
        report("wait for events", errno);
        return;
      }
      if (n == 0 && m_accept_paused)
        set_accepting(true);
      for (int i = 0; i < n; ++i) {
        auto* handle = static_cast<RelayHandle*>(events[i].data.ptr);
        switch (handle->kind) {
        case RelayHandle::Kind::tcp_listener:
          accept_all(handle->route);
          break;
        case RelayHandle::Kind::udp_listener: {
          const ProxyRoute& r = m_routes[handle->route];
          udp.from_host(handle->route, r.listener, r.target, r.target_length);
          break;
        }
        case RelayHandle::Kind::connection:
          if (!handle->connection->dead)
            service(*handle->connection, handle->server, events[i].events);
          break;
        case RelayHandle::Kind::udp_session:
          udp.from_container(*handle->session);
          break;
        case RelayHandle::Kind::stop:
          stopping = true;
          break;
        case RelayHandle::Kind::input:
          // The callback may have removed it (remove_input) and handed the descriptor on.
          if (!handle->dead && !handle->on_input(handle->context, events[i].events) &&
              !handle->dead) {
            // The callback may have closed it already (which unregisters it): ENOENT, EBADF.
            ::epoll_ctl(m_epoll, EPOLL_CTL_DEL, static_cast<int>(handle->route), nullptr);
            handle->dead = true;
          }
          break;
        }
      }
      bury();
    }
  }

private:
  void watch(int op, int fd, uint32_t events, RelayHandle* handle) noexcept {
    epoll_event event{};
    event.events = events;
    event.data.ptr = handle;
    if (::epoll_ctl(m_epoll, op, fd, &event) < 0)
      report("watch a socket", errno);
  }

  void set_accepting(bool on) noexcept {
    m_accept_paused = !on;
    epoll_event event{};
    event.events = on ? static_cast<uint32_t>(EPOLLIN) : 0u;
    for (size_t i = 0; i < m_routes.size(); ++i) {
      if (m_routes[i].udp)
        continue;
      event.data.ptr = &m_listener_handles[i];
      // A listener handed over to the container (PortForwarder::release) is no longer here.
      if (::epoll_ctl(m_epoll, EPOLL_CTL_MOD, m_routes[i].listener, &event) < 0 &&
          errno != ENOENT && errno != EBADF)
        report("watch a socket", errno);
    }
  }

  void accept_all(size_t route) noexcept {
    for (;;) {
      int client = ::accept4(m_routes[route].listener, nullptr, nullptr,
                             SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (client >= 0) {
        open(route, client);
        continue;
      }
      if (errno == EINTR || errno == ECONNABORTED)
        continue;
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        report("accept a connection", errno);
        set_accepting(false);
      }
      return; // EAGAIN: all taken
    }
  }

  void open(size_t route, int client) noexcept {
    const ProxyRoute& r = m_routes[route];
    int server = ::socket(r.target.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (server < 0) {
      report("open a connection to the container", errno);
      ::close(client);
      return;
    }
    Connection* c = adopt(route, client, server);
    if (c == nullptr)
      return;
    int rc = ::connect(server, reinterpret_cast<const sockaddr*>(&r.target), r.target_length);
    if (rc < 0 && errno != EINPROGRESS) {
      drop(*c, true); // refused: the client sees a reset, as if it had reached the port itself
      return;
    }
    // The client's data waits in its socket until the container's side is connected.
    c->server_events = EPOLLOUT;
    watch(EPOLL_CTL_MOD, server, EPOLLOUT, &c->server_handle);
    if (rc == 0)
      service(*c, true, 0);
  }

  // A live connection between `client` and `server` (both owned from here on, closed on
  // failure), watched for nothing yet.
  Connection* adopt(size_t route, int client, int server) noexcept {
    std::unique_ptr<Connection> c(new (std::nothrow) Connection);
    if (!c) {
      report("relay a connection", ENOMEM);
      ::close(client);
      ::close(server);
      return nullptr;
    }
    int one = 1;
    ::setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    ::setsockopt(server, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    c->client = client;
    c->server = server;
    c->up.from = c->down.to = client;
    c->up.to = c->down.from = server;
    c->client_handle = {RelayHandle::Kind::connection, route, c.get(), false, nullptr};
    c->server_handle = {RelayHandle::Kind::connection, route, c.get(), true, nullptr};
    if (!make_pipe(c->up) || !make_pipe(c->down)) {
      report("create a pipe", errno);
      reset(*c);
      return nullptr;
    }
    watch(EPOLL_CTL_ADD, client, 0, &c->client_handle);
    watch(EPOLL_CTL_ADD, server, 0, &c->server_handle);
    Connection* raw = c.release();
    raw->next = m_live;
    if (m_live)
      m_live->prev = raw;
    m_live = raw;
    return raw;
  }

  // `events`: what epoll reported for the socket on `server_side`.
  void service(Connection& c, bool server_side, uint32_t events) noexcept {
    if (c.connecting) {
      if (!server_side) { // only a hang-up or error: the client gave up
        drop(c, true);
        return;
      }
      int err = 0;
      socklen_t len = sizeof err;
      ::getsockopt(c.server, SOL_SOCKET, SO_ERROR, &err, &len);
      if (err == EINPROGRESS || err == EALREADY)
        return;
      if (err != 0) {
        drop(c, true);
        return;
      }
      c.connecting = false;
      events = 0; // just connected: both directions start
    }
    // Only the directions the event concerns (a download wakes the loop for every chunk; the
    // idle direction would cost a failed splice each time), both after a hang-up or error.
    bool both = (events & (EPOLLERR | EPOLLHUP)) || !(events & (EPOLLIN | EPOLLOUT));
    bool readable = events & EPOLLIN;
    bool writable = events & EPOLLOUT;
    bool do_up = both || (server_side ? writable : readable);
    bool do_down = both || (server_side ? readable : writable);
    unsigned long before = c.up.progress + c.down.progress;
    if ((do_up && !pump(c.up)) || (do_down && !pump(c.down))) {
      drop(c, true);
      return;
    }
    if (c.up.done && c.down.done) {
      drop(c, false);
      return;
    }
    // A hang-up or error is reported whatever the interest asked for: one that moved nothing
    // would wake the loop for ever while the other side is busy. An error ends the connection.
    // A socket that hung up needs no more watching: what is left in it reads without waiting
    // (up to its end of file) and a write to it fails at once, so the other side's events drive
    // it from here on.
    if ((events & (EPOLLERR | EPOLLHUP)) && c.up.progress + c.down.progress == before) {
      int fd = server_side ? c.server : c.client;
      int err = 0;
      socklen_t len = sizeof err;
      ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
      if (err != 0 || !(events & EPOLLHUP)) {
        drop(c, true);
        return;
      }
      ::epoll_ctl(m_epoll, EPOLL_CTL_DEL, fd, nullptr);
      (server_side ? c.server_hung : c.client_hung) = true;
    }
    uint32_t client_events = (c.up.want_in ? EPOLLIN : 0u) | (c.down.want_out ? EPOLLOUT : 0u);
    uint32_t server_events = (c.down.want_in ? EPOLLIN : 0u) | (c.up.want_out ? EPOLLOUT : 0u);
    if (!c.client_hung && client_events != c.client_events) {
      watch(EPOLL_CTL_MOD, c.client, client_events, &c.client_handle);
      c.client_events = client_events;
    }
    if (!c.server_hung && server_events != c.server_events) {
      watch(EPOLL_CTL_MOD, c.server, server_events, &c.server_handle);
      c.server_events = server_events;
    }
  }

  // Closes both sockets so that each peer sees a reset (an abortive close), as it would have
  // had it been connected directly.
  static void reset(Connection& c) noexcept {
    linger abort{1, 0};
    for (int fd : {c.client, c.server})
      if (fd >= 0)
        ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &abort, sizeof abort);
    close_all(c);
  }

  static void close_all(Connection& c) noexcept {
    close_fd(c.client);
    close_fd(c.server);
    for (Direction* d : {&c.up, &c.down}) {
      close_fd(d->pipe_read);
      close_fd(d->pipe_write);
    }
  }

  // Ends a connection that is registered; freed by bury() after the current batch of events,
  // which may still name it.
  void drop(Connection& c, bool failed) noexcept {
    if (failed)
      reset(c);
    else
      close_all(c);
    if (c.on_close)
      c.on_close(c.close_context, c.close_tag);
    c.dead = true;
    (c.prev ? c.prev->next : m_live) = c.next;
    if (c.next)
      c.next->prev = c.prev;
    c.prev = nullptr;
    c.next = m_dead;
    m_dead = &c;
  }

  void bury() noexcept {
    while (m_dead)
      delete std::exchange(m_dead, m_dead->next);
    std::erase_if(m_inputs, [](const std::unique_ptr<RelayHandle>& h) { return h->dead; });
  }

  std::deque<ProxyRoute> m_routes;
  std::deque<RelayHandle> m_listener_handles; // one per route, at the same index
  std::vector<std::unique_ptr<RelayHandle>> m_inputs; // dead ones go in bury()
  Connection* m_live = nullptr; // open connections, a list through Connection::prev/next
  Connection* m_dead = nullptr; // dropped ones, until bury()
  int m_epoll = -1;
  bool m_accept_paused = false;
};

SpliceProxy::SpliceProxy() noexcept : m_impl(new (std::nothrow) Impl) {}

SpliceProxy::~SpliceProxy() = default;

void SpliceProxy::add_route(const ProxyRoute& route) noexcept {
  if (m_impl)
    m_impl->add_route(route);
}

void SpliceProxy::add_input(int fd, uint32_t events, bool (*on_input)(void*, uint32_t),
                            void* context) noexcept {
  if (m_impl)
    m_impl->add_input(fd, events, on_input, context);
}

void SpliceProxy::remove_input(int fd) noexcept {
  if (m_impl)
    m_impl->remove_input(fd);
}

void SpliceProxy::add_pair(int client, int server, void (*on_close)(void*, uintptr_t),
                           void* context, uintptr_t tag) noexcept {
  if (m_impl) {
    m_impl->add_pair(client, server, on_close, context, tag);
    return;
  }
  ::close(client);
  ::close(server);
  if (on_close)
    on_close(context, tag);
}

void SpliceProxy::run(int stop_fd) noexcept {
  if (m_impl)
    m_impl->run(stop_fd);
  else
    report("start the relay", ENOMEM);
}

void run_splice_proxy(const std::vector<ProxyRoute>& routes, int stop_fd) noexcept {
  SpliceProxy proxy;
  for (const ProxyRoute& route : routes)
    proxy.add_route(route);
  proxy.run(stop_fd);
}

} // namespace net
