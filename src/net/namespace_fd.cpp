#include "net/namespace_fd.hpp"

#include "util/error.hpp"
#include "util/strings.hpp"

#include <fcntl.h>

#include <string>

namespace net {

util::UniqueFd open_namespace(pid_t pid, std::string_view kind) {
  std::string path = util::cat("/proc/", pid, "/ns/", kind);
  util::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd)
    util::throw_errno(util::cat("open ", util::quote(path)));
  return fd;
}

} // namespace net
