#include "storage/store.hpp"

#include "storage/tmp_entry.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/strings.hpp"

#include <sys/stat.h>

#include <cerrno>

namespace storage {

namespace {
std::filesystem::path prepare_root(std::filesystem::path root) {
  struct stat st{};
  if (::stat(root.c_str(), &st) < 0) {
    // Private: the tree holds other users' files mapped through our subuids.
    util::make_dirs(root.parent_path(), 0700);
    if (::mkdir(root.c_str(), 0700) < 0 && errno != EEXIST)
      util::throw_errno(util::cat("create storage directory ", util::quote(root.string())));
  }
  for (const char* sub : {"blobs/sha256", "layers", "l", "tmp", "containers", "names"})
    util::make_dirs(root / sub, 0700);
  clean_stale_tmp(root / "tmp");
  return root;
}
} // namespace

Store::Store(std::filesystem::path root)
    : m_root(prepare_root(std::move(root))), m_blobs(m_root), m_layers(m_root), m_images(m_root),
      m_containers(m_root) {}

util::FileLock Store::lock_metadata() const {
  return util::FileLock(m_root / "meta.lock", util::LockMode::exclusive);
}

} // namespace storage
