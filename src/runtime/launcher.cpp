#include "runtime/launcher.hpp"

#include "runtime/sync_channel.hpp"
#include "util/error.hpp"
#include "util/log.hpp"
#include "util/strings.hpp"

#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

extern char** environ;

namespace runtime {

ContainerProcess::ContainerProcess(ContainerProcess&& other) noexcept
    : m_pid(std::exchange(other.m_pid, -1)), m_pidfd(std::move(other.m_pidfd)),
      m_reaped(other.m_reaped), m_console(std::move(other.m_console)),
      m_socket_listener(std::move(other.m_socket_listener)),
      m_relay_listener(std::move(other.m_relay_listener)) {}

ContainerProcess::~ContainerProcess() {
  if (m_pid <= 0 || m_reaped)
    return;
  signal(SIGKILL);
  int status;
  while (::waitpid(m_pid, &status, 0) < 0 && errno == EINTR) {
  }
}

void ContainerProcess::signal(int sig) const noexcept {
  if (m_pid > 0 && !m_reaped)
    ::syscall(SYS_pidfd_send_signal, m_pidfd.get(), sig, nullptr, 0);
}

int ContainerProcess::wait() {
  int status = 0;
  while (::waitpid(m_pid, &status, 0) < 0) {
    if (errno != EINTR)
      util::throw_errno(util::cat("wait for container process ", m_pid));
  }
  m_reaped = true;
  return status;
}

std::optional<int> ContainerProcess::try_wait() {
  int status = 0;
  pid_t rc;
  while ((rc = ::waitpid(m_pid, &status, WNOHANG)) < 0) {
    if (errno != EINTR)
      util::throw_errno(util::cat("wait for container process ", m_pid));
  }
  if (rc == 0)
    return std::nullopt;
  m_reaped = true;
  return status;
}

namespace {

// The message the user sees when the command cannot be run (Docker's wording).
std::string exec_failure_message(const ChildReport& report) {
  if (report.error == ENOENT && report.what.find('/') == std::string::npos)
    return util::cat("executable file `", report.what, "` not found in $PATH");
  if (report.error == EACCES)
    return util::cat("exec ", util::quote(report.what), ": permission denied");
  return util::cat("exec ", util::quote(report.what), ": ", std::strerror(report.error));
}

// How the child shares cove's memory until it execs.
enum class CloneMode {
  // fork semantics: a copy of cove's address space; the parent runs on (after_clone) while the
  // child waits for "go".
  copy,
  // posix_spawn's: the child runs in cove's own address space on a stack of its own while cove
  // is suspended (CLONE_VM | CLONE_VFORK) until the child has exec'd or exited. No page tables
  // are copied and no second address space exists; usable when the parent has nothing to do
  // between clone and exec ("go" is queued before the clone).
  spawn,
};

struct ChildArgs {
  ChildPlan* plan;
  ExecArrays* exec;
  int sync_fd;
};

int spawn_child_entry(void* arg) {
  auto* args = static_cast<ChildArgs*>(arg);
  // Nothing of the parent's objects may be written here (the memory is cove's): the parent's
  // end of the channel closes with the exec (CLOEXEC).
  child_main(*args->plan, *args->exec, args->sync_fd);
}

// The child's stack in spawn mode: mapped, not committed (the child touches a few pages).
class ChildStack {
public:
  static constexpr std::size_t size = 512 * 1024;
  ChildStack() {
    m_base = ::mmap(nullptr, size, PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK | MAP_NORESERVE, -1, 0);
    if (m_base == MAP_FAILED)
      util::throw_errno("map a stack for the container process");
  }
  ChildStack(const ChildStack&) = delete;
  ChildStack& operator=(const ChildStack&) = delete;
  ~ChildStack() { ::munmap(m_base, size); }
  void* top() const noexcept { return static_cast<char*>(m_base) + size; }

private:
  void* m_base;
};

// clone() with namespace flags and a pidfd. All signals are blocked across it so no handler runs
// in the child before it resets them.
ContainerProcess clone_child(ChildPlan& plan, ExecArrays& exec, SyncChannel& channel,
                             unsigned long flags, CloneMode mode) {
  std::optional<ChildStack> stack;
  if (mode == CloneMode::spawn)
    stack.emplace();
  ChildArgs args{&plan, &exec, channel.child_fd()};
  char** environment = environ; // the child points environ at the container's (for execvpe)
  sigset_t all;
  sigset_t old;
  sigfillset(&all);
  ::pthread_sigmask(SIG_SETMASK, &all, &old);
  int pidfd = -1;
  long pid;
  if (mode == CloneMode::spawn) {
    pid = ::clone(spawn_child_entry, stack->top(),
                  static_cast<int>(flags | CLONE_VM | CLONE_VFORK | CLONE_PIDFD | SIGCHLD), &args,
                  &pidfd);
  } else {
    pid = ::syscall(SYS_clone, flags | CLONE_PIDFD | SIGCHLD, nullptr, &pidfd, nullptr, nullptr);
    if (pid == 0) {
      channel.close_parent_end();
      child_main(plan, exec, channel.child_fd());
    }
  }
  int err = errno;
  environ = environment;
  ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
  if (pid < 0)
    util::throw_errno(err, "clone the container process");
  return ContainerProcess(static_cast<pid_t>(pid), util::UniqueFd(pidfd));
}

} // namespace

ContainerProcess Launcher::start(ChildPlan& plan, NetworkNamespace network,
                                 const AfterClone& after_clone) {
  unsigned long flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC;
  if (network == NetworkNamespace::private_ && plan.netns_fd < 0)
    flags |= CLONE_NEWNET;
  ExecArrays exec = make_exec_arrays(plan);
  SyncChannel channel;
  const CloneMode mode = after_clone ? CloneMode::copy : CloneMode::spawn;
  if (mode == CloneMode::spawn)
    channel.send_go();
  ContainerProcess process = clone_child(plan, exec, channel, flags, mode);
  channel.close_child_end();
  LOG_DEBUG("started container process ", process.pid());
  if (mode == CloneMode::copy) {
    if (after_clone)
      after_clone(process.pid());
    channel.send_go();
  }
  std::optional<ChildReport> report = channel.wait_exec();
  util::UniqueFd console = channel.take_console();
  if (!report && plan.console && !console)
    throw util::Error("start container: the container process did not pass its terminal");
  process.set_console(std::move(console));
  process.set_socket_listener(channel.take_socket_listener(), channel.take_relay_listener());
  if (!report)
    return process;
  if (report->stage == ChildStage::exec) {
    util::log::error(exec_failure_message(*report));
    return process;
  }
  std::string what = util::cat("start container: ", report->what);
  if (report->stage == ChildStage::user && report->error == EINVAL)
    what += util::cat(" (user ", plan.uid, ":", plan.gid, " is not mapped in cove's user namespace)");
  throw util::SystemError(report->error, what);
}

} // namespace runtime
