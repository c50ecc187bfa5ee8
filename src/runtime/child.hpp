// The post-clone child: performs a fully computed ChildPlan and execs the container command.
#pragma once

#include "net/socket_filter.hpp"
#include "runtime/mount_plan.hpp"
#include "runtime/ulimit.hpp"

#include <sys/ioctl.h>
#include <sys/types.h>

#include <string>
#include <vector>

namespace runtime {

// Everything the child needs, computed in the parent before clone(). The child only reads it
// (its copy of the parent's memory), so nothing here is allocated after clone().
struct ChildPlan {
  MountPlan mounts;
  std::string rootfs;   // host path of the directory that becomes "/"
  std::string hostname;
  std::string cwd = "/";
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;
  bool set_groups = true;  // false when setgroups(2) is denied in this user namespace
  bool loopback_up = false; // private network namespace: bring "lo" up
  int netns_fd = -1;        // a network namespace to join (made ahead, see NetnsAhead)
  // The ready pipe of a network helper started ahead on that namespace (slirp4netns): the child
  // waits for its byte right before exec, so the helper sets itself up while the child mounts
  // and pivots, and the command still never runs before its network is configured.
  int network_ready_fd = -1;
  // Some of the container's socket calls go to cove's supervisor (net/socket_bypass): the
  // child installs `socket_filter` right before it gives up its privileges and passes the
  // listener to the parent over the sync socket; for the outbound relay, the relay's listening
  // socket on the container's loopback too. Without seccomp user notifications it starts
  // without (the parent then gets no listener).
  bool intercept_sockets = false;
  net::SocketFilter socket_filter;
  std::vector<Ulimit> ulimits;   // set right before exec (cove's own are inherited otherwise)
  std::vector<std::string> args; // argv; args[0] is looked up on the container's PATH
  std::vector<std::string> env;  // "K=V"
  int stdin_fd = -1;  // dup'ed onto 0 when >= 0 (/dev/null without -i)
  int stdout_fd = -1; // dup'ed onto 1 when >= 0 (a detached container's log pipe)
  int stderr_fd = -1; // dup'ed onto 2 when >= 0
  int tty_fd = -1;    // a pty slave opened by the parent: session, controlling tty, fds 0/1/2
  // -t: the child creates a pty in the container's own devpts instance (so `tty` names
  // /dev/pts/0, as with Docker), makes it its terminal and /dev/console, and passes the master
  // to the parent over the sync socket (SyncChannel::take_console()).
  bool console = false;
  winsize console_size{}; // set on that pty before exec, so the command never sees 0x0
};

// Pointer arrays over ChildPlan::args/env, built before clone() so the child does not allocate.
struct ExecArrays {
  std::vector<char*> argv;
  std::vector<char*> envp;
};

// Builds the NULL-terminated arrays (pointing into `plan`, which must outlive them).
ExecArrays make_exec_arrays(ChildPlan& plan);

// Child entry after clone(): never returns, never throws. Failures are reported on sync_fd and
// end in _exit(125), or 127 (command not found) / 126 (cannot execute) for execvpe.
[[noreturn]] void child_main(const ChildPlan& plan, ExecArrays& exec, int sync_fd) noexcept;

} // namespace runtime
