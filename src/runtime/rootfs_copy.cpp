#include "runtime/rootfs_copy.hpp"

#include "storage/store.hpp"
#include "storage/tmp_entry.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/fs.hpp"
#include "util/log.hpp"
#include "util/strings.hpp"

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <unordered_map>
#include <utility>

namespace runtime {

namespace fs = std::filesystem;
using util::cat;
using util::quote;

namespace {

// Whiteouts in the store are 0/0 character devices, as overlayfs itself writes them.
bool is_whiteout(const struct stat& st) {
  return S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0);
}

bool is_overlay_xattr(std::string_view name) {
  return name.starts_with("user.overlay.") || name.starts_with("trusted.overlay.") ||
         name.starts_with("user.fuseoverlayfs.");
}

bool is_opaque(const std::string& dir) {
  for (const char* name :
       {"user.overlay.opaque", "trusted.overlay.opaque", "user.fuseoverlayfs.opaque"}) {
    char value[2] = {};
    if (::lgetxattr(dir.c_str(), name, value, sizeof value) == 1 && value[0] == 'y')
      return true;
  }
  return false;
}

// Names first, so the caller may change the directory while going through them.
std::vector<std::string> list_dir(const std::string& dir) {
  std::vector<std::string> names;
  for (const fs::directory_entry& entry : fs::directory_iterator(dir))
    names.push_back(entry.path().filename().string());
  return names;
}

void copy_xattrs(const std::string& src, const std::string& dst) {
  ssize_t size = ::llistxattr(src.c_str(), nullptr, 0);
  if (size <= 0)
    return;
  std::string names(static_cast<size_t>(size), '\0');
  size = ::llistxattr(src.c_str(), names.data(), names.size());
  names.resize(size > 0 ? static_cast<size_t>(size) : 0);
  for (const std::string& name : util::split(names, '\0')) {
    if (name.empty() || is_overlay_xattr(name))
      continue;
    ssize_t len = ::lgetxattr(src.c_str(), name.c_str(), nullptr, 0);
    std::string value(len > 0 ? static_cast<size_t>(len) : 0, '\0');
    if (len < 0 || ::lgetxattr(src.c_str(), name.c_str(), value.data(), value.size()) < 0)
      util::throw_errno(cat("read xattr ", name, " of ", quote(src)));
    if (::lsetxattr(dst.c_str(), name.c_str(), value.data(), value.size(), 0) < 0)
      util::throw_errno(cat("set xattr ", name, " on ", quote(dst)));
  }
}

// Owner before mode: chown clears setuid/setgid bits.
void copy_metadata(const std::string& src, const std::string& dst, const struct stat& st) {
  // EINVAL: the owner is not mapped in this namespace (single-id mapping), so it stays root.
  if (::lchown(dst.c_str(), st.st_uid, st.st_gid) < 0 && errno != EINVAL)
    util::throw_errno(cat("chown ", quote(dst)));
  if (!S_ISLNK(st.st_mode) && ::chmod(dst.c_str(), st.st_mode & 07777) < 0)
    util::throw_errno(cat("chmod ", quote(dst)));
  copy_xattrs(src, dst);
  const timespec times[2] = {st.st_atim, st.st_mtim};
  if (::utimensat(AT_FDCWD, dst.c_str(), times, AT_SYMLINK_NOFOLLOW) < 0)
    util::throw_errno(cat("set times of ", quote(dst)));
}

// A reflink where the filesystem shares extents (btrfs, xfs), else copy_file_range (in-kernel,
// no user-space buffer), else plain read/write across filesystems that refuse both.
void copy_file_data(const std::string& src, const std::string& dst) {
  util::UniqueFd in(::open(src.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (!in)
    util::throw_errno(cat("open ", quote(src)));
  util::UniqueFd out(
      ::open(dst.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!out)
    util::throw_errno(cat("create ", quote(dst)));
  if (::ioctl(out.get(), FICLONE, in.get()) == 0)
    return;
  ssize_t n;
  while ((n = ::copy_file_range(in.get(), nullptr, out.get(), nullptr, 1 << 30, 0)) > 0) {
  }
  if (n == 0)
    return;
  if (errno != EXDEV && errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP)
    util::throw_errno(cat("copy ", quote(src), " to ", quote(dst)));
  char buf[65536];
  while ((n = ::read(in.get(), buf, sizeof buf)) != 0) {
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 || ::write(out.get(), buf, static_cast<size_t>(n)) != n)
      util::throw_errno(cat("copy ", quote(src), " to ", quote(dst)));
  }
}

// Applies overlay-form layers onto a plain directory, bottom layer first, with overlay's rules:
// a 0/0 char device deletes the lower entry, an opaque directory hides the lower contents, and
// any entry replaces a lower one of another type.
class LayerApplier {
public:
  void apply(const fs::path& layer, const fs::path& dest) {
    m_links.clear(); // hard links never span layers
    apply_dir(layer.string(), dest.string());
  }

private:
  void apply_dir(const std::string& src, const std::string& dst) {
    for (const std::string& name : list_dir(src)) {
      std::string s = cat(src, '/', name);
      std::string d = cat(dst, '/', name);
      struct stat st{};
      if (::lstat(s.c_str(), &st) < 0)
        util::throw_errno(cat("stat ", quote(s)));
      if (is_whiteout(st)) {
        util::remove_tree(d);
      } else if (S_ISDIR(st.st_mode)) {
        merge_dir(s, d, st);
      } else {
        util::remove_tree(d);
        create_entry(s, d, st);
      }
    }
  }

  // Only ever descends into real directories of the destination (lstat), so a symlink from a
  // lower layer cannot redirect writes outside the rootfs.
  void merge_dir(const std::string& s, const std::string& d, const struct stat& st) {
    struct stat dst_st{};
    bool exists = ::lstat(d.c_str(), &dst_st) == 0;
    if (exists && !S_ISDIR(dst_st.st_mode)) {
      util::remove_tree(d);
      exists = false;
    }
    if (!exists) {
      if (::mkdir(d.c_str(), 0700) < 0)
        util::throw_errno(cat("create directory ", quote(d)));
    } else if (is_opaque(s)) {
      for (const std::string& child : list_dir(d))
        util::remove_tree(cat(d, '/', child));
    }
    apply_dir(s, d);
    copy_metadata(s, d, st); // last: adding children changed the mtime
  }

  void create_entry(const std::string& s, const std::string& d, const struct stat& st) {
    if (S_ISREG(st.st_mode) && st.st_nlink > 1) {
      auto [it, first] = m_links.emplace(st.st_ino, d);
      if (!first) {
        if (::link(it->second.c_str(), d.c_str()) < 0)
          util::throw_errno(cat("link ", quote(d), " to ", quote(it->second)));
        return;
      }
    }
    if (S_ISREG(st.st_mode)) {
      copy_file_data(s, d);
    } else if (S_ISLNK(st.st_mode)) {
      std::string target(static_cast<size_t>(st.st_size) + 1, '\0');
      ssize_t n = ::readlink(s.c_str(), target.data(), target.size());
      if (n < 0)
        util::throw_errno(cat("read link ", quote(s)));
      target.resize(static_cast<size_t>(n));
      if (::symlink(target.c_str(), d.c_str()) < 0)
        util::throw_errno(cat("create symlink ", quote(d)));
    } else if (::mknod(d.c_str(), st.st_mode, st.st_rdev) < 0) {
      util::throw_errno(cat("create special file ", quote(d)));
    }
    copy_metadata(s, d, st);
  }

  std::unordered_map<ino_t, std::string> m_links;
};

} // namespace

// The copy driver fills rootfs/ once, through a partial directory renamed at the end, so an
// interrupted first start never leaves a half-applied tree that a later start would trust.
fs::path prepare_copy(const storage::Store& store, const std::vector<image::Digest>& layers,
                      const fs::path& container_dir) {
  fs::path rootfs = container_dir / "rootfs";
  if (fs::is_directory(rootfs))
    return rootfs;
  fs::path partial = container_dir / "rootfs.partial";
  util::remove_tree(partial);
  util::make_dirs(partial, 0755);
  LayerApplier applier;
  for (const image::Digest& layer : layers)
    applier.apply(store.layers().diff_dir(layer), partial);
  if (::rename(partial.c_str(), rootfs.c_str()) < 0)
    util::throw_errno(cat("rename ", quote(partial.string()), " to ", quote(rootfs.string())));
  LOG_DEBUG("copied ", layers.size(), " layers into ", rootfs.string());
  return rootfs;
}
} // namespace runtime
