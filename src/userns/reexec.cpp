#include "userns/reexec.hpp"

#include "userns/newidmap.hpp"
#include "userns/subid.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/fs.hpp"
#include "util/log.hpp"
#include "util/strings.hpp"

#include <fcntl.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace userns {

namespace {

constexpr const char* marker = "COVE_USERNS";

// The marker's value is the id of the mount namespace cove set up, so a marker that leaked into
// another namespace (an exported shell variable, a helper's environment) is not trusted: as
// real root, trusting it would make the host's own mounts private.
std::string mount_namespace_id() {
  struct stat st{};
  if (::stat("/proc/self/ns/mnt", &st) < 0)
    util::throw_errno("stat \"/proc/self/ns/mnt\"");
  return std::to_string(st.st_ino);
}


// Everything cove mounts from here on (overlay rootfs, container mounts) must stay in our mount
// namespace: with shared propagation (systemd's default for /) they would reach the host's
// namespace and outlive us. Private also keeps host mount events out, which nothing here needs.
void make_mounts_private() {
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) < 0)
    util::throw_errno("make the mount namespace private (mount --make-rprivate /)");
}

std::string read_sysctl(const char* path) {
  auto text = util::read_file_if_exists(path);
  return text ? std::string(util::trim(*text)) : std::string();
}

// Turns a failed clone(CLONE_NEWUSER) into what the administrator has to change.
[[noreturn]] void throw_clone_error(int err) {
  std::string hint;
  if (err == ENOSPC || read_sysctl("/proc/sys/user/max_user_namespaces") == "0")
    hint = "user namespaces are disabled: set sysctl user.max_user_namespaces=15000";
  else if (err == EPERM && read_sysctl("/proc/sys/kernel/unprivileged_userns_clone") == "0")
    hint = "unprivileged user namespaces are disabled: "
           "set sysctl kernel.unprivileged_userns_clone=1";
  else if (err == EPERM &&
           read_sysctl("/proc/sys/kernel/apparmor_restrict_unprivileged_userns") == "1")
    hint = "AppArmor restricts unprivileged user namespaces: "
           "set sysctl kernel.apparmor_restrict_unprivileged_userns=0";
  else if (err == EPERM)
    hint = "user namespaces are not permitted here "
           "(a seccomp filter or an enclosing container may block them)";
  else if (err == EINVAL)
    hint = "this kernel has no user namespace support (CONFIG_USER_NS)";
  std::string what = "create a user namespace";
  throw util::SystemError(err, hint.empty() ? what : util::cat(what, ": ", hint));
}

struct Plan {
  IdMapping mapping;
  bool use_helpers = false;
};

// Reads the subordinate ranges for the user and decides how the maps get written. Prints at
// most one warning when falling back to the single-id mapping.
Plan plan_mapping(uid_t uid, gid_t gid) {
  const passwd* pw = ::getpwuid(uid);
  std::string user = pw != nullptr && pw->pw_name != nullptr ? pw->pw_name : std::to_string(uid);
  auto subuids = parse_subid(util::read_file_if_exists("/etc/subuid").value_or(""), user, uid);
  auto subgids = parse_subid(util::read_file_if_exists("/etc/subgid").value_or(""), user, uid);
  const std::string consequence =
      "using a single-id mapping; images with files owned by other users will be flattened to root";
  if (subuids.empty() || subgids.empty()) {
    const char* kind = subuids.empty() ? "subuid" : "subgid";
    util::log::warning("no ", kind, " range for ", user, " in /etc/", kind, ": ", consequence,
                       " (add one with usermod --add-subuids 100000-165535 --add-subgids "
                       "100000-165535 ", user, ")");
    return {IdMapping::single(uid, gid), false};
  }
  if (auto problem = helper_problem()) {
    util::log::warning(*problem, "; ", consequence);
    return {IdMapping::single(uid, gid), false};
  }
  return {IdMapping::default_rootless(uid, gid, subuids, subgids), true};
}

// Reads exactly one int; false on EOF (the other side died or gave up).
bool read_int(int fd, int& value) noexcept {
  ssize_t n;
  while ((n = ::read(fd, &value, sizeof value)) < 0 && errno == EINTR) {
  }
  return n == sizeof value;
}

void write_int(int fd, int value) noexcept {
  ssize_t ignored = ::write(fd, &value, sizeof value);
  (void)ignored;
}

