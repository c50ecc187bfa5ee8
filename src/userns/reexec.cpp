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
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

extern char** environ;

namespace userns {

namespace {

constexpr const char* marker = "COVE_USERNS";
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
    hint = "unprivileged user namespaces are disabled: set sysctl kernel.unprivileged_userns_clone=1";
  else if (err == EPERM && read_sysctl("/proc/sys/kernel/apparmor_restrict_unprivileged_userns") == "1")
    hint = "AppArmor restricts unprivileged user namespaces: set sysctl "
           "kernel.apparmor_restrict_unprivileged_userns=0";
  else if (err == EPERM)
    hint = "user namespaces are not permitted here (a seccomp filter or container runtime may block them)";
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
    util::log::warning(*problem, ": ", consequence);
    return {IdMapping::single(uid, gid), false};
  }
  return {IdMapping::default_rootless(uid, gid, subuids, subgids), true};
}

// The environment of the re-executed cove: ours plus the marker.
std::vector<std::string> child_environment() {
  std::vector<std::string> env;
  const std::string prefix = util::cat(marker, '=');
  for (char** e = environ; *e != nullptr; ++e) {
    if (std::strncmp(*e, prefix.c_str(), prefix.size()) != 0)
      env.emplace_back(*e);
  }
  env.push_back(prefix + "1");
  return env;
}

void write_message(const char* text) noexcept {
  ssize_t ignored = ::write(STDERR_FILENO, text, std::strlen(text));
  (void)ignored;
}

// The cloned child: waits until the parent has written the maps, becomes root of the namespace
// and re-executes cove. Only async-signal-safe calls: it shares nothing with the parent, but the
// parent's heap may be in any state.
[[noreturn]] void child_main(int ready_fd, pid_t parent, const sigset_t& old_mask, char** argv,
                             char** envp) noexcept {
  char go = 0;
  ssize_t n;
  while ((n = ::read(ready_fd, &go, 1)) < 0 && errno == EINTR) {
  }
  if (n != 1)
    ::_exit(125); // the parent failed and reports why
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
  ::execve("/proc/self/exe", argv, envp);
  write_message("cove: error: re-execute /proc/self/exe in the user namespace failed\n");
  ::_exit(125);
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

[[noreturn]] void enter_rootless(char** argv) {
  uid_t uid = ::getuid();
  gid_t gid = ::getgid();
  Plan plan = plan_mapping(uid, gid);

  std::vector<std::string> env_store = child_environment();
  std::vector<char*> envp;
  for (std::string& e : env_store)
    envp.push_back(e.data());
  envp.push_back(nullptr);

  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) < 0)
    util::throw_errno("create the user namespace handshake pipe");
  util::UniqueFd ready_read(fds[0]);
  util::UniqueFd ready_write(fds[1]);

  // Block before clone so no forwarded signal is lost between clone and the wait loop; the
  // child restores the old mask before exec.
  sigset_t waited, old_mask;
  sigemptyset(&waited);
  for (int sig : forwarded_signals)
    sigaddset(&waited, sig);
  sigaddset(&waited, SIGCHLD);
  ::signal(SIGCHLD, SIG_DFL); // SIG_IGN would auto-reap and lose the exit status
  ::sigprocmask(SIG_BLOCK, &waited, &old_mask);
  std::fflush(nullptr); // buffered output would otherwise be written twice

  pid_t parent = ::getpid();
  // A raw clone without a stack is a fork into new namespaces in one step; glibc's fork() has
  // no flags argument and unshare(CLONE_NEWUSER) afterwards would need a second handshake.
  long pid = ::syscall(SYS_clone, CLONE_NEWUSER | CLONE_NEWNS | SIGCHLD, nullptr, nullptr,
                       nullptr, nullptr);
  if (pid == 0) {
    ready_write.reset();
    child_main(ready_read.get(), parent, old_mask, argv, envp.data());
  }
  if (pid < 0) {
    int err = errno;
    ::sigprocmask(SIG_SETMASK, &old_mask, nullptr);
    throw_clone_error(err);
  }
  ready_read.reset();
  auto child = static_cast<pid_t>(pid);
  try {
    if (plan.use_helpers)
      write_maps_with_helpers(child, plan.mapping);
    else
      write_single_mapping(child, uid, gid);
  } catch (...) {
    ::kill(child, SIGKILL);
    ::waitpid(child, nullptr, 0);
    ::sigprocmask(SIG_SETMASK, &old_mask, nullptr);
    util::rethrow_with_context("set up the user namespace");
  }
  char go = 1;
  if (::write(ready_write.get(), &go, 1) != 1)
    util::throw_errno("release the user namespace child");
  ready_write.reset();
  proxy_until_exit(child, waited);
}

} // namespace

void ensure_in_userns(int argc, char** argv) {
  (void)argc; // argv is NULL-terminated, which is what execve needs
  const char* inside = std::getenv(marker);
  if (inside != nullptr && std::strcmp(inside, "1") == 0) {
    make_mounts_private();
    return;
  }
  if (::getuid() == 0) {
    // Real root needs no user namespace, only a mount namespace of its own.
    util::check(::unshare(CLONE_NEWNS), "create a mount namespace (unshare CLONE_NEWNS)");
    make_mounts_private();
    ::setenv(marker, "1", 1);
    return;
  }
  enter_rootless(argv);
}

IdMapping current_mapping() {
  return {parse_proc_map(util::read_file("/proc/self/uid_map")),
          parse_proc_map(util::read_file("/proc/self/gid_map"))};
}

bool single_id_mapping() {
  return current_mapping().uid_count() == 1;
}

} // namespace userns
