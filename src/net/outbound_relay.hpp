// OutboundRelay: a slirp4netns container's outbound TCP connections through the host's own TCP
// stack, with no socket of cove's network namespace ever in the container.
//
// The container's connect() to an address outside its network comes to the supervisor
// (net/socket_bypass) as a seccomp user notification. The relay dials that address from cove's
// namespace (where slirp4netns makes its connections too, so the container reaches nothing it
// could not reach before). Once the connection is made it connects the container's socket, on
// the caller's behalf, to the relay's listening socket on the container's loopback (made by the
// container's child before exec, make_relay_listener()), and moves the bytes between the two
// with splice(2) (net/splice_proxy): the kernel's loopback on both sides instead of slirp4netns'
// user-mode stack. The caller's connect() returns what the kernel's would: 0 once connected, the
// dial's error (ECONNREFUSED, ETIMEDOUT...) when it fails. A non-blocking socket's connect() is
// held for at most hold_ms: a dial still running then answers EINPROGRESS, the socket completes
// by itself, and a later failure of the dial shows as a reset of the connection.
// getpeername() and getsockname() of a relayed socket answer the address it asked for and the
// container's own address, as without the relay.
#pragma once

#include "net/ipam.hpp"
#include "net/socket_address.hpp"
#include "net/socket_twin.hpp"
#include "util/fd.hpp"

#include <cstdint>
#include <memory>
#include <optional>

namespace net {

class NotifyListener;
class SpliceProxy;
struct Notification;
struct SocketCall;

// A listening TCP socket on 127.0.0.1 (any port) in the caller's network namespace, for the
// relay; -errno on failure. Async-signal-safe: the container's child makes it before exec.
int make_relay_listener() noexcept;

class OutboundRelay {
public:
  // How long a non-blocking connect() waits for the dial before answering EINPROGRESS.
  static constexpr int hold_ms = 10;

  // Relays through `listener` (from make_relay_listener(), in the container's namespace);
  // `guest` is the container's address (what getsockname() shows). `proxy` and `notify` must
  // outlive the relay, and every member is for the thread that runs the proxy. Throws
  // util::Error when the listener cannot be used.
  OutboundRelay(util::UniqueFd listener, Ipv4 guest, SpliceProxy& proxy,
                const NotifyListener& notify);
  OutboundRelay(const OutboundRelay&) = delete;
  OutboundRelay& operator=(const OutboundRelay&) = delete;
  ~OutboundRelay();

  // Whether `socket` lives in the namespace the relay serves (the container's own, not one
  // its processes made for themselves, where the relay's listener is not).
  bool serves(int socket) const noexcept;

  // connect() of the container's unconnected TCP socket `socket` (taken from the caller of
  // notification `id`; `kind` its shape) to `asked`, which cove's namespace reaches as
  // `target`. Answers the notification, now or later.
  void connect(uint64_t id, util::UniqueFd socket, const SocketKind& kind,
               const SocketAddress& asked, const SocketAddress& target) noexcept;

  // Answers getpeername() or getsockname() (`call`, notification `n`): for a relayed socket with
  // the address it asked for or the container's own (with the socket's port), written into the
  // caller; for every other socket the kernel answers.
  void answer_name(const Notification& n, const SocketCall& call) const noexcept;

  struct Impl;

private:
  std::unique_ptr<Impl> m_impl;
};

} // namespace net
