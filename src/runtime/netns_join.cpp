#include "runtime/netns_join.hpp"

#include "net/network_mode.hpp"
#include "runtime/control.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/fs.hpp"
#include "util/log.hpp"
#include "util/strings.hpp"

#include <fcntl.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

namespace runtime {

namespace {

ino_t namespace_inode(const std::string& path) {
  struct stat st{};
  if (::stat(path.c_str(), &st) < 0)
    util::throw_errno(util::cat("stat ", util::quote(path)));
  return st.st_ino;
}

// A pidfd for the peer's init, checked against its recorded start time after opening (so a
// reused pid is never joined).
util::UniqueFd open_peer(const NetworkPeer& peer) {
  util::UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, peer.process.pid, 0)));
  if (!pidfd || !is_alive(peer.process))
    throw util::Error(util::cat("cannot join the network of container ", peer.name,
                                ": it is not running"));
  return pidfd;
}

} // namespace

NetworkPeer find_network_peer(const storage::ContainerStore& containers, const std::string& name) {
  std::optional<storage::ContainerRecord> record = containers.lookup(name);
  if (!record)
    throw util::Error(util::cat("cannot join the network of container ", util::quote(name),
                                ": no such container"));
  ContainerState state = refresh_state(containers, *record);
  if (state.status != Status::running || state.restarting || state.process.pid <= 0)
    throw util::Error(util::cat("cannot join the network of container ", record->name,
                                ": it is not running (status ", status_word(state),
                                "): start it first"));
  return {record->id, record->name, state.process, containers.dir(record->id) / "userdata"};
}

void enter_network_peer_userns(const storage::ContainerStore& containers,
                               const std::string& network) {
  if (network.rfind("container:", 0) != 0)
    return;
  net::NetworkMode mode = net::NetworkMode::parse(network);
  NetworkPeer peer = find_network_peer(containers, mode.container);
  util::UniqueFd pidfd = open_peer(peer);
  if (namespace_inode(util::cat("/proc/", peer.process.pid, "/ns/user")) ==
      namespace_inode("/proc/self/ns/user"))
    return; // real root, or already inside
  // Joining a user namespace grants every capability in it, as its owner on the host may.
  if (::setns(pidfd.get(), CLONE_NEWUSER) < 0)
    util::throw_errno(util::cat("join the user namespace of container ", peer.name));
  LOG_DEBUG("joined the user namespace of container ", peer.name);
}

void join_peer_network(const NetworkPeer& peer) {
  util::UniqueFd pidfd = open_peer(peer);
  if (::setns(pidfd.get(), CLONE_NEWNET) == 0) {
    LOG_DEBUG("joined the network namespace of container ", peer.name);
    return;
  }
  int err = errno;
  if (err == EPERM)
    throw util::SystemError(
        err, util::cat("join the network namespace of container ", peer.name,
                       " (it belongs to another user namespace: use `cove run`, which joins "
                       "it first)"));
  util::throw_errno(err, util::cat("join the network namespace of container ", peer.name));
}

std::string adopt_peer_etc_files(const NetworkPeer& peer, const std::filesystem::path& userdata) {
  for (const char* name : {"hosts", "resolv.conf", "hostname"}) {
    std::string text = util::read_file(peer.userdata / name);
    util::write_file_atomic(userdata / name, text, 0644);
  }
  return std::string(util::trim(util::read_file(peer.userdata / "hostname")));
}

} // namespace runtime
