#include "net/port_forwarder.hpp"

#include "net/host_port.hpp"
#include "net/splice_proxy.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/log.hpp"
#include "util/resident.hpp"
#include "util/strings.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <utility>

namespace net {

namespace {

sockaddr_storage ipv4_target(Ipv4 address, uint16_t port, socklen_t& length) {
  sockaddr_storage storage{};
  auto* addr = reinterpret_cast<sockaddr_in*>(&storage);
  addr->sin_family = AF_INET;
  addr->sin_port = htons(port);
  addr->sin_addr.s_addr = htonl(address.value);
  length = sizeof(sockaddr_in);
  return storage;
}

struct HostSocket {
  util::UniqueFd fd;
  PortMapping mapping; // as bound (the host port chosen)
};

bool no_ipv6(int err) {
  return err == EAFNOSUPPORT || err == EADDRNOTAVAIL || err == EPROTONOSUPPORT;
}

// Binds `port`, and for a mapping without an address also [::] on the same port where the host
// has IPv6 (Docker's rule). A free port (host_port 0) is chosen again when its IPv6 twin is
// taken; a port asked for that is taken on [::] fails like any port in use.
std::vector<HostSocket> bind_mapping(const PortMapping& port) {
  constexpr int attempts = 16;
  for (int attempt = 1;; ++attempt) {
    std::vector<HostSocket> out;
    PortMapping first = port;
    util::UniqueFd fd = bind_host_port(first);
    out.push_back({std::move(fd), first});
    if (!port.dual_stack || port.host_ip != "0.0.0.0")
      return out;
    PortMapping twin = first;
    twin.host_ip = "::";
    twin.dual_stack = false;
    try {
      util::UniqueFd fd6 = bind_host_port(twin);
      out.push_back({std::move(fd6), twin});
      return out;
    } catch (const util::SystemError& e) {
      if (no_ipv6(e.code()))
        return out; // no IPv6 here: 0.0.0.0 alone, as Docker does
      if (e.code() != EADDRINUSE || port.host_port != 0 || attempt == attempts)
        throw;
    }
  }
}

// Closes every descriptor but stdin/stdout/stderr and `keep` (sorted).
void close_others(const std::vector<int>& keep) noexcept {
  unsigned from = 3;
  for (int fd : keep) {
    if (static_cast<unsigned>(fd) > from)
      ::syscall(SYS_close_range, from, static_cast<unsigned>(fd) - 1, 0U);
    from = std::max(from, static_cast<unsigned>(fd) + 1);
  }
  ::syscall(SYS_close_range, from, ~0U, 0U);
}

// The forked process, up to the relay loop. Only what cannot throw; a failure before the loop
// is reported to the parent as an errno on `status`.
[[noreturn]] void forwarder_main(pid_t parent, int netns_fd, int log_fd, int status,
                                 const std::vector<ProxyRoute>& routes,
                                 const std::vector<int>& keep) noexcept {
  // Dies with the thread that started it (cove, or the detached container's monitor); if that
  // already happened, stop here.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != parent)
    ::_exit(1);
  // Terminal signals go to the container through cove; the forwarder must not get them.
  ::setsid();
  for (int sig = 1; sig < NSIG; ++sig)
    ::signal(sig, SIG_DFL);
  ::signal(SIGPIPE, SIG_IGN); // a peer gone while bytes are spliced to it: EPIPE instead
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  if (netns_fd >= 0 && ::setns(netns_fd, CLONE_NEWNET) < 0) {
    int err = errno;
    (void)!::write(status, &err, sizeof err);
    ::_exit(1);
  }
  int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  if (null >= 0) {
    ::dup2(null, STDIN_FILENO);
    ::dup2(null, STDOUT_FILENO);
  }
  if (log_fd >= 0)
    ::dup2(log_fd, STDERR_FILENO);
  ::chdir("/");
  close_others(keep); // also the status pipe: its end of file tells the parent all is well
  util::release_file_pages();
  run_splice_proxy(routes);
}

} // namespace

std::vector<PortMapping> tcp_ports(const std::vector<PortMapping>& ports) {
  std::vector<PortMapping> out;
  std::copy_if(ports.begin(), ports.end(), std::back_inserter(out),
               [](const PortMapping& p) { return p.protocol == Protocol::tcp; });
  return out;
}

std::vector<PortMapping> udp_ports(const std::vector<PortMapping>& ports) {
  std::vector<PortMapping> out;
  std::copy_if(ports.begin(), ports.end(), std::back_inserter(out),
               [](const PortMapping& p) { return p.protocol != Protocol::tcp; });
  return out;
}

PortForwarder PortForwarder::start(std::vector<PortMapping> ports, int netns_fd, Ipv4 target,
                                   const std::filesystem::path& log_file) {
  std::vector<HostSocket> sockets;
  std::vector<PortMapping> published;
  for (const PortMapping& port : ports) {
    for (HostSocket& socket : bind_mapping(port)) {
      published.push_back(socket.mapping);
      sockets.push_back(std::move(socket));
    }
  }
  std::vector<ProxyRoute> routes;
  std::vector<int> keep;
  for (const HostSocket& socket : sockets) {
    ProxyRoute route;
    route.udp = socket.mapping.protocol == Protocol::udp;
    if (!route.udp)
      util::check(::listen(socket.fd.get(), SOMAXCONN),
                  util::cat("publish ", describe(socket.mapping), ": listen"));
    route.listener = socket.fd.get();
    route.target = ipv4_target(target, socket.mapping.container_port, route.target_length);
    routes.push_back(route);
    keep.push_back(socket.fd.get());
  }
  std::sort(keep.begin(), keep.end());
  util::UniqueFd log(log_file.empty()
                         ? -1
                         : ::open(log_file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
  int fds[2];
  util::check(::pipe2(fds, O_CLOEXEC), "create the port forwarder's status pipe");
  util::UniqueFd status_read(fds[0]);
  util::UniqueFd status_write(fds[1]);
  pid_t parent = ::getpid();
  sigset_t all;
  sigset_t old;
  sigfillset(&all);
  ::pthread_sigmask(SIG_SETMASK, &all, &old);
  pid_t pid = ::fork();
  if (pid == 0)
    forwarder_main(parent, netns_fd, log.get(), status_write.get(), routes, keep);
  int err = errno;
  ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
  if (pid < 0)
    util::throw_errno(err, "fork the port forwarder");
  status_write.reset();
  PortForwarder forwarder(pid, std::move(published)); // from here on, stopped if anything fails
  int child_err = 0;
  ssize_t n;
  while ((n = ::read(status_read.get(), &child_err, sizeof child_err)) < 0 && errno == EINTR) {
  }
  if (n > 0)
    util::throw_errno(child_err, "port forwarder: enter the container's network namespace");
  LOG_DEBUG("port forwarder ", pid, " relays to ", target.str());
  return forwarder;
}

PortForwarder::PortForwarder(PortForwarder&& other) noexcept
    : m_pid(std::exchange(other.m_pid, -1)), m_ports(std::move(other.m_ports)) {}

PortForwarder::~PortForwarder() {
  if (m_pid <= 0)
    return;
  ::kill(m_pid, SIGKILL);
  while (::waitpid(m_pid, nullptr, 0) < 0 && errno == EINTR) {
  }
}

} // namespace net
