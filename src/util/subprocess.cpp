#include "util/subprocess.hpp"

#include "util/error.hpp"
#include "util/log.hpp"
#include "util/strings.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>

extern char** environ;

namespace util {

std::optional<std::string> find_program(std::string_view name) {
  static std::mutex mutex;
  static std::map<std::string, std::optional<std::string>, std::less<>> cache;
  std::lock_guard lock(mutex);
  if (auto it = cache.find(name); it != cache.end())
    return it->second;
  std::optional<std::string> found;
  if (name.find('/') != std::string_view::npos) {
    if (::access(std::string(name).c_str(), X_OK) == 0)
      found = std::string(name);
  } else {
    const char* path_env = std::getenv("PATH");
    std::string path = path_env != nullptr && *path_env != '\0'
                           ? path_env
                           : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    for (const std::string& dir : split(path, ':')) {
      std::string candidate = cat(dir.empty() ? "." : dir, '/', name);
      struct stat st{};
      if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
          ::access(candidate.c_str(), X_OK) == 0) {
        found = candidate;
        break;
      }
    }
  }
  cache.emplace(std::string(name), found);
  return found;
}

namespace {

struct SpawnActions {
  posix_spawn_file_actions_t actions{};
  posix_spawnattr_t attr{};
  SpawnActions() {
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_init(&attr);
  }
  ~SpawnActions() {
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
  }
};

void make_pipe(int fds[2], const std::string& what) {
  if (::pipe2(fds, O_CLOEXEC) < 0)
    throw_errno(cat("create pipe for ", what));
}

} // namespace

