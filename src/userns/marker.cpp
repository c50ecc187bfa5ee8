#include "userns/marker.hpp"

#include "util/error.hpp"

#include <sys/mount.h>
#include <sys/stat.h>

#include <cstdlib>
#include <string>

namespace userns {

namespace {

constexpr const char* marker = "COVE_USERNS";

std::string mount_namespace_id() {
  struct stat st{};
  if (::stat("/proc/self/ns/mnt", &st) < 0)
    util::throw_errno("stat \"/proc/self/ns/mnt\"");
  return std::to_string(st.st_ino);
}

} // namespace

bool marked_inside() {
  const char* value = std::getenv(marker);
  return value != nullptr && value == mount_namespace_id();
}

void mark_inside() {
  ::setenv(marker, mount_namespace_id().c_str(), 1);
}

void make_mounts_private() {
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) < 0)
    util::throw_errno("make the mount namespace private (mount --make-rprivate /)");
}

} // namespace userns
