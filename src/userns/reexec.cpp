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
#include <sys/prctl.h>
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

constexpr int forwarded_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH};

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

void write_message(const char* text) noexcept {
  ssize_t ignored = ::write(STDERR_FILENO, text, std::strlen(text));
  (void)ignored;
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

// The forked child: enters the namespaces, reports to the parent, waits until the maps are
// written, then becomes root of the namespace and carries on as cove itself. No exec: cove
// links dozens of shared libraries whose loading costs milliseconds, paid once instead of twice.
void child_enter(int to_parent, int from_parent, pid_t parent, const sigset_t& old_mask) {
  int err = ::unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0 ? errno : 0;
  write_int(to_parent, err);
  int go = 0;
  if (err != 0 || !read_int(from_parent, go))
    ::_exit(125); // the parent reports why
  if (::setresgid(0, 0, 0) < 0 || ::setresuid(0, 0, 0) < 0) {
    write_message("cove: error: become root in the user namespace: setresuid failed\n");
    ::_exit(125);
  }
  // Set after setresuid, which clears it. If the proxy parent is killed, the namespace and
  // every mount in it go away with us instead of lingering.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != parent)
    ::_exit(125);
  ::sigprocmask(SIG_SETMASK, &old_mask, nullptr);
  ::setenv(marker, mount_namespace_id().c_str(), 1);
}

// Relays signals sent to the proxy (by kill(1), a supervisor...) until the child exits, then
// exits with its status. Signals the terminal sends reach the child directly (same process
// group), so those (SI_KERNEL) are not sent a second time.
[[noreturn]] void proxy_until_exit(pid_t child, const sigset_t& waited) {
  for (;;) {
    siginfo_t info{};
    int sig = ::sigwaitinfo(&waited, &info);
    if (sig < 0)
      continue;
    if (sig != SIGCHLD) {
      if (info.si_code != SI_KERNEL)
        ::kill(child, sig);
      continue;
    }
    int status = 0;
    pid_t got = ::waitpid(child, &status, WNOHANG);
    if (got == child) {
      std::fflush(nullptr);
      ::_exit(WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status));
    }
  }
}

// Returns in the child (now root in the new namespaces); the parent never returns.
void enter_rootless() {
  uid_t uid = ::getuid();
  gid_t gid = ::getgid();
  Plan plan = plan_mapping(uid, gid);

  int up[2], down[2];
  if (::pipe2(up, O_CLOEXEC) < 0 || ::pipe2(down, O_CLOEXEC) < 0)
    util::throw_errno("create the user namespace handshake pipes");
  util::UniqueFd up_read(up[0]), up_write(up[1]), down_read(down[0]), down_write(down[1]);

  // Block before fork so no forwarded signal is lost before the wait loop; the child restores
  // the old mask.
  sigset_t waited, old_mask;
  sigemptyset(&waited);
  for (int sig : forwarded_signals)
    sigaddset(&waited, sig);
  sigaddset(&waited, SIGCHLD);
  ::signal(SIGCHLD, SIG_DFL); // SIG_IGN would auto-reap and lose the exit status
  ::sigprocmask(SIG_BLOCK, &waited, &old_mask);
  std::fflush(nullptr); // buffered output would otherwise be written twice

  // fork() then unshare() rather than a raw clone(CLONE_NEWUSER): glibc's fork keeps its own
  // per-thread state (cached tid, robust list, stdio locks) right in the child that carries on,
  // and unshare(CLONE_NEWUSER) needs a single-threaded caller, which a forked child always is.
  pid_t parent = ::getpid();
  pid_t child = ::fork();
  if (child == 0) {
    up_read.reset();
    down_write.reset();
    child_enter(up_write.get(), down_read.get(), parent, old_mask);
    return;
  }
  if (child < 0) {
    int err = errno;
    ::sigprocmask(SIG_SETMASK, &old_mask, nullptr);
    util::throw_errno(err, "fork the user namespace child");
  }
  up_write.reset();
  down_read.reset();
  try {
    int err = 0;
    if (!read_int(up_read.get(), err))
      throw util::Error("the user namespace child exited before entering the namespace");
    if (err != 0)
      throw_clone_error(err);
    if (plan.use_helpers)
      write_maps_with_helpers(child, plan.mapping);
    else
      write_single_mapping(child, uid, gid);
  } catch (...) {
    ::kill(child, SIGKILL);
    ::waitpid(child, nullptr, 0);
    ::sigprocmask(SIG_SETMASK, &old_mask, nullptr);
    throw;
  }
  write_int(down_write.get(), 1);
  down_write.reset();
  proxy_until_exit(child, waited);
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

IdMapping current_mapping() {
  return {parse_proc_map(util::read_file("/proc/self/uid_map")),
          parse_proc_map(util::read_file("/proc/self/gid_map"))};
}

bool single_id_mapping() {
  return current_mapping().uid_count() == 1;
}

} // namespace userns
