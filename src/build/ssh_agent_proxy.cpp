#include "build/ssh_agent_proxy.hpp"

#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/strings.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace build {
namespace {

constexpr int max_connections = 32;

bool send_all(int fd, const char* data, ssize_t size) noexcept {
  while (size > 0) {
    auto n = ::send(fd, data, static_cast<std::size_t>(size), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return false;
    data += n;
    size -= n;
  }
  return true;
}

// Copies what one side of a connection sent to the other; false when it is over.
bool forward(int from, int to) noexcept {
  char buf[16384];
  ssize_t n;
  do
    n = ::recv(from, buf, sizeof buf, 0);
  while (n < 0 && errno == EINTR);
  return n > 0 && send_all(to, buf, n);
}

// The forwarder: accepts on fd 3 and joins each connection to a new one to the agent. Runs in
// the forked child until killed; only system calls, no allocation.
[[noreturn]] void serve(const sockaddr_un& agent) noexcept {
  pollfd fds[1 + 2 * max_connections];
  int pairs = 0;
  fds[0] = {3, POLLIN, 0};
  for (;;) {
    if (::poll(fds, static_cast<nfds_t>(1 + 2 * pairs), -1) < 0) {
      if (errno == EINTR)
        continue;
      ::_exit(1);
    }
    if (fds[0].revents & POLLIN) {
      int client = ::accept4(3, nullptr, nullptr, SOCK_CLOEXEC);
      int up = client < 0 ? -1 : ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
      if (up >= 0 && pairs < max_connections &&
          ::connect(up, reinterpret_cast<const sockaddr*>(&agent), sizeof agent) == 0) {
        fds[1 + 2 * pairs] = {client, POLLIN, 0};
        fds[2 + 2 * pairs] = {up, POLLIN, 0};
        ++pairs;
      } else {
        if (client >= 0)
          ::close(client);
        if (up >= 0)
          ::close(up);
      }
    }
    for (int i = 0; i < pairs;) {
      pollfd& a = fds[1 + 2 * i];
      pollfd& b = fds[2 + 2 * i];
      bool open = (!a.revents || forward(a.fd, b.fd)) && (!b.revents || forward(b.fd, a.fd));
      if (open) {
        ++i;
        continue;
      }
      ::close(a.fd);
      ::close(b.fd);
      --pairs; // the last pair (with this round's events) takes the slot
      a = fds[1 + 2 * pairs];
      b = fds[2 + 2 * pairs];
    }
  }
}

sockaddr_un agent_address(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path)
    throw util::Error(util::cat("ssh agent socket ", util::quote(path), ": path too long for a Unix socket"));
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  return addr;
}

} // namespace

SshAgentProxy::SshAgentProxy(const std::filesystem::path& tmp_dir, const std::string& agent_socket, unsigned mode,
                             uid_t uid, gid_t gid)
    : m_dir(tmp_dir, "ssh-") {
  auto agent = agent_address(agent_socket);
  util::make_dirs(m_dir.path(), 0700);
  util::UniqueFd dir(::open(m_dir.path().c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!dir)
    util::throw_errno(util::cat("open ", util::quote(m_dir.path().string())));
  // The store may lie deeper than sun_path allows; the directory's fd keeps the name short.
  auto short_path = util::cat("/proc/self/fd/", dir.get(), "/agent");
  sockaddr_un addr = agent_address(short_path);
  m_listen.reset(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!m_listen)
    util::throw_errno("ssh agent forwarding: socket");
  if (::bind(m_listen.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) < 0 ||
      ::listen(m_listen.get(), 16) < 0)
    util::throw_errno(util::cat("ssh agent forwarding: listen on ", util::quote(socket().string())));
  if (::fchownat(dir.get(), "agent", uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
    util::throw_errno(util::cat("ssh agent socket: chown to ", uid, ":", gid, " (is that id mapped?)"));
  if (::fchmodat(dir.get(), "agent", mode, 0) < 0)
    util::throw_errno(util::cat("ssh agent socket: chmod ", util::quote(socket().string())));
  pid_t parent = ::getpid();
  m_pid = ::fork();
  if (m_pid < 0)
    util::throw_errno("ssh agent forwarding: fork");
  if (m_pid == 0) {
    // Dies with cove; holds nothing of cove's (locks, pipes) but the listening socket.
    if (::prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || ::getppid() != parent)
      ::_exit(1);
    // cove's own signal handling is not the forwarder's: a ^C or a kill just ends it.
    sigset_t none;
    ::sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE})
      ::signal(sig, SIG_DFL);
    if (::dup2(m_listen.get(), 3) < 0)
      ::_exit(1);
    int null = ::open("/dev/null", O_RDWR | O_CLOEXEC); // above 3 now, closed below
    if (null < 0 || ::dup2(null, 0) < 0 || ::dup2(null, 1) < 0 || ::dup2(null, 2) < 0)
      ::_exit(1);
    ::close_range(4, ~0U, 0);
    serve(agent);
  }
}

SshAgentProxy::SshAgentProxy(SshAgentProxy&& other) noexcept
    : m_dir(std::move(other.m_dir)), m_listen(std::move(other.m_listen)), m_pid(std::exchange(other.m_pid, -1)) {}

SshAgentProxy::~SshAgentProxy() {
  if (m_pid > 0) {
    ::kill(m_pid, SIGKILL);
    while (::waitpid(m_pid, nullptr, 0) < 0 && errno == EINTR) {
    }
  }
}

} // namespace build
