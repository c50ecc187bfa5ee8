#include "runtime/exec.hpp"

#include "runtime/exit_status.hpp"
#include "runtime/foreground.hpp"
#include "runtime/launcher.hpp"
#include "runtime/pty_keeper.hpp"
#include "runtime/signals.hpp"
#include "runtime/spec.hpp"
#include "runtime/terminal.hpp"
#include "runtime/user.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/fs.hpp"
#include "util/strings.hpp"

#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>

extern char** environ;

namespace runtime {

namespace {

ino_t namespace_inode(const std::string& path) {
  struct stat st{};
  if (::stat(path.c_str(), &st) < 0)
    util::throw_errno(util::cat("stat ", util::quote(path)));
  return st.st_ino;
}

// Joins every namespace of `id` in one setns(2) on its pidfd, the user namespace first as the
// kernel orders them. The user namespace is left out when it is already ours (real root), as
// re-entering one's own user namespace is refused.
void join_namespaces(const ProcessId& id, const std::string& name) {
  int fd = static_cast<int>(::syscall(SYS_pidfd_open, id.pid, 0));
  util::UniqueFd pidfd(fd);
  if (!pidfd || !is_alive(id))
    throw util::Error(util::cat("container ", name, " is not running"));
  int flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET;
  if (namespace_inode(util::cat("/proc/", id.pid, "/ns/user")) != namespace_inode("/proc/self/ns/user"))
    flags |= CLONE_NEWUSER;
  if (::setns(pidfd.get(), flags) < 0)
    util::throw_errno(util::cat("join the namespaces of container ", name));
}

// The container's environment, then -e entries (later wins), HOME from passwd if unset.
std::vector<std::string> exec_env(const ContainerSpec& spec, const ExecRequest& request,
                                  const ResolvedUser& user) {
  std::vector<std::string> env = spec.env;
  auto set = [&env](const std::string& entry) {
    std::string key = entry.substr(0, entry.find('='));
    std::erase_if(env, [&key](const std::string& e) { return e.substr(0, e.find('=')) == key; });
    env.push_back(entry);
  };
  if (request.tty)
    set("TERM=xterm");
  auto lookup = [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    return value ? std::optional<std::string>(value) : std::nullopt;
  };
  for (size_t i = 0; i < request.env_files.size(); ++i)
    for (const std::string& entry : env_file_entries(request.env_files[i], lookup, i))
      set(entry);
  for (const std::string& entry : request.env) {
    if (entry.find('=') != std::string::npos) {
      set(entry);
    } else if (const char* value = std::getenv(entry.c_str())) {
      set(entry + "=" + value);
    }
  }
  bool has_home = std::any_of(env.begin(), env.end(),
                              [](const std::string& e) { return e.rfind("HOME=", 0) == 0; });
  if (!has_home)
    env.push_back("HOME=" + user.home);
  return env;
}

struct ExecPlan {
  ResolvedUser user;
  std::string cwd;
  std::vector<std::string> args;
  std::vector<std::string> env;
  std::vector<Ulimit> ulimits;   // the container's --ulimit, as runc gives exec'd processes
  bool set_groups = true;
  int tty_fd = -1;
  int stdin_fd = -1;
  int null_fd = -1;              // -d: stdio on this, in a session of its own
  int error_fd = STDERR_FILENO;  // where the child reports why it could not execute
  int report_fd = -1;            // -d: gets a byte when the child fails before execve
};

// Reports a failure before execve to a waiting `exec -d` and exits.
[[noreturn]] void fail_exec(const ExecPlan& plan, int code) noexcept {
  if (plan.report_fd >= 0) {
    ssize_t ignored = ::write(plan.report_fd, "x", 1);
    (void)ignored;
  }
  ::_exit(code);
}

// After fork, in the container's pid namespace: become the user, and execute. Never returns.
[[noreturn]] void exec_child(const ExecPlan& plan) noexcept {
  if (plan.tty_fd >= 0) {
    ::setsid();
    ::ioctl(plan.tty_fd, TIOCSCTTY, 0);
    for (int target = 0; target < 3; ++target)
      ::dup2(plan.tty_fd, target);
  } else if (plan.null_fd >= 0) {
    ::setsid();
    for (int target = 0; target < 3; ++target)
      ::dup2(plan.null_fd, target);
  } else if (plan.stdin_fd >= 0) {
    ::dup2(plan.stdin_fd, STDIN_FILENO);
  }
  for (const Ulimit& u : plan.ulimits) {
    rlimit value{u.soft, u.hard};
    if (::setrlimit(u.resource, &value) < 0) {
      ::dprintf(plan.error_fd, "cove: error: exec: set the ulimit %s: %s\n", u.name.c_str(),
                std::strerror(errno));
      fail_exec(plan, exit_tool_error);
    }
  }
  if ((plan.set_groups &&
       ::setgroups(plan.user.groups.size(), plan.user.groups.data()) < 0) ||
      ::setresgid(plan.user.gid, plan.user.gid, plan.user.gid) < 0 ||
      ::setresuid(plan.user.uid, plan.user.uid, plan.user.uid) < 0) {
    ::dprintf(plan.error_fd, "cove: error: exec: switch to user %u:%u: %s\n", plan.user.uid,
              plan.user.gid, std::strerror(errno));
    fail_exec(plan, exit_tool_error);
  }
  if (::chdir(plan.cwd.c_str()) < 0) {
    ::dprintf(plan.error_fd, "cove: error: exec: working directory \"%s\": %s\n",
              plan.cwd.c_str(), std::strerror(errno));
    fail_exec(plan, exit_tool_error);
  }
  std::vector<char*> argv;
  for (const std::string& a : plan.args)
    argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (const std::string& e : plan.env)
    envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  environ = envp.data(); // execvp searches the container's PATH
  ::execvp(argv[0], argv.data());
  int err = errno;
  if (err == ENOENT && plan.args[0].find('/') == std::string::npos)
    ::dprintf(plan.error_fd, "cove: error: executable file `%s` not found in $PATH\n", argv[0]);
  else
    ::dprintf(plan.error_fd, "cove: error: exec \"%s\": %s\n", argv[0], std::strerror(err));
  fail_exec(plan, err == ENOENT ? exit_not_found : exit_cannot_invoke);
}

// exec -d: starts the command with its stdio on /dev/null and returns once it executes (0) or
// failed to (its exit code, after the child printed why on cove's stderr).
int start_detached(ExecPlan& plan) {
  util::UniqueFd null_fd(::open("/dev/null", O_RDWR | O_CLOEXEC));
  util::UniqueFd error_fd(::fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3));
  int fds[2];
  if (!null_fd || !error_fd || ::pipe2(fds, O_CLOEXEC) < 0)
    util::throw_errno("exec -d: prepare the command's stdio");
  util::UniqueFd report_read(fds[0]), report_write(fds[1]);
  plan.null_fd = null_fd.get();
  plan.error_fd = error_fd.get();
  plan.report_fd = report_write.get();
  std::cout << std::flush;
  pid_t pid = ::fork();
  if (pid < 0)
    util::throw_errno("fork the exec process");
  if (pid == 0)
    exec_child(plan);
  report_write.reset();
  char byte;
  ssize_t n;
  while ((n = ::read(report_read.get(), &byte, 1)) < 0 && errno == EINTR) {
  }
  if (n <= 0)
    return 0; // closed by execve: the command runs; the container's init inherits it
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return exit_code(status);
}

} // namespace

