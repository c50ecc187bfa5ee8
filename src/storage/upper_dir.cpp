#include "storage/upper_dir.hpp"

#include "storage/whiteout.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/strings.hpp"

#include <fcntl.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include <algorithm>
#include <vector>

namespace storage {
namespace fs = std::filesystem;
namespace {

bool has_opaque_xattr(const fs::path& dir) {
  char value[4] = {};
  for (const char* name : {overlay_opaque_xattr, fuse_overlay_opaque_xattr, trusted_opaque_xattr})
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

void walk_dir(const fs::path& dir, const std::string& rel,
              const std::function<void(const UpperEntry&)>& visit) {
  for (const std::string& name : sorted_names(dir)) {
    UpperEntry e;
    e.source = dir / name;
    e.path = rel.empty() ? name : util::cat(rel, "/", name);
    if (::lstat(e.source.c_str(), &e.st) < 0)
      util::throw_errno(util::cat("lstat ", util::quote(e.source.string())));
    if (name == opaque_marker)
      continue; // fuse-overlayfs's marker: reported as the directory's `opaque`
    if (S_ISREG(e.st.st_mode) && name.starts_with(whiteout_prefix) && name.size() > whiteout_prefix.size()) {
      // fuse-overlayfs's fallback whiteout: ".wh.NAME" deletes NAME.
      std::string target = name.substr(whiteout_prefix.size());
      e.path = rel.empty() ? target : util::cat(rel, "/", target);
      e.whiteout = true;
      visit(e);
      continue;
    }
    if (runtime_mount_point(e.path, e.st))
      continue;
    e.whiteout = S_ISCHR(e.st.st_mode) && e.st.st_rdev == makedev(0, 0);
    if (S_ISDIR(e.st.st_mode)) {
      struct stat marker {};
      e.opaque = has_opaque_xattr(e.source) ||
                 ::lstat((e.source / std::string(opaque_marker)).c_str(), &marker) == 0;
      visit(e);
      walk_dir(e.source, e.path, visit);
      continue;
    }
    visit(e);
  }
}

EntryMeta meta_of(const struct stat& st) {
  return EntryMeta{st.st_uid, st.st_gid, static_cast<unsigned>(st.st_mode & 07777), st.st_mtime};
}

} // namespace

// Files the runtime creates as mount points in every container; they are not the container's work.
bool runtime_mount_point(const std::string& rel, const struct stat& st) {
  if (rel == "proc" || rel == "sys" || rel == "dev" || rel.starts_with("dev/"))
    return true;
  return S_ISREG(st.st_mode) && st.st_size == 0 &&
         (rel == "etc/hosts" || rel == "etc/hostname" || rel == "etc/resolv.conf" ||
          rel == ".containerenv");
}

void walk_upper(const fs::path& upper, const std::function<void(const UpperEntry&)>& visit) {
  walk_dir(upper, "", visit);
}

void write_upper_layer(const fs::path& upper, TarWriter& tar) {
  walk_upper(upper, [&](const UpperEntry& e) {
    const struct stat& st = e.st;
    if (e.whiteout) {
      tar.add_bytes(whiteout_entry_name(e.path), "", EntryMeta{0, 0, 0644, st.st_mtime});
    } else if (S_ISDIR(st.st_mode)) {
      tar.add_dir(e.path, meta_of(st));
      if (e.opaque)
        tar.add_bytes(opaque_entry_name(e.path), "", EntryMeta{0, 0, 0644, st.st_mtime});
    } else if (S_ISLNK(st.st_mode)) {
      tar.add_symlink(e.path, fs::read_symlink(e.source).string(), meta_of(st));
    } else if (S_ISREG(st.st_mode)) {
      util::UniqueFd fd(::open(e.source.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
      if (!fd)
        util::throw_errno(util::cat("open ", util::quote(e.source.string())));
      tar.add_file(e.path, fd.get(), st.st_size, meta_of(st));
    } else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) || S_ISFIFO(st.st_mode)) {
      tar.add_node(e.path, st.st_mode & S_IFMT, st.st_rdev, meta_of(st));
    }
  });
}

} // namespace storage