// Reads everything up to EOF (the helper's error message, empty on success).
std::string read_all(int fd) noexcept {
  std::string out;
  char buf[512];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) != 0) {
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

// The forked helper: still in the parent user namespace, which is where newuidmap/newgidmap
// (or the direct single-id write) must run. Waits until cove has unshared, writes cove's maps,
// reports any error text, and exits without running cove's destructors or exit handlers.
[[noreturn]] void map_writer(pid_t target, const Plan& plan, uid_t uid, gid_t gid, int from_cove,
                             int to_cove) noexcept {
  int unshare_errno = 0;
  if (!read_int(from_cove, unshare_errno) || unshare_errno != 0)
    ::_exit(0);
  std::string error;
  try {
    if (plan.use_helpers)
      write_maps_with_helpers(target, plan.mapping);
    else
      write_single_mapping(target, uid, gid);
  } catch (const std::exception& e) {
    error = e.what();
  } catch (...) {
    error = "write the id maps: unknown error";
  }
  ssize_t ignored = ::write(to_cove, error.data(), error.size());
  (void)ignored;
  ::_exit(0);
}

// cove itself enters the new user and mount namespaces; a forked helper that stays outside
// writes the id maps and exits. Compared with a child entering the namespace behind a waiting
// parent, no second cove process stays resident for the whole command (memory), no signals need
// relaying (the shell's signals and job control reach cove directly), and the exit status is
// cove's own. unshare(CLONE_NEWUSER) needs a single-threaded caller: this runs before any thread.
void enter_rootless() {
  uid_t uid = ::getuid();
  gid_t gid = ::getgid();
  Plan plan = plan_mapping(uid, gid);

  int go[2], done[2];
  if (::pipe2(go, O_CLOEXEC) < 0 || ::pipe2(done, O_CLOEXEC) < 0)
    util::throw_errno("create the user namespace handshake pipes");
  util::UniqueFd go_read(go[0]), go_write(go[1]), done_read(done[0]), done_write(done[1]);

  std::fflush(nullptr); // buffered output would otherwise be written twice
  pid_t self = ::getpid();
  pid_t helper = ::fork();
  if (helper < 0)
    util::throw_errno("fork the id map writer");
  if (helper == 0) {
    go_write.reset();
    done_read.reset();
    map_writer(self, plan, uid, gid, go_read.get(), done_write.get());
  }
  go_read.reset();
  done_write.reset();

  int err = ::unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0 ? errno : 0;
  write_int(go_write.get(), err);
  go_write.reset();
  std::string error = read_all(done_read.get());
  while (::waitpid(helper, nullptr, 0) < 0 && errno == EINTR) {
  }
  if (err != 0)
    throw_clone_error(err);
  if (!error.empty())
    throw util::Error(error);
  if (::setresgid(0, 0, 0) < 0 || ::setresuid(0, 0, 0) < 0)
    util::throw_errno("become root in the user namespace (setresuid 0)");
  ::setenv(marker, mount_namespace_id().c_str(), 1);
}

} // namespace

void ensure_in_userns(int /*argc*/, char** /*argv*/) {
  const char* inside = std::getenv(marker);
  if (inside != nullptr && inside == mount_namespace_id()) {
    make_mounts_private();
    return;
  }
  if (::getuid() == 0) {
    // Real root needs no user namespace, only a mount namespace of its own.
    util::check(::unshare(CLONE_NEWNS), "create a mount namespace (unshare CLONE_NEWNS)");
    make_mounts_private();
    ::setenv(marker, mount_namespace_id().c_str(), 1);
    return;
  }
  enter_rootless();
  make_mounts_private();
}

void join_user_namespace(int userns_fd) {
  // The owner of a user namespace may join it from the parent namespace; the container started
  // from here then lives in it too, so its network namespace and the shared one have one owner
  // and a veth pair can join them.
  util::check(::setns(userns_fd, CLONE_NEWUSER), "join the user namespace of the shared networks");
  util::check(::unshare(CLONE_NEWNS), "create a mount namespace (unshare CLONE_NEWNS)");
  if (::setresgid(0, 0, 0) < 0 || ::setresuid(0, 0, 0) < 0)
    util::throw_errno("become root in the user namespace (setresuid 0)");
  ::setenv(marker, mount_namespace_id().c_str(), 1);
}

IdMapping current_mapping() {
  return {parse_proc_map(util::read_file("/proc/self/uid_map")),
          parse_proc_map(util::read_file("/proc/self/gid_map"))};
}

bool single_id_mapping() {
  return current_mapping().uid_count() == 1;
}

} // namespace userns
