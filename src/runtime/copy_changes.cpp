#include "runtime/copy_changes.hpp"

#include "storage/tar_writer.hpp"
#include "storage/upper_dir.hpp"
#include "storage/whiteout.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/strings.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include <algorithm>
#include <optional>
#include <set>

namespace runtime {
namespace fs = std::filesystem;
namespace {

using util::cat;
using util::quote;

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

std::vector<std::string> sorted_names(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir))
    names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

std::string join(const std::string& rel, const std::string& name) {
  return rel.empty() ? name : cat(rel, "/", name);
}

// The merged view of the image's layers, top first.
class LowerView {
public:
  explicit LowerView(const std::vector<fs::path>& layers) : m_layers(layers) {}

  // The topmost visible entry at `rel`.
  std::optional<struct stat> entry(const std::string& rel, fs::path* where) const {
    for (const fs::path& layer : m_layers) {
      struct stat st {};
      if (::lstat((layer / rel).c_str(), &st) == 0) {
        if (is_whiteout(st))
          return std::nullopt;
        if (where != nullptr)
          *where = layer / rel;
        return st;
      }
      if (hidden_below(layer, rel))
        return std::nullopt;
    }
    return std::nullopt;
  }

  // The names visible in directory `rel` ("" is the root).
  std::set<std::string> names(const std::string& rel) const {
    std::set<std::string> visible, hidden;
    for (const fs::path& layer : m_layers) {
      fs::path dir = rel.empty() ? layer : layer / rel;
      struct stat st {};
      if (::lstat(dir.c_str(), &st) < 0) {
        if (!rel.empty() && hidden_below(layer, rel))
          break;
        continue;
      }
      if (!S_ISDIR(st.st_mode))
        break;
      for (const std::string& name : sorted_names(dir)) {
        struct stat child {};
        if (::lstat((dir / name).c_str(), &child) == 0 && is_whiteout(child))
          hidden.insert(name);
        else if (!hidden.count(name))
          visible.insert(name);
      }
      if (is_opaque(dir))
        break;
    }
    return visible;
  }

private:
  // True when a parent of `rel` in `layer` hides the layers below (a whiteout, a non-directory,
  // an opaque directory).
  static bool hidden_below(const fs::path& layer, const std::string& rel) {
    fs::path prefix = layer;
    std::vector<std::string> parts = util::split(rel, '/');
    for (size_t i = 0; i + 1 < parts.size(); ++i) {
      prefix /= parts[i];
      struct stat st {};
      if (::lstat(prefix.c_str(), &st) < 0)
        return false;
      if (!S_ISDIR(st.st_mode) || is_opaque(prefix))
        return true;
    }
    return false;
  }

  const std::vector<fs::path>& m_layers;
};

bool same_entry(const struct stat& a, const fs::path& a_path, const struct stat& b, const fs::path& b_path) {
  if ((a.st_mode & S_IFMT) != (b.st_mode & S_IFMT) || (a.st_mode & 07777) != (b.st_mode & 07777) ||
      a.st_uid != b.st_uid || a.st_gid != b.st_gid)
    return false;
  if (S_ISDIR(a.st_mode))
    return true; // a directory's times change with its contents; its changes are reported below
  if (a.st_size != b.st_size || a.st_mtim.tv_sec != b.st_mtim.tv_sec || a.st_mtim.tv_nsec != b.st_mtim.tv_nsec)
    return false;
  if (S_ISLNK(a.st_mode))
    return fs::read_symlink(a_path) == fs::read_symlink(b_path);
  if (S_ISCHR(a.st_mode) || S_ISBLK(a.st_mode))
    return a.st_rdev == b.st_rdev;
  return true;
}

class Comparer {
public:
  Comparer(const fs::path& rootfs, const std::vector<fs::path>& layers) : m_rootfs(rootfs), m_lower(layers) {}

