// Entering cove's user namespace: once per invocation, before touching storage.
#pragma once

#include "userns/id_map.hpp"

namespace userns {

// Enters cove's user and mount namespaces in one go: userns::Entering::start().finish() (see
// entering.hpp). Rootless, a placeholder process is cloned into the new namespaces, its ids are
// mapped from outside (newuidmap/newgidmap, or a single mapping) and this process joins them:
// no re-exec (that would load cove a second time) and no resident parent. Call it before
// starting any thread. Throws util::Error with an actionable message when user namespaces are
// unavailable.
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
