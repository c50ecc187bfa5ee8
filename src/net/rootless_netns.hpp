// The shared network namespace of user-defined networks (podman's "rootless netns"), without a
// daemon. One holder process per runtime root keeps the namespace (and, rootless, the user
// namespace that owns it) alive, runs the one slirp4netns that connects it to the outside, and
// exits once nobody uses it.
//
// "Using" is a lease: a connection to the holder's unix socket, held by every cove process that
// runs a container on a user network (the foreground `run`, or the detached container's monitor,
// which inherits it through fork). When a lease closes (the process exited, however it died) the
// holder releases the endpoints of containers that are gone; when the last one closes it exits,
// and slirp4netns follows it through its exit fd. Leases are taken and the holder decides to
// exit under one flock, so a new user never connects to a holder that is going away.
#pragma once

#include "util/fd.hpp"

#include <sys/types.h>

#include <filesystem>
#include <functional>

namespace net {

class NetnsLease {
public:
  // Connects to the holder of `runtime_root`, starting one when none runs. `enter_namespaces`
  // runs in the new holder first (it must put it into cove's user namespace: the namespace the
  // network namespace then belongs to). `storage_root` is where the network records are, for the
  // holder's clean-up. Call before entering cove's user namespace. Throws util::Error.
  static NetnsLease acquire(const std::filesystem::path& runtime_root,
                            const std::filesystem::path& storage_root,
                            const std::function<void()>& enter_namespaces);

  NetnsLease(NetnsLease&&) noexcept = default;
  NetnsLease& operator=(NetnsLease&&) noexcept = default;

  // The holder's pid.
  pid_t holder() const noexcept { return m_holder; }
  // /proc/HOLDER/ns/user, opened (join it with setns before touching storage, when rootless).
  int user_namespace() const noexcept { return m_userns.get(); }
  // /proc/HOLDER/ns/net, opened: where the bridges are.
  int network_namespace() const noexcept { return m_netns.get(); }

private:
  NetnsLease() = default;
  util::UniqueFd m_connection;
  util::UniqueFd m_userns;
  util::UniqueFd m_netns;
  pid_t m_holder = -1;
};

// Releases the endpoints of containers that are no longer running on every network of
// `storage_root`: their addresses, veths (through `netns_fd`, the shared namespace, when open)
// and names in the other containers' /etc/hosts. Their published ports went with their
// forwarders. Safe to call from any cove process. Errors are logged.
void release_dead_endpoints(const std::filesystem::path& storage_root, int netns_fd = -1) noexcept;

} // namespace net
