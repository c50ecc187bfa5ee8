// How a cove process knows it is inside cove's namespaces: the COVE_USERNS environment variable
// names the mount namespace cove set up, and is inherited by the cove processes it starts.
#pragma once

namespace userns {

// True when COVE_USERNS names this process's mount namespace. A marker that leaked into another
// namespace (an exported shell variable, a helper's environment) is not trusted: as real root,
// trusting it would make the host's own mounts private.
bool marked_inside();

// Sets COVE_USERNS to this process's mount namespace. Throws util::Error.
void mark_inside();

// Everything cove mounts from here on (overlay rootfs, container mounts) must stay in this mount
// namespace: with shared propagation (systemd's default for /) it would reach the host's
// namespace and outlive cove. Private also keeps host mount events out, which nothing here
// needs. Throws util::Error.
void make_mounts_private();

} // namespace userns
