// Entering cove's user namespace: once per invocation, before touching storage.
#pragma once

#include "userns/id_map.hpp"

namespace userns {

// If this process is not yet in cove's namespaces (env marker COVE_USERNS absent, or naming a
// mount namespace other than ours) and the host uid is not 0: this process unshares
// CLONE_NEWUSER|CLONE_NEWNS while a short-lived forked helper, still outside, maps its ids
// (newuidmap/newgidmap from /etc/subuid and /etc/subgid; else a single mapping with
// setgroups=deny and one warning) and exits; then this process becomes uid/gid 0, sets
// COVE_USERNS=<mount namespace inode> (inherited by cove processes it starts, which then stay in
// these namespaces) and returns. No re-exec (that would load cove's libraries a second time) and
// no resident parent.
// Inside (or as real root): makes the mount namespace private (MS_REC|MS_PRIVATE; as real root a
// new mount namespace is unshared first) and returns. Call it before starting any thread.
// Throws util::Error with an actionable message when user namespaces are unavailable.
void ensure_in_userns(int argc, char** argv);

// Joins the existing user namespace `userns_fd` (the one that owns the shared network namespace
// of user-defined networks, made with cove's mapping) instead of creating one, and unshares a
// mount namespace of its own; ensure_in_userns() then finds this process inside. Rootless only
// (real root needs no user namespace). Call before starting any thread. Throws util::Error.
void join_user_namespace(int userns_fd);

// The mapping in effect for this process (parsed from /proc/self/uid_map and gid_map).
IdMapping current_mapping();

// True when the current user namespace maps only one uid (no subuid range): files cannot be
// chowned to other ids, so unpack and copy keep ownership at 0.
bool single_id_mapping();

} // namespace userns
