#include "net/rootless_netns.hpp"

#include "net/namespace_fd.hpp"
#include "net/bridge.hpp"
#include "net/hosts_sync.hpp"
#include "net/netlink.hpp"
#include "net/network_store.hpp"
#include "net/slirp4netns.hpp"
#include "util/error.hpp"
#include "util/file_lock.hpp"
#include "util/fs.hpp"
#include "util/log.hpp"
#include "util/resident.hpp"
#include "util/strings.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <malloc.h>
#include <poll.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <optional>
#include <thread>
#include <vector>

namespace net {

namespace {

// The holder answers a new connection at once; this only bounds a hung holder.
constexpr int hello_timeout_ms = 30000;
constexpr char hello = 'H';

struct Paths {
  std::filesystem::path dir;
  std::filesystem::path lock() const { return dir / "lock"; }
  std::filesystem::path socket() const { return dir / "holder.sock"; }
  std::filesystem::path log() const { return dir / "holder.log"; }
};

sockaddr_un unix_address(const std::filesystem::path& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.string().size() >= sizeof addr.sun_path)
    throw util::Error(util::cat("socket path ", util::quote(path.string()),
                                " is too long for a unix socket: use a shorter --runroot"));
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  return addr;
}

bool wait_readable(int fd, int timeout_ms) {
  pollfd pfd{fd, POLLIN, 0};
  int rc;
  while ((rc = ::poll(&pfd, 1, timeout_ms)) < 0 && errno == EINTR) {
  }
  return rc > 0;
}

// A lease on the running holder, or nullopt when none answers.
std::optional<util::UniqueFd> try_connect(const Paths& paths,
                                          const std::filesystem::path& storage_root) {
  util::UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd)
    util::throw_errno("create a socket for the network namespace holder");
  sockaddr_un addr = unix_address(paths.socket());
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0) {
    if (errno == ENOENT || errno == ECONNREFUSED)
      return std::nullopt;
    util::throw_errno(util::cat("connect to ", util::quote(paths.socket().string())));
  }
  char byte = 0;
  if (!wait_readable(fd.get(), hello_timeout_ms) || ::read(fd.get(), &byte, 1) != 1 ||
      byte != hello)
    return std::nullopt; // it was exiting
  std::string root = storage_root.string() + "\n";
  if (::send(fd.get(), root.data(), root.size(), MSG_NOSIGNAL) < 0)
    return std::nullopt;
  return fd;
}

pid_t peer_pid(int fd) {
  ucred cred{};
  socklen_t len = sizeof cred;
  util::check(::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len),
              "read the network namespace holder's pid");
  return cred.pid;
}

void write_sysctl(const std::string& path, std::string_view value) {
  util::UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd || ::write(fd.get(), value.data(), value.size()) < 0)
    util::throw_errno(util::cat("write ", util::quote(path)));
}

// Closes every descriptor but `keep` (the parent's lock and terminal must not live on here).
void close_other_fds(const std::vector<int>& keep) {
  std::vector<int> fds;
  if (DIR* dir = ::opendir("/proc/self/fd")) {
    while (dirent* entry = ::readdir(dir))
      if (entry->d_name[0] != '.')
        fds.push_back(std::atoi(entry->d_name));
    ::closedir(dir);
  }
  for (int fd : fds)
    if (fd > 2 && std::find(keep.begin(), keep.end(), fd) == keep.end())
      ::close(fd);
}

