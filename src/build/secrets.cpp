#include "build/secrets.hpp"

#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/fs.hpp"
#include "util/log.hpp"
#include "util/strings.hpp"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

namespace build {

std::optional<std::string> process_env(const std::string& name) {
  const char* value = std::getenv(name.c_str());
  return value ? std::optional<std::string>(value) : std::nullopt;
}

SecretSource parse_secret_flag(std::string_view text, const SecretEnvLookup& lookup) {
  SecretSource s;
  std::string type, src, env;
  for (const auto& field : util::split(text, ',')) {
    auto eq = field.find('=');
    if (eq == std::string::npos)
      throw util::Error(util::cat("--secret ", util::quote(text), ": field ", util::quote(field),
                                  " must be a key=value pair"));
    auto key = util::to_lower(field.substr(0, eq));
    auto value = field.substr(eq + 1);
    if (key == "id")
      s.id = value;
    else if (key == "type")
      type = value;
    else if (key == "src" || key == "source")
      src = value;
    else if (key == "env")
      env = value;
    else
      throw util::Error(util::cat("--secret ", util::quote(text), ": unknown key ", util::quote(key),
                                  " (id, type, src, env)"));
  }
  if (s.id.empty())
    throw util::Error(util::cat("--secret ", util::quote(text), ": id= is required"));
  if (!type.empty() && type != "file" && type != "env")
    throw util::Error(util::cat("--secret ", util::quote(text), ": type=", type, " is not file or env"));
  if (type == "env" && env.empty())
    std::swap(env, src); // `type=env,src=VAR` names the variable
  if (!src.empty() && !env.empty())
    throw util::Error(util::cat("--secret ", util::quote(text), ": give src= or env=, not both"));
  if (!env.empty() || (type == "env" && src.empty())) {
    s.kind = SecretSource::Kind::env;
    s.location = env.empty() ? s.id : env;
  } else if (!src.empty()) {
    s.location = src;
  } else if (type != "file" && lookup(s.id)) {
    s.kind = SecretSource::Kind::env;
    s.location = s.id;
  } else {
    s.location = s.id;
  }
  return s;
}

std::string read_secret(const SecretSource& source, const SecretEnvLookup& lookup) {
  if (source.kind == SecretSource::Kind::env) {
    auto value = lookup(source.location);
    if (!value)
      throw util::Error(util::cat("secret ", util::quote(source.id), ": environment variable ", source.location,
                                  " is not set"));
    return *value;
  }
  try {
    return util::read_file(source.location);
  } catch (const util::Error&) {
    util::rethrow_with_context(util::cat("secret ", util::quote(source.id)));
  }
}

const SecretSource* find_secret(const std::vector<SecretSource>& secrets, std::string_view id) {
  const SecretSource* found = nullptr;
  for (const auto& s : secrets)
    if (s.id == id)
      found = &s;
  return found;
}

StagedSecret::StagedSecret(const std::filesystem::path& tmp_dir, std::string_view id, std::string_view value,
                           unsigned mode, uid_t uid, gid_t gid)
    : m_dir(tmp_dir, "secret-") {
  auto what = util::cat("secret ", util::quote(id));
  util::make_dirs(m_dir.path(), 0700);
  // Sized for the value plus the inode; tmpfs rounds up to pages.
  auto data = util::cat("mode=0700,size=", value.size() / 1024 + 16, "k");
  if (::mount("tmpfs", m_dir.path().c_str(), "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, data.c_str()) < 0)
    util::throw_errno(util::cat(what, ": mount tmpfs on ", util::quote(m_dir.path().string())));
  m_tmpfs.emplace(m_dir.path());
  auto path = file();
  util::UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (!fd)
    util::throw_errno(util::cat(what, ": create ", util::quote(path.string())));
  for (std::size_t done = 0; done < value.size();) {
    auto n = ::write(fd.get(), value.data() + done, value.size() - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      util::throw_errno(util::cat(what, ": write ", util::quote(path.string())));
    done += static_cast<std::size_t>(n);
  }
  if (::fchown(fd.get(), uid, gid) < 0)
    util::throw_errno(util::cat(what, ": chown to ", uid, ":", gid, " (is that id mapped?)"));
  if (::fchmod(fd.get(), mode) < 0)
    util::throw_errno(util::cat(what, ": chmod ", util::quote(path.string())));
}

StagedSecret::Tmpfs::~Tmpfs() {
  if (!path.empty() && ::umount2(path.c_str(), MNT_DETACH) < 0)
    util::log::warning("unmount secret tmpfs ", util::quote(path.string()), ": ", std::strerror(errno));
}

} // namespace build
