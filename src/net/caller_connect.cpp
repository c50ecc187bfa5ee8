#include "net/caller_connect.hpp"

#include "util/fd.hpp"

#include <fcntl.h>
#include <linux/capability.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>

namespace net {

namespace {

constexpr int max_groups = 256;

// The ids and capabilities of a thread, as /proc/TID/status shows them in cove's user namespace.
struct Credentials {
  unsigned uid[4] = {}; // real, effective, saved, filesystem
  unsigned gid[4] = {};
  gid_t groups[max_groups] = {};
  int group_count = 0;
  uint64_t effective = 0;
  uint64_t permitted = 0;
};

bool read_credentials(pid_t tid, Credentials& c) noexcept {
  char path[64];
  std::snprintf(path, sizeof path, "/proc/%d/status", static_cast<int>(tid));
  FILE* status = std::fopen(path, "re");
  if (status == nullptr)
    return false;
  int found = 0;
  char line[4096];
  while (std::fgets(line, sizeof line, status) != nullptr) {
    if (std::strncmp(line, "Uid:", 4) == 0) {
      found += std::sscanf(line + 4, "%u %u %u %u", &c.uid[0], &c.uid[1], &c.uid[2], &c.uid[3]) == 4;
    } else if (std::strncmp(line, "Gid:", 4) == 0) {
      found += std::sscanf(line + 4, "%u %u %u %u", &c.gid[0], &c.gid[1], &c.gid[2], &c.gid[3]) == 4;
    } else if (std::strncmp(line, "Groups:", 7) == 0) {
      char* p = line + 7;
      char* end = nullptr;
      for (unsigned long g = std::strtoul(p, &end, 10); end != p; g = std::strtoul(p, &end, 10)) {
        if (c.group_count == max_groups) {
          std::fclose(status);
          return false;
        }
        c.groups[c.group_count++] = static_cast<gid_t>(g);
        p = end;
      }
      ++found;
    } else if (std::strncmp(line, "CapEff:", 7) == 0) {
      c.effective = std::strtoull(line + 7, nullptr, 16);
      ++found;
    } else if (std::strncmp(line, "CapPrm:", 7) == 0) {
      c.permitted = std::strtoull(line + 7, nullptr, 16);
      ++found;
    }
  }
  std::fclose(status);
  return found == 5;
}

// Whether thread `tid` is in cove's own user namespace (its capabilities mean the same here).
bool same_user_namespace(pid_t tid) noexcept {
  char path[64];
  std::snprintf(path, sizeof path, "/proc/%d/ns/user", static_cast<int>(tid));
  struct stat theirs {};
  struct stat ours {};
  return ::stat(path, &theirs) == 0 && ::stat("/proc/self/ns/user", &ours) == 0 &&
         theirs.st_ino == ours.st_ino && theirs.st_dev == ours.st_dev;
}

util::UniqueFd open_in_proc(pid_t tid, const char* what, int flags) noexcept {
  char path[64];
  std::snprintf(path, sizeof path, "/proc/%d/%s", static_cast<int>(tid), what);
  return util::UniqueFd(::open(path, flags | O_CLOEXEC));
}

struct CallerContext {
  util::UniqueFd mount_ns;
  util::UniqueFd root;
  util::UniqueFd cwd;
  Credentials credentials;
};

// The body of the short-lived thread: its filesystem context and credentials are its own (raw
// system calls: glibc's wrappers would change every thread of cove), and go with it.
int connect_in_context(const CallerContext& c, int socket, const SocketAddress& address) noexcept {
  const Credentials& id = c.credentials;
  if (::unshare(CLONE_FS) < 0 || ::setns(c.mount_ns.get(), CLONE_NEWNS) < 0 ||
      ::fchdir(c.root.get()) < 0 || ::chroot(".") < 0 || ::fchdir(c.cwd.get()) < 0)
    return errno;
  // EPERM where the user namespace denies setgroups: the caller has cove's groups then too.
  if (::syscall(SYS_setgroups, id.group_count, id.groups) < 0 && errno != EPERM)
    return errno;
  if (::syscall(SYS_setresgid, id.gid[0], id.gid[1], id.gid[2]) < 0)
    return errno;
  ::syscall(SYS_setfsgid, id.gid[3]);
  if (::syscall(SYS_setresuid, id.uid[0], id.uid[1], id.uid[2]) < 0)
    return errno;
  ::syscall(SYS_setfsuid, id.uid[3]);
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2] = {};
  if (::syscall(SYS_capget, &header, data) < 0)
    return errno;
  uint64_t ours = data[0].permitted | (static_cast<uint64_t>(data[1].permitted) << 32);
  uint64_t permitted = id.permitted & ours;
  uint64_t effective = id.effective & permitted;
  data[0] = {static_cast<uint32_t>(effective), static_cast<uint32_t>(permitted), 0};
  data[1] = {static_cast<uint32_t>(effective >> 32), static_cast<uint32_t>(permitted >> 32), 0};
  if (::syscall(SYS_capset, &header, data) < 0)
    return errno;
  // The object is the caller's too: never block this thread on it.
  int flags = ::fcntl(socket, F_GETFL);
  if (flags >= 0 && !(flags & O_NONBLOCK))
    ::fcntl(socket, F_SETFL, flags | O_NONBLOCK);
  int rc = ::connect(socket, address.get(), address.length);
  int err = rc < 0 ? errno : 0;
  if (flags >= 0 && !(flags & O_NONBLOCK))
    ::fcntl(socket, F_SETFL, flags);
  return err;
}

} // namespace

int connect_as_caller(pid_t tid, int socket, const SocketAddress& address) noexcept {
  CallerContext context;
  context.mount_ns = open_in_proc(tid, "ns/mnt", O_RDONLY);
  context.root = open_in_proc(tid, "root", O_PATH | O_DIRECTORY);
  context.cwd = open_in_proc(tid, "cwd", O_PATH | O_DIRECTORY);
  if (!context.mount_ns || !context.root || !context.cwd ||
      !read_credentials(tid, context.credentials))
    return EPERM; // the caller is gone, or cannot be looked at
  if (!same_user_namespace(tid))
    context.credentials.effective = context.credentials.permitted = 0;
  int result = EPERM;
  try {
    std::thread thread([&] { result = connect_in_context(context, socket, address); });
    thread.join();
  } catch (...) { // no thread to be had
    return ENOMEM;
  }
  return result;
}

} // namespace net