int exec_in_container(const storage::ContainerRecord& record, const ContainerState& state,
                      const ExecRequest& request) {
  if (request.command.empty())
    throw util::Error("exec: a command is required");
  if (request.detach && (request.tty || request.interactive))
    throw util::Error("exec: -d cannot be combined with -i or -t");
  if (state.status != Status::running)
    throw util::Error(util::cat("container ", record.name, " is not running"));
  // The new process would not be in the container's freezer cgroup and would run beside its
  // frozen ones; Docker and podman refuse instead.
  if (state.paused)
    throw util::Error(util::cat("container ", record.name,
                                " is paused, unpause the container before exec"));
  ContainerSpec spec = ContainerSpec::from_json(record.spec);
  // Read before joining: the container's /proc does not show this process (not in its pid ns).
  std::optional<std::string> setgroups =
      util::read_file_if_exists(util::cat("/proc/", state.process.pid, "/setgroups"));
  join_namespaces(state.process, record.name);
  ExecPlan plan;
  plan.user = resolve_user(request.user.empty() ? spec.user : request.user,
                           util::read_file_if_exists("/etc/passwd").value_or(""),
                           util::read_file_if_exists("/etc/group").value_or(""));
  plan.cwd = request.workdir.empty() ? spec.cwd : request.workdir;
  plan.args = request.command;
  plan.env = exec_env(spec, request, plan.user);
  plan.ulimits = spec.ulimits;
  plan.set_groups = !setgroups || util::trim(*setgroups) != "deny";
  if (request.detach)
    return start_detached(plan);
  std::optional<Pty> pty;
  if (request.tty)
    pty.emplace(Pty::open(own_terminal())); // the container's /dev/ptmx: we are in its mounts
  util::UniqueFd null_stdin;
  if (!pty && !request.interactive) {
    null_stdin.reset(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    plan.stdin_fd = null_stdin.get();
  }
  plan.tty_fd = pty ? pty->slave() : -1;
  SignalFd signals({SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH});
  std::cout << std::flush;
  pid_t pid = ::fork();
  if (pid < 0)
    util::throw_errno("fork the exec process");
  if (pid == 0) {
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    exec_child(plan);
  }
  ContainerProcess process(pid, util::UniqueFd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0))));
  null_stdin.reset();
  ForegroundIo io;
  io.terminal = own_terminal();
  std::optional<RawMode> raw;
  DetachScanner detach(request.detach_keys);
  if (pty) {
    pty->close_slave();
    io.pty = &*pty;
    io.forward_stdin = request.interactive;
    io.detach = request.detach_keys.enabled() ? &detach : nullptr;
    if (request.interactive)
      raw.emplace(STDIN_FILENO);
  }
  std::optional<int> status = wait_foreground(process, signals, io);
  if (status)
    return exit_code(*status);
  keep_pty_open(pty->master());
  process.disown();
  return 0;
}

} // namespace runtime
