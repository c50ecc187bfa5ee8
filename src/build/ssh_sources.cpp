#include "build/ssh_sources.hpp"

#include "util/error.hpp"
#include "util/strings.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace build {

SshSource parse_ssh_flag(std::string_view text, const SecretEnvLookup& lookup) {
  auto what = util::cat("--ssh ", util::quote(text));
  auto eq = text.find('=');
  SshSource s{std::string(text.substr(0, eq)), ""};
  if (s.id.empty())
    throw util::Error(util::cat(what, ": expected default or ID[=SOCKET]"));
  if (eq != std::string_view::npos) {
    s.socket = std::string(text.substr(eq + 1));
    if (s.socket.empty())
      throw util::Error(util::cat(what, ": the socket path after = is empty"));
    if (s.socket.find(',') != std::string::npos)
      throw util::Error(util::cat(what, ": one agent socket per id (several keys or sockets are not supported)"));
  } else {
    auto env = lookup("SSH_AUTH_SOCK");
    if (!env || env->empty())
      throw util::Error(util::cat(what, ": SSH_AUTH_SOCK is not set (start ssh-agent or pass ", s.id, "=SOCKET)"));
    s.socket = *env;
  }
  struct stat st {};
  if (::stat(s.socket.c_str(), &st) < 0)
    throw util::Error(util::cat(what, ": ", util::quote(s.socket), ": ", std::strerror(errno)));
  if (!S_ISSOCK(st.st_mode))
    throw util::Error(util::cat(what, ": ", util::quote(s.socket),
                                " is not a socket (key files are not supported: add the key to ssh-agent and pass "
                                "its socket)"));
  s.socket = std::filesystem::absolute(s.socket).string();
  return s;
}

const SshSource* find_ssh(const std::vector<SshSource>& sources, std::string_view id) {
  const SshSource* found = nullptr;
  for (const auto& s : sources)
    if (s.id == id)
      found = &s;
  return found;
}

} // namespace build
