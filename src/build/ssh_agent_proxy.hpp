// RUN --mount=type=ssh on the host side: a Unix socket of the build's own, owned and moded as the
// mount asks, whose connections a forked helper forwards to the user's ssh-agent. The agent's own
// socket is never exposed or changed, and nothing of it is written to a layer.
#pragma once
#include "storage/tmp_entry.hpp"
#include "util/fd.hpp"

#include <sys/types.h>

#include <filesystem>
#include <string>

namespace build {

class SshAgentProxy {
public:
  // Listens on a fresh directory of the store's `tmp_dir` (the socket chowned to `uid`:`gid` of
  // cove's namespace, with `mode`) and forks the forwarder to `agent_socket`. Throws util::Error.
  SshAgentProxy(const std::filesystem::path& tmp_dir, const std::string& agent_socket, unsigned mode, uid_t uid,
                gid_t gid);
  SshAgentProxy(SshAgentProxy&& other) noexcept;
  SshAgentProxy& operator=(SshAgentProxy&&) = delete;
  // Kills and reaps the forwarder, then removes the socket and its directory.
  ~SshAgentProxy();

  // The socket to bind into the RUN container.
  std::filesystem::path socket() const { return m_dir.path() / "agent"; }

private:
  storage::TmpEntry m_dir;
  util::UniqueFd m_listen;
  pid_t m_pid = -1;
};

} // namespace build
