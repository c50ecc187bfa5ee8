#include "runtime/child.hpp"

#include "runtime/confined.hpp"
#include "runtime/exit_status.hpp"
#include "runtime/loopback.hpp"
#include "runtime/mount_apply.hpp"
#include "runtime/sync_channel.hpp"
#include "util/fixed_text.hpp"
#include "net/outbound_relay.hpp"
#include "net/socket_filter.hpp"

#include <fcntl.h>
#include <linux/close_range.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

extern char** environ;

namespace runtime {

namespace {

[[noreturn]] void fail(int sync_fd, int err, ChildStage stage, const char* what) noexcept {
  child_report(sync_fd, err, stage, what);
  ::_exit(exit_tool_error);
}

[[noreturn]] void fail_path(int sync_fd, int err, ChildStage stage, const char* prefix,
                            const char* path) noexcept {
  child_report_path(sync_fd, err, stage, prefix, path);
  ::_exit(exit_tool_error);
}

// The parent blocked every signal around clone() and may ignore some; the command must start
// with a clean slate, as after a fresh fork+exec from a shell.
void reset_signals() noexcept {
  struct sigaction action{};
  action.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig) {
    if (sig != SIGKILL && sig != SIGSTOP)
      ::sigaction(sig, &action, nullptr); // glibc-internal signals fail with EINVAL: harmless
  }
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
}

// pivot_root(".", ".") stacks the old root under the new one at the same place; detaching "."
// then drops the old root without needing a put_old directory inside the image (crun, bwrap).
void pivot(const ChildPlan& plan, int sync_fd) noexcept {
  if (::chdir(plan.rootfs.c_str()) < 0)
    fail_path(sync_fd, errno, ChildStage::pivot, "chdir", plan.rootfs.c_str());
  if (::syscall(SYS_pivot_root, ".", ".") < 0)
    fail_path(sync_fd, errno, ChildStage::pivot, "pivot_root", plan.rootfs.c_str());
  if (::umount2(".", MNT_DETACH) < 0)
    fail(sync_fd, errno, ChildStage::pivot, "detach the old root");
  if (::chdir("/") < 0)
    fail(sync_fd, errno, ChildStage::pivot, "chdir \"/\"");
}

// A new session with `tty` as its controlling terminal and as fds 0, 1 and 2.
void take_terminal(int tty, int sync_fd) noexcept {
  if (::setsid() < 0)
    fail(sync_fd, errno, ChildStage::terminal, "setsid");
  if (::ioctl(tty, TIOCSCTTY, 0) < 0)
    fail(sync_fd, errno, ChildStage::terminal, "make the pty the controlling terminal");
  for (int fd = 0; fd <= 2; ++fd) {
    if (::dup2(tty, fd) < 0)
      fail(sync_fd, errno, ChildStage::terminal, "dup2 the pty onto stdio");
  }
}

// "/dev/pts/<n>" into buf.
const char* pts_path(char (&buf)[32], unsigned n) noexcept {
  util::append_decimal(buf, util::append_text(buf, 0, sizeof buf, "/dev/pts/"), sizeof buf, n);
  return buf;
}

// Runs after pivot_root, so "/dev/pts/ptmx" is the container's devpts (newinstance): the pty
// is numbered from 0 there and invisible to the host's /dev/pts. TIOCGPTPEER opens the slave
// through the master instead of by path, so nothing in the image can redirect it.
void setup_console(const ChildPlan& plan, int sync_fd) noexcept {
  int master = ::open("/dev/pts/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0)
    fail(sync_fd, errno, ChildStage::terminal, "open \"/dev/pts/ptmx\"");
  int unlock = 0;
  unsigned number = 0;
  if (::ioctl(master, TIOCSPTLCK, &unlock) < 0 || ::ioctl(master, TIOCGPTN, &number) < 0)
    fail(sync_fd, errno, ChildStage::terminal, "unlock the container's pty");
  if (plan.console_size.ws_row != 0 || plan.console_size.ws_col != 0)
    ::ioctl(master, TIOCSWINSZ, &plan.console_size);
  int slave = ::ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (slave < 0)
    fail(sync_fd, errno, ChildStage::terminal, "open the container's pty slave");
  // The command's user owns its terminal, as with Docker; an unmapped uid is reported by the
  // user switch that follows, with a better message than fchown's EINVAL.
  if (::fchown(slave, plan.uid, static_cast<gid_t>(-1)) < 0 && errno != EINVAL)
    fail(sync_fd, errno, ChildStage::terminal, "chown the container's pty");
  char path[32];
  pts_path(path, number);
  int console = ::open("/dev/console", O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (console < 0)
    fail(sync_fd, errno, ChildStage::terminal, "create \"/dev/console\"");
  ::close(console);
  if (::mount(path, "/dev/console", nullptr, MS_BIND, nullptr) < 0)
    fail_path(sync_fd, errno, ChildStage::terminal, "bind the pty on", "/dev/console");
  take_terminal(slave, sync_fd);
  if (slave > 2)
    ::close(slave);
  if (!child_send_console(sync_fd, master))
    fail(sync_fd, errno, ChildStage::terminal, "pass the pty to cove");
  ::close(master);
}

void setup_stdio(const ChildPlan& plan, int sync_fd) noexcept {
  if (plan.console) {
    setup_console(plan, sync_fd);
  } else if (plan.tty_fd >= 0) {
    take_terminal(plan.tty_fd, sync_fd);
  } else if (plan.stdin_fd >= 0 && ::dup2(plan.stdin_fd, 0) < 0) {
    fail(sync_fd, errno, ChildStage::terminal, "dup2 stdin");
  }
  if (plan.stdout_fd >= 0 && ::dup2(plan.stdout_fd, 1) < 0)
    fail(sync_fd, errno, ChildStage::terminal, "dup2 stdout");
  if (plan.stderr_fd >= 0 && ::dup2(plan.stderr_fd, 2) < 0)
    fail(sync_fd, errno, ChildStage::terminal, "dup2 stderr");
}

// Raw syscalls: glibc's set*id wrappers signal every thread the parent had, and after a raw
// clone() those threads do not exist in this process.
void switch_user(const ChildPlan& plan, int sync_fd) noexcept {
  if (plan.set_groups &&
      ::syscall(SYS_setgroups, plan.groups.size(), plan.groups.data()) < 0)
    fail(sync_fd, errno, ChildStage::user, "setgroups");
  if (::syscall(SYS_setresgid, plan.gid, plan.gid, plan.gid) < 0)
    fail(sync_fd, errno, ChildStage::user, "setresgid");
  if (::syscall(SYS_setresuid, plan.uid, plan.uid, plan.uid) < 0)
    fail(sync_fd, errno, ChildStage::user, "setresuid");
  // A credential change clears the parent-death signal; set it again.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
}

// Docker creates a missing WorkingDir (as root) when the container starts.
void make_cwd(const ChildPlan& plan, int sync_fd) noexcept {
  int root = ::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  int rc = root < 0 ? -errno : make_dirs_in_root(root, plan.cwd.c_str(), 0755);
  if (root >= 0)
    ::close(root);
  if (rc < 0)
    fail_path(sync_fd, -rc, ChildStage::cwd, "create working directory", plan.cwd.c_str());
}

// slirp4netns configures tap0 in well under a second; this only bounds a hung helper.
constexpr int network_ready_timeout_ms = 10000;

// Reads the network helper's ready byte (see ChildPlan::network_ready_fd).
void wait_network_ready(const ChildPlan& plan, int sync_fd) noexcept {
  if (plan.network_ready_fd < 0)
    return;
  pollfd pfd{plan.network_ready_fd, POLLIN, 0};
  int rc;
  while ((rc = ::poll(&pfd, 1, network_ready_timeout_ms)) < 0 && errno == EINTR) {
  }
  if (rc <= 0)
    fail(sync_fd, rc == 0 ? ETIMEDOUT : errno, ChildStage::setup,
         "wait for the network helper to be ready");
  char byte;
  ssize_t n;
  while ((n = ::read(plan.network_ready_fd, &byte, 1)) < 0 && errno == EINTR) {
  }
  if (n != 1)
    fail(sync_fd, n == 0 ? EPIPE : errno, ChildStage::setup,
         "wait for the network helper to be ready (it exited)");
}

// Installed while the child still holds CAP_SYS_ADMIN in its user namespace (no no_new_privs
// needed, so setuid programs in the image keep working); from here on the child itself must not
// call connect or bind, which would wait for a supervisor that reads only after the exec.
void intercept_sockets(const ChildPlan& plan, int sync_fd) noexcept {
  if (!plan.intercept_sockets)
    return;
  int relay = -1;
  if (plan.socket_filter.relay) {
    relay = net::make_relay_listener(); // before the filter, which would catch its bind
    if (relay < 0)
      return; // no loopback: the container's sockets stay its own
  }
  int listener = net::install_socket_filter(plan.socket_filter);
  if (listener < 0) {
    if (relay >= 0)
      ::close(relay);
    return; // no seccomp notifications here: the container's sockets stay its own
  }
  if (relay >= 0 && !child_send_relay_listener(sync_fd, relay))
    fail(sync_fd, errno, ChildStage::setup, "pass the outbound relay's socket to cove");
  if (!child_send_socket_listener(sync_fd, listener))
    fail(sync_fd, errno, ChildStage::setup, "pass the socket filter's listener to cove");
  ::close(listener);
  if (relay >= 0)
    ::close(relay);
}

[[noreturn]] void exec(ExecArrays& exec_arrays, int sync_fd) noexcept {
  // Nothing of cove's may leak into the container; the sync socket closes on success.
  ::syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC);
  // glibc's execvpe searches the caller's PATH, so the container's environment must be current.
  environ = exec_arrays.envp.data();
  const char* file = exec_arrays.argv[0];
  ::execvpe(file, exec_arrays.argv.data(), exec_arrays.envp.data());
  int err = errno;
  child_report(sync_fd, err, ChildStage::exec, file);
  ::_exit(err == ENOENT || err == ENOTDIR ? exit_not_found : exit_cannot_invoke);
}

} // namespace

ExecArrays make_exec_arrays(ChildPlan& plan) {
  ExecArrays arrays;
  for (std::string& arg : plan.args)
    arrays.argv.push_back(arg.data());
  arrays.argv.push_back(nullptr);
  for (std::string& entry : plan.env)
    arrays.envp.push_back(entry.data());
  arrays.envp.push_back(nullptr);
  return arrays;
}

void child_main(const ChildPlan& plan, ExecArrays& exec_arrays, int sync_fd) noexcept {
  // If cove dies, so does the container; a parent already gone shows as EOF on the channel.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  reset_signals();
  if (!child_wait_go(sync_fd))
    ::_exit(exit_tool_error);
  if (plan.netns_fd >= 0 && ::setns(plan.netns_fd, CLONE_NEWNET) < 0)
    fail(sync_fd, errno, ChildStage::setup, "join the container's network namespace");
  if (!plan.hostname.empty() && ::sethostname(plan.hostname.data(), plan.hostname.size()) < 0)
    fail(sync_fd, errno, ChildStage::setup, "sethostname");
  if (plan.loopback_up) {
    if (int err = bring_loopback_up(); err != 0)
      fail(sync_fd, err, ChildStage::setup, "bring up the loopback interface");
  }
  if (!apply_mount_plan(plan.mounts, sync_fd))
    ::_exit(exit_tool_error);
  pivot(plan, sync_fd);
  setup_stdio(plan, sync_fd);
  make_cwd(plan, sync_fd);
  intercept_sockets(plan, sync_fd);
  for (const Ulimit& u : plan.ulimits) {
    rlimit value{u.soft, u.hard};
    if (::setrlimit(u.resource, &value) < 0)
      fail_path(sync_fd, errno, ChildStage::setup, "set the ulimit", u.name.c_str());
  }
  switch_user(plan, sync_fd);
  if (::chdir(plan.cwd.c_str()) < 0)
    fail_path(sync_fd, errno, ChildStage::cwd, "chdir", plan.cwd.c_str());
  wait_network_ready(plan, sync_fd);
  exec(exec_arrays, sync_fd);
}

} // namespace runtime