void redirect_stdio(const Paths& paths) {
  int in = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  int out = ::open(paths.log().c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (in >= 0)
    ::dup2(in, STDIN_FILENO);
  if (out >= 0) {
    ::dup2(out, STDOUT_FILENO);
    ::dup2(out, STDERR_FILENO);
  }
  for (int fd : {in, out})
    if (fd > 2)
      ::close(fd);
}

// A new network namespace, made by a thread of its own so the holder itself stays in the host's
// network namespace for now: slirp4netns is started from here and must be on the host's side
// (its outbound sockets and its published ports live where it runs). The thread's namespace is
// kept by the returned descriptor.
util::UniqueFd make_network_namespace() {
  util::UniqueFd netns;
  int error = 0;
  std::thread maker([&]() noexcept {
    if (::unshare(CLONE_NEWNET) < 0) {
      error = errno;
      return;
    }
    netns.reset(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
    if (!netns)
      error = errno;
  });
  maker.join();
  if (error != 0)
    throw util::SystemError(error, "create the shared network namespace (unshare CLONE_NEWNET)");
  return netns;
}

// The namespace itself: a new network namespace with loopback up, tap0 from slirp4netns (the
// default route), forwarding on, and proxy ARP on tap0 so slirp4netns' replies and host
// forwards reach the bridges' addresses without NAT (no iptables/nft needed). Returns with the
// holder inside it (users find it as /proc/HOLDER/ns/net).
Slirp4netns set_up_namespace() {
  util::UniqueFd netns = make_network_namespace();
  Slirp4netns::Options options;
  options.netns_fd = netns.get();
  Slirp4netns slirp = Slirp4netns::start(::getpid(), options);
  util::check(::setns(netns.get(), CLONE_NEWNET), "enter the shared network namespace (setns)");
  NetlinkSocket netlink = NetlinkSocket::open();
  if (std::optional<int> lo = netlink.link_index("lo"))
    netlink.set_up(*lo);
  write_sysctl("/proc/sys/net/ipv4/ip_forward", "1");
  write_sysctl("/proc/sys/net/ipv4/conf/tap0/proxy_arp", "1");
  return slirp;
}

struct Client {
  util::UniqueFd fd;
  std::string root; // what the client sent: its storage root
};

// With no lease left: exits unless someone is connecting. Returns the lock when it is time to
// go; the holder keeps it until slirp4netns is gone, so a new holder started by the next user
// never runs beside a slirp4netns that is still exiting.
std::optional<util::FileLock> may_exit(int listener, const Paths& paths) {
  std::optional<util::FileLock> lock =
      util::FileLock::try_lock(paths.lock(), util::LockMode::exclusive);
  if (!lock)
    return std::nullopt; // a user is connecting right now
  if (wait_readable(listener, 0))
    return std::nullopt;
  ::unlink(paths.socket().c_str());
  return lock;
}

// Returns, holding the lock, when the last lease has ended.
util::FileLock serve(int listener, const Paths& paths) {
  std::vector<Client> clients;
  for (;;) {
    std::vector<pollfd> fds{{listener, POLLIN, 0}};
    for (const Client& client : clients)
      fds.push_back({client.fd.get(), POLLIN, 0});
    int timeout = clients.empty() ? 100 : -1;
    if (::poll(fds.data(), fds.size(), timeout) < 0 && errno != EINTR)
      util::throw_errno("poll the holder's connections");
    if (fds[0].revents & POLLIN) {
      util::UniqueFd fd(::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK));
      if (fd && ::send(fd.get(), &hello, 1, MSG_NOSIGNAL) == 1)
        clients.push_back({std::move(fd), {}});
    }
    for (size_t i = 1; i < fds.size(); ++i) {
      if (fds[i].revents == 0)
        continue;
      Client& client = clients[i - 1];
      char buf[4096];
      ssize_t n = ::read(client.fd.get(), buf, sizeof buf);
      if (n > 0) {
        client.root.append(buf, static_cast<size_t>(n));
        continue;
      }
      if (n < 0 && (errno == EINTR || errno == EAGAIN))
        continue;
      client.fd.reset(); // the lease ended: its process is gone
    }
    std::vector<std::string> ended;
    for (auto it = clients.begin(); it != clients.end();) {
      if (it->fd) {
        ++it;
        continue;
      }
      ended.push_back(std::string(util::trim(it->root)));
      it = clients.erase(it);
    }
    for (const std::string& root : ended)
      if (!root.empty())
        release_dead_endpoints(root);
    if (clients.empty())
      if (std::optional<util::FileLock> lock = may_exit(listener, paths))
        return std::move(*lock);
  }
}

[[noreturn]] void holder_main(const Paths& paths, util::UniqueFd listener, util::UniqueFd ready,
                              const std::function<void()>& enter_namespaces) noexcept {
  ::setsid();
  redirect_stdio(paths);
  close_other_fds({listener.get(), ready.get()});
  std::optional<Slirp4netns> slirp;
  try {
    enter_namespaces();
    // Entering a user namespace made this process non-dumpable (new capabilities), and a
    // process that never exec'd keeps the host's namespace as its mm's owner: without this, the
    // user's other cove processes could not open /proc/HOLDER/ns/* to join the namespaces.
    util::check(::prctl(PR_SET_DUMPABLE, 1, 0, 0, 0), "make the holder dumpable");
    slirp.emplace(set_up_namespace());
    // listen(2) here, not in the spawner: SO_PEERCRED reports the listener's pid, which is how
    // users find the holder.
    util::check(::listen(listener.get(), 64), "listen on the holder's socket");
  } catch (const std::exception& e) {
    std::string message = e.what();
    ssize_t ignored = ::write(ready.get(), message.data(), message.size());
    (void)ignored;
    ::_exit(1);
  }
  ssize_t ignored = ::write(ready.get(), "ok", 2);
  (void)ignored;
  ready.reset();
  ::malloc_trim(0); // resident for as long as containers use the networks
  util::release_file_pages();
  int code = 0;
  std::optional<util::FileLock> exit_lock;
  try {
    exit_lock.emplace(serve(listener.get(), paths));
  } catch (const std::exception& e) {
    util::log::error("network namespace holder: ", e.what());
    ::unlink(paths.socket().c_str());
    code = 1;
  }
  listener.reset();
  slirp.reset(); // closes its exit fd and reaps it
  exit_lock.reset();
  std::fflush(nullptr);
  ::_exit(code);
}

std::string read_all(int fd) {
  std::string out;
  char buf[1024];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) != 0) {
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

// Starts the holder, detached (double fork, so no cove process has to reap it), and waits until
// its namespace is ready.
void spawn_holder(const Paths& paths, const std::function<void()>& enter_namespaces) {
  ::unlink(paths.socket().c_str());
  util::UniqueFd listener(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!listener)
    util::throw_errno("create the network namespace holder's socket");
  sockaddr_un addr = unix_address(paths.socket());
  util::check(::bind(listener.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr),
              util::cat("bind ", util::quote(paths.socket().string())));
  int fds[2];
  util::check(::pipe2(fds, O_CLOEXEC), "create the holder's ready pipe");
  util::UniqueFd ready_read(fds[0]);
  util::UniqueFd ready_write(fds[1]);
  std::fflush(nullptr);
  pid_t child = ::fork();
  if (child < 0)
    util::throw_errno("fork the network namespace holder");
  if (child == 0) {
    ready_read.reset();
    if (::fork() != 0)
      ::_exit(0);
    holder_main(paths, std::move(listener), std::move(ready_write), enter_namespaces);
  }
  ready_write.reset();
  listener.reset();
  while (::waitpid(child, nullptr, 0) < 0 && errno == EINTR) {
  }
  std::string message = read_all(ready_read.get());
  if (message != "ok")
    throw util::Error(util::cat("start the network namespace for user-defined networks: ",
                                message.empty() ? "the holder exited (see " +
                                                      util::quote(paths.log().string()) + ")"
                                                : message));
  LOG_DEBUG("started the shared network namespace holder");
}

} // namespace

