#include "userns/entering.hpp"

#include "userns/marker.hpp"
#include "userns/newidmap.hpp"
#include "userns/subid.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/log.hpp"
#include "util/strings.hpp"

#include <fcntl.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <utility>

namespace userns {

namespace {

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

// The placeholder: a process that only holds the new namespaces while its maps are written. It
// shares cove's memory (no page tables to copy), so it makes no call that could write errno or
// take a lock of cove's, and no signal handler of cove's may run in it: every signal is blocked
// (SIGKILL cannot be). It waits to be killed, or dies with cove.
int hold_namespaces(void* arg) noexcept {
  sigset_t all;
  ::sigfillset(&all);
  ::sigprocmask(SIG_SETMASK, &all, nullptr);
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != *static_cast<const pid_t*>(arg))
    ::_exit(0); // cove died before the line above
  for (;;)
    ::pause();
}

util::UniqueFd open_namespace(pid_t pid, const char* kind) {
  std::string path = util::cat("/proc/", pid, "/ns/", kind);
  util::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd)
    util::throw_errno(util::cat("open ", util::quote(path)));
  return fd;
}

void reap(pid_t pid) noexcept {
  while (::waitpid(pid, nullptr, __WALL) < 0 && errno == EINTR) {
  }
}

} // namespace

struct Entering::Pending {
  static constexpr size_t stack_size = 64 * 1024;
  pid_t parent = ::getpid();
  std::unique_ptr<char[]> stack = std::make_unique<char[]>(stack_size);
  pid_t placeholder = -1;
  util::UniqueFd user_ns, mount_ns;
  std::optional<MapHelpers> helpers;
  std::string cwd;      // rejoined by path in the new mount namespace (a copy of this one)
  util::UniqueFd cwd_fd; // where the path no longer leads there

  ~Pending() {
    helpers.reset(); // killed and reaped if still running
    end_placeholder();
  }

  void end_placeholder() noexcept {
    if (placeholder <= 0)
      return;
    ::kill(placeholder, SIGKILL);
    reap(placeholder);
    placeholder = -1;
  }
};

Entering::Entering(Kind kind) : m_kind(kind) {}

Entering::Entering(Entering&& other) noexcept
    : m_kind(std::exchange(other.m_kind, Kind::done)), m_pending(std::move(other.m_pending)) {}

Entering::~Entering() = default;

Entering Entering::start() {
  if (marked_inside())
    return Entering(Kind::inside);
  if (::getuid() == 0)
    return Entering(Kind::real_root); // no user namespace, only a mount namespace of its own
  uid_t uid = ::getuid();
  gid_t gid = ::getgid();
  Plan plan = plan_mapping(uid, gid);

  Entering entering(Kind::rootless);
  entering.m_pending = std::make_unique<Pending>();
  Pending& p = *entering.m_pending;
  std::error_code ec;
  p.cwd = std::filesystem::current_path(ec).string();
  p.cwd_fd.reset(::open(".", O_PATH | O_DIRECTORY | O_CLOEXEC));
  // CLONE_VM: nothing of cove's is copied for a process that only waits. SIGCHLD: reaped as a
  // child. Both namespaces are taken from it, as one unshare(CLONE_NEWUSER | CLONE_NEWNS) would
  // make them.
  pid_t pid = ::clone(hold_namespaces, p.stack.get() + Pending::stack_size,
                      CLONE_VM | CLONE_NEWUSER | CLONE_NEWNS | SIGCHLD, &p.parent);
  if (pid < 0)
    throw_clone_error(errno);
  p.placeholder = pid;
  p.user_ns = open_namespace(pid, "user");
  p.mount_ns = open_namespace(pid, "mnt");
  if (plan.use_helpers)
    p.helpers.emplace(start_map_helpers(pid, plan.mapping));
  else
    write_single_mapping(pid, uid, gid);
  return entering;
}

void Entering::finish() {
  switch (std::exchange(m_kind, Kind::done)) {
  case Kind::done:
    return;
  case Kind::inside:
    make_mounts_private();
    return;
  case Kind::real_root:
    util::check(::unshare(CLONE_NEWNS), "create a mount namespace (unshare CLONE_NEWNS)");
    make_mounts_private();
    mark_inside();
    return;
  case Kind::rootless:
    break;
  }
  Pending& p = *m_pending;
  if (p.helpers)
    p.helpers->finish();
  p.end_placeholder(); // the descriptors keep its namespaces
  util::check(::setns(p.user_ns.get(), CLONE_NEWUSER), "join cove's new user namespace");
  util::check(::setns(p.mount_ns.get(), CLONE_NEWNS), "join cove's new mount namespace");
  // Joining a mount namespace moves the working directory to its root.
  if ((p.cwd.empty() || ::chdir(p.cwd.c_str()) < 0) && p.cwd_fd &&
      ::fchdir(p.cwd_fd.get()) < 0)
    util::throw_errno(util::cat("return to the working directory ", util::quote(p.cwd)));
  m_pending.reset();
  if (::setresgid(0, 0, 0) < 0 || ::setresuid(0, 0, 0) < 0)
    util::throw_errno("become root in the user namespace (setresuid 0)");
  mark_inside();
  make_mounts_private();
}

} // namespace userns
