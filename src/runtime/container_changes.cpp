#include "runtime/container_changes.hpp"

#include "image/config.hpp"
#include "runtime/copy_changes.hpp"
#include "storage/store.hpp"
#include "storage/upper_dir.hpp"
#include "storage/whiteout.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"

#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>


namespace runtime {
namespace fs = std::filesystem;
namespace {

bool is_whiteout(const struct stat& st) {
  return S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0);
}

bool is_opaque(const fs::path& dir) {
  char value[4] = {};
  for (const char* name : {storage::overlay_opaque_xattr, storage::fuse_overlay_opaque_xattr,
                           storage::trusted_opaque_xattr})
    if (::lgetxattr(dir.c_str(), name, value, sizeof value) == 1 && value[0] == 'y')
      return true;
  return false;
}

enum class Verdict { present, hidden, unknown };

// What one layer says about `rel`: present, hidden (a whiteout of it or of a parent, a parent
// that is opaque or not a directory), or nothing (ask the layer below).
Verdict layer_verdict(const fs::path& layer, const std::string& rel) {
  struct stat st {};
  if (::lstat((layer / rel).c_str(), &st) == 0)
    return is_whiteout(st) ? Verdict::hidden : Verdict::present;
  fs::path prefix = layer;
  std::vector<std::string> parts = util::split(rel, '/');
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    prefix /= parts[i];
    if (::lstat(prefix.c_str(), &st) < 0)
      return Verdict::unknown;
    if (!S_ISDIR(st.st_mode))
      return Verdict::hidden;
    if (is_opaque(prefix))
      return Verdict::hidden;
  }
  return Verdict::unknown;
}

} // namespace

char change_letter(ChangeKind kind) {
  switch (kind) {
  case ChangeKind::added:
    return 'A';
  case ChangeKind::changed:
    return 'C';
  case ChangeKind::deleted:
    return 'D';
  }
  return '?';
}

bool layers_have(const std::vector<fs::path>& layers, const std::string& rel) {
  for (const fs::path& layer : layers) {
    Verdict v = layer_verdict(layer, rel);
    if (v != Verdict::unknown)
      return v == Verdict::present;
  }
  return false;
}

std::vector<Change> upper_changes(const fs::path& upper,
                                  const std::function<bool(const std::string&)>& in_lower) {
  std::vector<Change> changes;
  storage::walk_upper(upper, [&](const storage::UpperEntry& e) {
    ChangeKind kind = ChangeKind::added;
    if (e.whiteout)
      kind = ChangeKind::deleted;
    else if (in_lower(e.path))
      kind = ChangeKind::changed;
    changes.push_back({kind, "/" + e.path});
  });
  return changes;
}

namespace {

// The image's layer directories, top first.
std::vector<fs::path> lower_layers(const storage::Store& store, const storage::ContainerRecord& record) {
  image::ImageConfig config = image::ImageConfig::from_json(store.blobs().read(record.image_id));
  std::vector<fs::path> layers;
  for (auto it = config.diff_ids.rbegin(); it != config.diff_ids.rend(); ++it)
    layers.push_back(store.layers().diff_dir(*it));
  return layers;
}

bool uses_copy(const storage::ContainerRecord& record, const fs::path& dir) {
  return record.driver == "copy" || (!fs::exists(dir / "upper") && fs::exists(dir / "rootfs"));
}

} // namespace

std::vector<Change> container_changes(const storage::Store& store,
                                      const storage::ContainerRecord& record) {
  try {
    const fs::path dir = store.containers().dir(record.id);
    if (uses_copy(record, dir))
      return fs::exists(dir / "rootfs") ? rootfs_changes(dir / "rootfs", lower_layers(store, record))
                                        : std::vector<Change>{};
    if (!fs::exists(dir / "upper"))
      return {}; // created, never started
    std::vector<fs::path> layers = lower_layers(store, record);
    return upper_changes(dir / "upper",
                         [&](const std::string& rel) { return layers_have(layers, rel); });
  } catch (...) {
    util::rethrow_with_context(util::cat("container ", record.name));
  }
}

void write_container_layer(const storage::Store& store, const storage::ContainerRecord& record,
                           storage::TarWriter& tar) {
  const fs::path dir = store.containers().dir(record.id);
  if (uses_copy(record, dir)) {
    if (fs::exists(dir / "rootfs"))
      write_changes_layer(dir / "rootfs", rootfs_changes(dir / "rootfs", lower_layers(store, record)), tar);
  } else if (fs::exists(dir / "upper")) {
    storage::write_upper_layer(dir / "upper", tar);
  }
}

} // namespace runtime