  // Changes inside directory `rel`, appended to `out`.
  void compare_dir(const std::string& rel, std::vector<Change>& out) {
    fs::path dir = rel.empty() ? m_rootfs : m_rootfs / rel;
    std::vector<std::string> names = sorted_names(dir);
    for (const std::string& name : names)
      compare_entry(join(rel, name), out);
    for (const std::string& name : m_lower.names(rel))
      if (!std::binary_search(names.begin(), names.end(), name))
        out.push_back({ChangeKind::deleted, "/" + join(rel, name)});
  }

private:
  void compare_entry(const std::string& rel, std::vector<Change>& out) {
    fs::path path = m_rootfs / rel;
    struct stat st {};
    if (::lstat(path.c_str(), &st) < 0)
      util::throw_errno(cat("lstat ", quote(path.string())));
    if (storage::runtime_mount_point(rel, st))
      return;
    fs::path lower_path;
    std::optional<struct stat> lower = m_lower.entry(rel, &lower_path);
    if (!lower) {
      out.push_back({ChangeKind::added, "/" + rel});
      if (S_ISDIR(st.st_mode))
        add_all(rel, out);
      return;
    }
    if (S_ISDIR(st.st_mode) && S_ISDIR(lower->st_mode)) {
      std::vector<Change> inner;
      compare_dir(rel, inner);
      if (inner.empty() && same_entry(st, path, *lower, lower_path))
        return;
      out.push_back({ChangeKind::changed, "/" + rel});
      out.insert(out.end(), inner.begin(), inner.end());
      return;
    }
    if (same_entry(st, path, *lower, lower_path))
      return;
    out.push_back({ChangeKind::changed, "/" + rel});
    if (S_ISDIR(st.st_mode))
      add_all(rel, out); // a directory where the image has something else
  }

  void add_all(const std::string& rel, std::vector<Change>& out) {
    for (const std::string& name : sorted_names(m_rootfs / rel)) {
      std::string child = join(rel, name);
      struct stat st {};
      if (::lstat((m_rootfs / child).c_str(), &st) < 0 || storage::runtime_mount_point(child, st))
        continue;
      out.push_back({ChangeKind::added, "/" + child});
      if (S_ISDIR(st.st_mode))
        add_all(child, out);
    }
  }

  fs::path m_rootfs;
  LowerView m_lower;
};

storage::EntryMeta meta_of(const struct stat& st) {
  return storage::EntryMeta{st.st_uid, st.st_gid, static_cast<unsigned>(st.st_mode & 07777), st.st_mtime};
}

} // namespace

std::vector<Change> rootfs_changes(const fs::path& rootfs, const std::vector<fs::path>& layers) {
  std::vector<Change> changes;
  Comparer(rootfs, layers).compare_dir("", changes);
  return changes;
}

void write_changes_layer(const fs::path& rootfs, const std::vector<Change>& changes,
                         storage::TarWriter& tar) {
  for (const Change& change : changes) {
    std::string rel = change.path.substr(1);
    if (change.kind == ChangeKind::deleted) {
      tar.add_bytes(storage::whiteout_entry_name(rel), "", storage::EntryMeta{0, 0, 0644, 0});
      continue;
    }
    fs::path path = rootfs / rel;
    struct stat st {};
    if (::lstat(path.c_str(), &st) < 0)
      util::throw_errno(cat("lstat ", quote(path.string())));
    if (S_ISDIR(st.st_mode)) {
      tar.add_dir(rel, meta_of(st));
    } else if (S_ISLNK(st.st_mode)) {
      tar.add_symlink(rel, fs::read_symlink(path).string(), meta_of(st));
    } else if (S_ISREG(st.st_mode)) {
      util::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
      if (!fd)
        util::throw_errno(cat("open ", quote(path.string())));
      tar.add_file(rel, fd.get(), st.st_size, meta_of(st));
    } else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) || S_ISFIFO(st.st_mode)) {
      tar.add_node(rel, st.st_mode & S_IFMT, st.st_rdev, meta_of(st));
    }
  }
}

} // namespace runtime
