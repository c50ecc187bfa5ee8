// Slirp4netns: the user-mode network stack connecting a container's private network namespace
// to the outside, and the owner of that helper process.
#pragma once

#include "util/fd.hpp"
#include "util/subprocess.hpp"

#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace net {

// The address slirp4netns gives the host's loopback inside the namespace (its gateway).
inline constexpr std::string_view slirp_gateway_ip = "10.0.2.2";

class Slirp4netns {
public:
  struct Options {
    bool allow_host_loopback = false;
    unsigned mtu = 65520;
    std::string cidr;         // --cidr; empty = slirp4netns' 10.0.2.0/24
    bool enable_ipv6 = false; // --enable-ipv6
    // The network namespace as an open descriptor, inherited by slirp4netns and named to it as
    // /proc/self/fd/N (--netns-type=path); -1 = the namespace of `pid`.
    int netns_fd = -1;
    // Where its output goes; then stopping it does not wait for its exit. Empty = a pipe, read
    // to the end when it is stopped.
    std::filesystem::path log_file;
  };

  // Starts slirp4netns for the network namespace of `pid` and waits until it has configured
  // tap0 (--ready-fd). Throws util::Error with slirp4netns' own message if it cannot start.
  static Slirp4netns start(pid_t pid, const Options& options);
  // start() in two halves, so that the caller can work while slirp4netns sets itself up:
  // spawn() returns at once, wait_ready() waits for tap0 (throwing as start() does).
  static Slirp4netns spawn(pid_t pid, const Options& options);
  void wait_ready();
  // The ready pipe's read end until wait_ready() or ready_seen() (else -1), for a process that
  // waits for the byte itself (the container, right before its exec); it then calls
  // ready_seen(), after which wait_ready() returns at once.
  int ready_fd() const noexcept { return m_ready.get(); }
  void ready_seen() noexcept { m_ready.reset(); }

  Slirp4netns(Slirp4netns&&) noexcept = default;
  Slirp4netns& operator=(Slirp4netns&&) = delete;
  Slirp4netns(const Slirp4netns&) = delete;
  Slirp4netns& operator=(const Slirp4netns&) = delete;
  // Closes the exit-fd (slirp4netns exits by itself) and reaps it. If cove dies instead, the
  // kernel closes the exit-fd and slirp4netns exits all the same.
  ~Slirp4netns();


private:
  Slirp4netns(util::Subprocess process, util::UniqueFd exit_fd)
      : m_process(std::move(process)), m_exit_fd(std::move(exit_fd)) {}
  std::optional<util::Subprocess> m_process;
  util::UniqueFd m_exit_fd;
  bool m_logged = false; // output in a log file: stopping does not wait for the exit
  util::UniqueFd m_ready;           // until wait_ready(): the ready pipe's read end
  pid_t m_target = 0;               // for messages
  std::filesystem::path m_log_file; // for messages
};

} // namespace net
