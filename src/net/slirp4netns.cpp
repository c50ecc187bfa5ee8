#include "net/slirp4netns.hpp"

#include "net/etc_files.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/log.hpp"
#include "util/strings.hpp"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>

namespace net {

namespace {

// slirp4netns configures tap0 in well under a second; this only bounds a hung helper.
constexpr int ready_timeout_ms = 10000;

struct Pipe {
  util::UniqueFd read;
  util::UniqueFd write;
};

Pipe make_pipe(std::string_view purpose) {
  int fds[2];
  util::check(::pipe2(fds, O_CLOEXEC), util::cat("create the ", purpose, " pipe for slirp4netns"));
  return {util::UniqueFd(fds[0]), util::UniqueFd(fds[1])};
}

// slirp4netns opens /dev/net/tun inside the namespace; its own error for a 0600 device is terse.
void check_tun_device() {
  if (::access("/dev/net/tun", R_OK | W_OK) == 0)
    return;
  int err = errno;
  throw util::SystemError(
      err, util::cat("slirp4netns needs /dev/net/tun (ask the administrator to make it mode 0666 "
                     "or use --network host|none); open \"/dev/net/tun\""));
}

std::vector<std::string> slirp_argv(pid_t pid, const Slirp4netns::Options& options, int ready_fd,
                                    int exit_fd) {
  std::vector<std::string> argv = {"slirp4netns", "--configure",
                                   util::cat("--mtu=", options.mtu),
                                   "--enable-sandbox", "--enable-seccomp",
                                   util::cat("--ready-fd=", ready_fd),
                                   util::cat("--exit-fd=", exit_fd)};
  if (!options.cidr.empty())
    argv.push_back("--cidr=" + options.cidr);
  if (options.enable_ipv6)
    argv.emplace_back("--enable-ipv6");
  if (!options.allow_host_loopback)
    argv.emplace_back("--disable-host-loopback");
  if (options.netns_fd >= 0) {
    argv.emplace_back("--netns-type=path");
    argv.push_back(util::cat("/proc/self/fd/", options.netns_fd));
  } else {
    argv.push_back(std::to_string(pid));
  }
  argv.emplace_back("tap0");
  return argv;
}

// Waits for the ready byte; false when slirp4netns closed the pipe (it failed) or timed out.
bool wait_ready(int fd) {
  pollfd pfd{fd, POLLIN, 0};
  int rc;
  while ((rc = ::poll(&pfd, 1, ready_timeout_ms)) < 0 && errno == EINTR) {
  }
  if (rc <= 0)
    return false;
  char byte;
  ssize_t n;
  while ((n = ::read(fd, &byte, 1)) < 0 && errno == EINTR) {
  }
  return n == 1;
}

} // namespace

Slirp4netns Slirp4netns::start(pid_t pid, const Options& options) {
  Slirp4netns slirp = spawn(pid, options);
  slirp.wait_ready();
  return slirp;
}

Slirp4netns Slirp4netns::spawn(pid_t pid, const Options& options) {
  if (!util::find_program("slirp4netns"))
    throw util::Error("slirp4netns is not installed (Debian package slirp4netns): install it or "
                      "use --network host|none");
  check_tun_device();
  Pipe ready = make_pipe("ready");
  Pipe exit = make_pipe("exit");
  util::Subprocess::reap_exited(); // earlier helpers that have finished exiting meanwhile
  util::Subprocess::Options spawn;
  spawn.keep_fds = {ready.write.get(), exit.read.get()};
  if (options.netns_fd >= 0)
    spawn.keep_fds.push_back(options.netns_fd);
  // Terminal signals go to the container through cove; the helper must outlive them.
  spawn.new_session = true;
  // It reports its configuration on stdout: keep that off the container's output. Into a file
  // rather than a pipe, so that nobody has to read it until slirp4netns' (slow) exit.
  if (options.log_file.empty()) {
    spawn.capture_stdout = true;
  } else {
    spawn.capture_stderr = false;
    spawn.output_file = options.log_file.string();
  }
  util::Subprocess process = util::Subprocess::spawn(
      slirp_argv(pid, options, ready.write.get(), exit.read.get()), spawn);
  ready.write.reset();
  exit.read.reset();
  Slirp4netns slirp(std::move(process), std::move(exit.write));
  slirp.m_logged = !options.log_file.empty();
  slirp.m_ready = std::move(ready.read);
  slirp.m_target = pid;
  slirp.m_log_file = options.log_file;
  return slirp;
}

void Slirp4netns::wait_ready() {
  if (!m_ready)
    return;
  bool ok = net::wait_ready(m_ready.get());
  m_ready.reset();
  if (ok) {
    LOG_DEBUG("slirp4netns ready for process ", m_target, " (pid ", m_process->pid(), ")");
    return;
  }
  m_exit_fd.reset();
  ::kill(m_process->pid(), SIGKILL);
  int status = m_process->wait();
  std::string output = m_log_file.empty() ? m_process->err()
                                          : util::read_file_if_exists(m_log_file).value_or("");
  m_process.reset();
  throw util::Error(util::cat("start slirp4netns for process ", m_target, ": ",
                              util::describe_status(status), ": ", util::trim(output)));
}

Slirp4netns::~Slirp4netns() {
  if (!m_process || m_process->pid() <= 0)
    return;
  m_exit_fd.reset(); // slirp4netns exits by itself
  if (m_logged) {
    // Its exit takes the kernel some 20 ms (the tap device's unregistration waits for an RCU
    // grace period) and nothing here depends on it: it is reaped later, or by init once cove
    // has exited, instead of being waited for.
    m_process->reap_later();
  } else {
    try {
      int status = m_process->wait();
      LOG_DEBUG("slirp4netns ", util::describe_status(status));
    } catch (const std::exception& e) {
      util::log::warning("stop slirp4netns: ", e.what());
    }
  }
}

} // namespace net
