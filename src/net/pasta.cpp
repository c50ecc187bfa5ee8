#include "net/pasta.hpp"

#include "net/host_port.hpp"
#include "net/pasta_args.hpp"
#include "net/slirp4netns.hpp"
#include "util/error.hpp"
#include "util/log.hpp"
#include "util/strings.hpp"
#include "util/subprocess.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <utility>

namespace net {

namespace {

// pasta configures the namespace in well under a second; this only bounds a hung helper.
constexpr int ready_timeout_ms = 10000;

// pasta opens /dev/net/tun inside the namespace; its own message for a 0600 device is terse.
void check_tun_device() {
  if (::access("/dev/net/tun", R_OK | W_OK) == 0)
    return;
  int err = errno;
  throw util::SystemError(
      err, util::cat("pasta needs /dev/net/tun (ask the administrator to load the tun module and "
                     "make /dev/net/tun mode 0666, or use --network host|none); open "
                     "\"/dev/net/tun\""));
}

// Where pasta's stderr goes: the log file, or an anonymous memory file read back on failure.
util::UniqueFd open_log(const std::filesystem::path& log_file) {
  int fd = log_file.empty()
               ? ::memfd_create("pasta-log", MFD_CLOEXEC)
               : ::open(log_file.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0)
    util::throw_errno(log_file.empty() ? std::string("create a memory file for pasta's log")
                                       : util::cat("open ", util::quote(log_file.string())));
  return util::UniqueFd(fd);
}

std::string read_log(int fd) {
  std::string text;
  char buf[4096];
  off_t offset = 0;
  ssize_t n;
  while ((n = ::pread(fd, buf, sizeof buf, offset)) > 0 && text.size() < 65536) {
    text.append(buf, static_cast<size_t>(n));
    offset += n;
  }
  // pasta reports each message once to stderr and once more about the syslog it cannot reach.
  std::string kept;
  for (const std::string& line : util::split(text, '\n'))
    if (!line.empty() && line.rfind("Failed to send ", 0) != 0)
      kept += (kept.empty() ? "" : "; ") + line;
  return kept;
}

// Waits for pasta's pid on the ready pipe; false when pasta exited (EOF) or timed out.
bool wait_ready(int fd) {
  pollfd pfd{fd, POLLIN, 0};
  int rc;
  while ((rc = ::poll(&pfd, 1, ready_timeout_ms)) < 0 && errno == EINTR) {
  }
  if (rc <= 0)
    return false;
  char buf[32];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) < 0 && errno == EINTR) {
  }
  return n > 0;
}

// fork + exec rather than util::Subprocess: the child must set PR_SET_PDEATHSIG before exec,
// which posix_spawn cannot do. Between fork and exec only async-signal-safe calls.
pid_t spawn(const std::string& program, std::vector<std::string>& argv, int log_fd,
            const std::vector<int>& keep_fds) {
  std::vector<char*> args;
  for (std::string& arg : argv)
    args.push_back(arg.data());
  args.push_back(nullptr);
  pid_t parent = ::getpid();
  sigset_t all;
  sigset_t old;
  sigfillset(&all);
  ::pthread_sigmask(SIG_SETMASK, &all, &old);
  pid_t pid = ::fork();
  if (pid == 0) {
    // Killed with the thread that started it (cove, or the detached container's monitor); if
    // that already happened, stop here.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent)
      ::_exit(127);
    // Terminal signals go to the container through cove; the helper must not get them.
    ::setsid();
    for (int sig = 1; sig < NSIG; ++sig)
      ::signal(sig, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    int null = ::open("/dev/null", O_RDWR);
    if (null < 0 || ::dup2(null, STDIN_FILENO) < 0 || ::dup2(null, STDOUT_FILENO) < 0 ||
        ::dup2(log_fd, STDERR_FILENO) < 0)
      ::_exit(127);
    for (int fd : keep_fds)
      ::fcntl(fd, F_SETFD, 0);
    ::execv(program.c_str(), args.data());
    ::_exit(127);
  }
  int err = errno;
  ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
  if (pid < 0)
    util::throw_errno(err, "fork for pasta");
  return pid;
}

int reap(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
}

} // namespace

Pasta Pasta::start(pid_t pid, const Options& options) {
  std::optional<std::string> program = util::find_program("pasta");
  if (!program)
    throw util::Error("pasta is not installed (Debian package passt): install it or use "
                      "--network slirp4netns|host|none");
  check_tun_device();
  std::vector<PortMapping> ports;
  for (const PortMapping& port : options.ports) {
    PortMapping chosen = port;
    chosen.host_port = check_host_port(port);
    ports.push_back(chosen);
  }
  // pasta joins the namespace through a descriptor cove opened: as uid 0 without capabilities
  // over the container's processes it could not open /proc/PID/ns/net itself.
  std::string ns_path = util::cat("/proc/", pid, "/ns/net");
  util::UniqueFd netns(::open(ns_path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!netns)
    util::throw_errno(util::cat("open ", util::quote(ns_path)));
  int fds[2];
  util::check(::pipe2(fds, O_CLOEXEC), "create the ready pipe for pasta");
  util::UniqueFd ready_read(fds[0]);
  util::UniqueFd ready_write(fds[1]);
  util::UniqueFd log = open_log(options.log_file);

  PastaCommand command;
  command.netns_path = util::cat("/proc/self/fd/", netns.get());
  command.ready_path = util::cat("/proc/self/fd/", ready_write.get());
  command.map_host_loopback = options.map_host_loopback;
  command.ports = ports;
  command.extra_args = options.extra_args;
  std::vector<std::string> argv = pasta_argv(command);
  pid_t helper = spawn(*program, argv, log.get(), {netns.get(), ready_write.get()});
  ready_write.reset();
  netns.reset();
  if (!wait_ready(ready_read.get())) {
    ::kill(helper, SIGKILL);
    int status = reap(helper);
    std::string message = read_log(log.get());
    throw util::Error(util::cat("start pasta for process ", pid, ": ",
                                util::describe_status(status),
                                message.empty() ? std::string() : ": " + message));
  }
  LOG_DEBUG("pasta ready for process ", pid, " (pid ", helper, ")");
  for (const PortMapping& port : ports)
    LOG_DEBUG("published ", describe(port), " through pasta");
  return Pasta(helper, std::move(ports));
}

Pasta::Pasta(Pasta&& other) noexcept
    : m_pid(std::exchange(other.m_pid, -1)), m_ports(std::move(other.m_ports)) {}

Pasta::~Pasta() {
  if (m_pid <= 0)
    return;
  ::kill(m_pid, SIGTERM);
  // Its exit (the tap device's teardown) takes the kernel some 20 ms that nothing here waits on.
  util::Subprocess::reap_later(m_pid);
}

} // namespace net
