// `cove build --ssh default|ID[=SOCKET]`: which ssh-agent socket each RUN --mount=type=ssh id
// reaches, parsed at the edge (Docker's semantics: no path means $SSH_AUTH_SOCK).
#pragma once
#include "build/secrets.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace build {

// One --ssh value: an id and the agent socket behind it.
struct SshSource {
  std::string id;
  std::string socket; // absolute path of a Unix socket
  friend bool operator==(const SshSource&, const SshSource&) = default;
};

// Parses `ID` or `ID=PATH` (`default` is an id like any other). Without a path the socket is
// $SSH_AUTH_SOCK from `lookup`. The path must be a Unix socket: key files, which Docker loads
// into an agent of its own, are refused. Throws util::Error quoting the value.
SshSource parse_ssh_flag(std::string_view text, const SecretEnvLookup& lookup);

// The source given for `id`, if any (the last one wins).
const SshSource* find_ssh(const std::vector<SshSource>& sources, std::string_view id);

} // namespace build
