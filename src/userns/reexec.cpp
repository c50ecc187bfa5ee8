#include "userns/reexec.hpp"

#include "userns/entering.hpp"
#include "userns/marker.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"

#include <sched.h>
#include <unistd.h>

namespace userns {

void ensure_in_userns(int /*argc*/, char** /*argv*/) {
  Entering::start().finish();
}

void join_user_namespace(int userns_fd) {
  // The owner of a user namespace may join it from the parent namespace; the container started
  // from here then lives in it too, so its network namespace and the shared one have one owner
  // and a veth pair can join them.
  util::check(::setns(userns_fd, CLONE_NEWUSER), "join the user namespace of the shared networks");
  util::check(::unshare(CLONE_NEWNS), "create a mount namespace (unshare CLONE_NEWNS)");
  if (::setresgid(0, 0, 0) < 0 || ::setresuid(0, 0, 0) < 0)
    util::throw_errno("become root in the user namespace (setresuid 0)");
  mark_inside();
}

IdMapping current_mapping() {
  return {parse_proc_map(util::read_file("/proc/self/uid_map")),
          parse_proc_map(util::read_file("/proc/self/gid_map"))};
}

bool single_id_mapping() {
  return current_mapping().uid_count() == 1;
}

} // namespace userns