NetnsLease NetnsLease::acquire(const std::filesystem::path& runtime_root,
                               const std::filesystem::path& storage_root,
                               const std::function<void()>& enter_namespaces) {
  Paths paths{runtime_root / "netns"};
  util::make_dirs(paths.dir, 0700);
  util::FileLock lock(paths.lock(), util::LockMode::exclusive);
  std::optional<util::UniqueFd> connection = try_connect(paths, storage_root);
  if (!connection) {
    spawn_holder(paths, enter_namespaces);
    connection = try_connect(paths, storage_root);
    if (!connection)
      throw util::Error(util::cat("connect to the network namespace holder: it exited (see ",
                                  util::quote(paths.log().string()), ")"));
  }
  NetnsLease lease;
  lease.m_holder = peer_pid(connection->get());
  lease.m_userns = open_namespace(lease.m_holder, "user");
  lease.m_netns = open_namespace(lease.m_holder, "net");
  lease.m_connection = std::move(*connection);
  LOG_DEBUG("leased the shared network namespace of holder ", lease.m_holder);
  return lease;
}

void release_dead_endpoints(const std::filesystem::path& storage_root, int netns_fd) noexcept {
  try {
    NetworkStore store(storage_root);
    util::FileLock lock = store.lock();
    std::vector<NetworkRecord> records = store.list();
    bool changed = false;
    for (NetworkRecord& record : records) {
      std::vector<Endpoint> dead = prune_dead_endpoints(record);
      if (dead.empty())
        continue;
      changed = true;
      // Their namespaces go asynchronously; their veths (address and MAC on the bridge) go now,
      // before the address is handed out again.
      try {
        NetlinkSocket links = netns_fd >= 0 ? NetlinkSocket::open_in(netns_fd) : NetlinkSocket::open();
        remove_endpoint_links(links, dead);
      } catch (const std::exception& error) {
        LOG_DEBUG("remove the veths of stopped containers: ", error.what());
      }
      for (const Endpoint& e : dead)
        LOG_DEBUG("released ", e.address.str(), " of container ", e.container_name, " on ",
                  record.name);
      store.save(record);
    }
    if (changed)
      sync_hosts(records);
  } catch (const std::exception& e) {
    util::log::warning("release the endpoints of stopped containers: ", e.what());
  }
}

} // namespace net
