#include "util/paths.hpp"

#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/strings.hpp"

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <sstream>

namespace util::paths {

namespace {
std::filesystem::path env_path(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value != '/')
    return {};
  return value;
}
} // namespace

uid_t host_uid() {
  static const uid_t cached = [] {
    uid_t uid = ::getuid();
    auto map = read_file_if_exists("/proc/self/uid_map");
    if (!map)
      return uid;
    std::istringstream lines(*map);
    unsigned long inside = 0, outside = 0, count = 0;
    while (lines >> inside >> outside >> count) {
      if (uid >= inside && uid - inside < count)
        return static_cast<uid_t>(outside + (uid - inside));
    }
    return uid;
  }();
  return cached;
}

bool rootless() {
  return host_uid() != 0;
}

std::filesystem::path home() {
  if (auto h = env_path("HOME"); !h.empty())
    return h;
  // The host user's: inside cove's user namespace getuid() is 0, whose home is root's.
  if (const passwd* pw = ::getpwuid(host_uid()); pw != nullptr && pw->pw_dir != nullptr)
    return pw->pw_dir;
  throw Error("cannot find the home directory: set HOME");
}

std::filesystem::path config_home() {
  if (auto c = env_path("XDG_CONFIG_HOME"); !c.empty())
    return c;
  return home() / ".config";
}

std::filesystem::path default_storage_root() {
  if (!rootless())
    return "/var/lib/cove/storage";
  if (auto d = env_path("XDG_DATA_HOME"); !d.empty())
    return d / "cove" / "storage";
  return home() / ".local" / "share" / "cove" / "storage";
}

std::filesystem::path default_runtime_root() {
  if (!rootless())
    return "/run/cove";
  if (auto r = env_path("XDG_RUNTIME_DIR"); !r.empty()) {
    struct stat st{};
    // Inside our user namespace the host owner shows as uid 0, outside as the host uid.
    if (::stat(r.c_str(), &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == ::getuid() &&
        ::access(r.c_str(), W_OK) == 0)
      return r / "cove";
  }
  return cat("/tmp/cove-run-", host_uid());
}

void ensure_private_dir(const std::filesystem::path& dir) {
  if (::mkdir(dir.c_str(), 0700) < 0 && errno != EEXIST) {
    if (errno == ENOENT) {
      make_dirs(dir.parent_path(), 0755);
      if (::mkdir(dir.c_str(), 0700) == 0 || errno == EEXIST)
        return ensure_private_dir(dir);
    }
    throw_errno(cat("create runtime directory ", quote(dir.string())));
  }
  struct stat st{};
  if (::lstat(dir.c_str(), &st) < 0)
    throw_errno(cat("stat runtime directory ", quote(dir.string())));
  if (!S_ISDIR(st.st_mode) || st.st_uid != ::getuid())
    throw Error(cat("runtime directory ", quote(dir.string()),
                    " is not a directory owned by the current user; remove it or pass --runroot"));
  if ((st.st_mode & 0077) != 0 && ::chmod(dir.c_str(), 0700) < 0)
    throw_errno(cat("chmod 0700 ", quote(dir.string())));
}

} // namespace util::paths