Subprocess Subprocess::spawn(const std::vector<std::string>& argv, const Options& options) {
  if (argv.empty())
    throw Error("spawn: empty command");
  Subprocess proc;
  proc.m_argv = argv;
  auto program = find_program(argv[0]);
  if (!program)
    throw SystemError(ENOENT, cat("run ", quote(argv[0]), ": not found on PATH"));

  SpawnActions sa;
  int out_pipe[2] = {-1, -1};
  int err_pipe[2] = {-1, -1};
  if (options.capture_stdout) {
    make_pipe(out_pipe, argv[0]);
    posix_spawn_file_actions_adddup2(&sa.actions, out_pipe[1], STDOUT_FILENO);
  }
  if (options.capture_stderr) {
    make_pipe(err_pipe, argv[0]);
    posix_spawn_file_actions_adddup2(&sa.actions, err_pipe[1], STDERR_FILENO);
  }
  if (!options.output_file.empty()) {
    if (options.capture_stdout || options.capture_stderr)
      throw Error(cat("spawn ", quote(argv[0]), ": an output file and captured output exclude "
                      "each other"));
    posix_spawn_file_actions_addopen(&sa.actions, STDOUT_FILENO, options.output_file.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_adddup2(&sa.actions, STDOUT_FILENO, STDERR_FILENO);
  }
  if (options.null_stdin)
    posix_spawn_file_actions_addopen(&sa.actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  for (int fd : options.keep_fds)
    posix_spawn_file_actions_adddup2(&sa.actions, fd, fd); // clears FD_CLOEXEC (POSIX 2018)

  // The helper starts with default signal dispositions and an empty mask, whatever ours are.
  sigset_t all, none;
  sigfillset(&all);
  sigemptyset(&none);
  posix_spawnattr_setsigdefault(&sa.attr, &all);
  posix_spawnattr_setsigmask(&sa.attr, &none);
  short flags = POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK;
  if (options.new_session)
    flags |= POSIX_SPAWN_SETSID;
  posix_spawnattr_setflags(&sa.attr, flags);

  std::vector<std::string> env_store;
  for (char** e = environ; *e != nullptr; ++e)
    env_store.emplace_back(*e);
  for (const auto& e : options.extra_env)
    env_store.push_back(e);
  std::vector<char*> envp;
  for (auto& e : env_store)
    envp.push_back(e.data());
  envp.push_back(nullptr);
  std::vector<char*> args;
  for (const auto& a : argv)
    args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);

  int rc = ::posix_spawn(&proc.m_pid, program->c_str(), &sa.actions, &sa.attr, args.data(),
                         envp.data());
  for (int fd : {out_pipe[1], err_pipe[1]})
    if (fd >= 0)
      ::close(fd);
  proc.m_out_fd = out_pipe[0];
  proc.m_err_fd = err_pipe[0];
  if (rc != 0) {
    proc.m_pid = -1;
    throw_errno(rc, cat("run ", quote(*program)));
  }
  LOG_DEBUG("started ", proc.command_line(), " (pid ", proc.m_pid, ")");
  return proc;
}

Subprocess::Subprocess(Subprocess&& other) noexcept
    : m_pid(std::exchange(other.m_pid, -1)), m_out_fd(std::exchange(other.m_out_fd, -1)),
      m_err_fd(std::exchange(other.m_err_fd, -1)), m_argv(std::move(other.m_argv)),
      m_out(std::move(other.m_out)), m_err(std::move(other.m_err)) {}

namespace {

// Children given up by reap_later() that were still running then.
std::vector<pid_t>& unreaped() {
  static std::vector<pid_t> pids;
  return pids;
}

} // namespace

void Subprocess::reap_later() noexcept {
  if (m_pid > 0)
    reap_later(m_pid);
  m_pid = -1;
}

void Subprocess::reap_later(pid_t pid) noexcept {
  pid_t done;
  while ((done = ::waitpid(pid, nullptr, WNOHANG)) < 0 && errno == EINTR) {
  }
  if (done == 0) {
    try {
      unreaped().push_back(pid);
    } catch (...) {
      // Out of memory: the child stays a zombie until this process exits.
    }
  }
  reap_exited();
}

void Subprocess::reap_exited() noexcept {
  std::vector<pid_t>& pids = unreaped();
  pids.erase(std::remove_if(pids.begin(), pids.end(),
                            [](pid_t pid) {
                              pid_t done;
                              while ((done = ::waitpid(pid, nullptr, WNOHANG)) < 0 &&
                                     errno == EINTR) {
                              }
                              return done != 0; // reaped, or not ours any more
                            }),
             pids.end());
}

Subprocess::~Subprocess() {
  if (m_pid > 0) {
    ::kill(m_pid, SIGKILL);
    while (::waitpid(m_pid, nullptr, 0) < 0 && errno == EINTR) {
    }
  }
  for (int fd : {m_out_fd, m_err_fd})
    if (fd >= 0)
      ::close(fd);
}

int Subprocess::wait() {
  pollfd fds[2] = {{m_out_fd, POLLIN, 0}, {m_err_fd, POLLIN, 0}};
  std::string* sinks[2] = {&m_out, &m_err};
  while (fds[0].fd >= 0 || fds[1].fd >= 0) {
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR)
        continue;
      throw_errno(cat("read output of ", quote(m_argv[0])));
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0)
        continue;
      char buf[4096];
      ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
      if (n > 0) {
        sinks[i]->append(buf, static_cast<size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        ::close(fds[i].fd);
        fds[i].fd = -1;
      }
    }
  }
  m_out_fd = m_err_fd = -1;
  int status = 0;
  while (::waitpid(m_pid, &status, 0) < 0) {
    if (errno != EINTR)
      throw_errno(cat("wait for ", quote(m_argv[0])));
  }
  m_pid = -1;
  return status;
}

std::string Subprocess::command_line() const {
  return join(m_argv, " ");
}

std::string describe_status(int status) {
  if (WIFEXITED(status))
    return cat("exited with status ", WEXITSTATUS(status));
  if (WIFSIGNALED(status))
    return cat("killed by signal ", WTERMSIG(status), " (", strsignal(WTERMSIG(status)), ")");
  return cat("ended with wait status ", status);
}

std::string run_checked(const std::vector<std::string>& argv) {
  Subprocess::Options options;
  options.capture_stdout = true;
  Subprocess proc = Subprocess::spawn(argv, options);
  int status = proc.wait();
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::string err(trim(proc.err()));
    throw Error(cat(proc.command_line(), ": ", describe_status(status), err.empty() ? "" : ": ", err));
  }
  return proc.out();
}

} // namespace util
