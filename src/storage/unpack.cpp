#include "storage/unpack.hpp"

#include "storage/archive_api.hpp"
#include "storage/layer_dir.hpp"
#include "storage/tar_path.hpp"
#include "storage/whiteout.hpp"
#include "util/error.hpp"
#include "util/log.hpp"
#include "util/strings.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <exception>
#include <memory>
#include <string>
#include <vector>

namespace storage {

namespace {

struct ArchiveReadDeleter {
  void operator()(archive* a) const noexcept { archive_api().read_free(a); }
};

// Shared by all unpacks of the process: one warning is enough for a whole pull.
std::atomic<bool> g_squash_warned{false};

// Directory metadata applied after all entries: creating entries would change mtimes, and a
// read-only mode would block creating them in the first place.
struct DeferredDir {
  std::string path;
  mode_t mode;
  timespec times[2];
};

bool skipped_xattr(std::string_view name) {
  // trusted.* and security.* need privileges we do not have in a user namespace; overlay's own
  // metadata must never come from an image, or a layer could forge opaque dirs or redirects.
  for (std::string_view prefix :
       {"trusted.", "security.", "user.overlay.", "user.fuseoverlayfs."}) {
    if (name.substr(0, prefix.size()) == prefix)
      return true;
  }
  return false;
}

class Extractor {
public:
  explicit Extractor(const std::filesystem::path& dest) : m_dir(dest) {}

  void extract(archive* a, archive_entry* entry);
  void finish();
  const UnpackStats& stats() const noexcept { return m_stats; }

private:
  void regular(archive* a, archive_entry* entry, int dfd, const std::string& base);
  void directory(archive_entry* entry, const std::string& path, int dfd, const std::string& base);
  void symlink(archive_entry* entry, int dfd, const std::string& base);
  void hardlink(archive_entry* entry, const std::string& path, int dfd, const std::string& base);
  void node(archive_entry* entry, int dfd, const std::string& base);
  void whiteout(const std::string& target);
  void opaque(const std::string& dir);
  void chown_entry(archive_entry* entry, int dfd, const std::string& base, int fd);
  void set_xattrs(archive_entry* entry, int fd);
  void defer_dir(archive_entry* entry, const std::string& path);

  LayerDir m_dir;
  UnpackStats m_stats;
  std::vector<DeferredDir> m_dirs;
  uid_t m_euid = ::geteuid();
  gid_t m_egid = ::getegid();
};

timespec entry_time(bool has, time_t sec, long nsec, const timespec& fallback) {
  if (!has)
    return fallback;
  return timespec{sec, nsec};
}

void entry_times(archive_entry* entry, timespec out[2]) {
  timespec mtime = entry_time(archive_api().entry_mtime_is_set(entry) != 0, archive_api().entry_mtime(entry),
                              archive_api().entry_mtime_nsec(entry), timespec{0, UTIME_OMIT});
  out[0] = entry_time(archive_api().entry_atime_is_set(entry) != 0, archive_api().entry_atime(entry),
                      archive_api().entry_atime_nsec(entry), mtime);
  out[1] = mtime;
}

void write_all_at(int fd, const char* data, size_t size, off_t offset) {
  while (size > 0) {
    ssize_t n = ::pwrite(fd, data, size, offset);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      util::throw_errno("write file data");
    }
    data += n;
    size -= static_cast<size_t>(n);
    offset += n;
  }
}

// Creates an entry with `create` (returns < 0 and sets errno on failure). Most entries are new,
// so creation is tried first and an existing entry is only examined (and replaced, as tar does)
// on EEXIST. Returns false when an existing directory was kept for a directory entry.
template <typename Create>
bool create_entry(LayerDir& dir, int dfd, const std::string& base, bool is_dir, Create create,
                  const char* what) {
  if (create() == 0)
    return true;
  if (errno != EEXIST)
    util::throw_errno(what);
  if (dir.clear_for(dfd, base, is_dir))
    return false;
  if (create() < 0)
    util::throw_errno(what);
  return true;
}

void Extractor::extract(archive* a, archive_entry* entry) {
  const char* raw = archive_api().entry_pathname(entry);
  std::string path = sanitize_entry_path(raw != nullptr ? raw : "");
  ++m_stats.entries;
  try {
    Whiteout w = classify_whiteout(path);
    if (w.kind == WhiteoutKind::file)
      return whiteout(w.target);
    if (w.kind == WhiteoutKind::opaque)
      return opaque(w.target);
    if (w.kind == WhiteoutKind::meta)
      return;
    if (path.empty()) { // the layer root itself ("./")
      if (archive_api().entry_filetype(entry) == AE_IFDIR) {
        chown_entry(entry, -1, path, m_dir.root_fd());
        defer_dir(entry, path);
      }
      return;
    }
    SplitPath split = split_entry_path(path);
    std::string base(split.base);
    int dfd = m_dir.dir(split.parent);
    if (archive_api().entry_hardlink(entry) != nullptr)
      return hardlink(entry, path, dfd, base);
    switch (archive_api().entry_filetype(entry)) {
    case AE_IFREG:
      return regular(a, entry, dfd, base);
    case AE_IFDIR:
      return directory(entry, path, dfd, base);
    case AE_IFLNK:
      return symlink(entry, dfd, base);
    case AE_IFCHR:
    case AE_IFBLK:
    case AE_IFIFO:
      return node(entry, dfd, base);
    default:
      LOG_DEBUG("unpack: skip entry ", util::quote(path), " of unsupported type");
    }
  } catch (...) {
    util::rethrow_with_context(util::cat("entry ", util::quote(raw != nullptr ? raw : "")));
  }
}

void Extractor::regular(archive* a, archive_entry* entry, int dfd, const std::string& base) {
  util::UniqueFd fd;
  create_entry(
      m_dir, dfd, base, false,
      [&] {
        fd.reset(::openat(dfd, base.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                          0600));
        return fd ? 0 : -1;
      },
      "create file");
  const void* buf = nullptr;
  size_t size = 0;
  la_int64_t offset = 0;
  la_int64_t end = 0;
  while (true) {
    int rc = archive_api().read_data_block(a, &buf, &size, &offset);
    if (rc == ARCHIVE_EOF)
      break;
    if (rc < ARCHIVE_WARN)
      throw util::Error(util::cat("read file data: ", archive_api().error_string(a)));
    write_all_at(fd.get(), static_cast<const char*>(buf), size, static_cast<off_t>(offset));
    end = offset + static_cast<la_int64_t>(size);
  }
  // Sparse files end in a hole that no data block covers.
  if (archive_api().entry_size_is_set(entry) != 0 && archive_api().entry_size(entry) > end &&
      ::ftruncate(fd.get(), static_cast<off_t>(archive_api().entry_size(entry))) < 0)
    util::throw_errno("extend sparse file");
  chown_entry(entry, dfd, base, fd.get());
  // After chown, which clears setuid/setgid.
  if (::fchmod(fd.get(), archive_api().entry_perm(entry)) < 0)
    util::throw_errno("chmod");
  set_xattrs(entry, fd.get());
  timespec times[2];
  entry_times(entry, times);
  if (::futimens(fd.get(), times) < 0)
    util::throw_errno("set times");
}

void Extractor::directory(archive_entry* entry, const std::string& path, int dfd,
                          const std::string& base) {
  create_entry(
      m_dir, dfd, base, true, [&] { return ::mkdirat(dfd, base.c_str(), 0700); },
      "create directory");
  chown_entry(entry, dfd, base, -1);
  if (archive_api().entry_xattr_count(entry) > 0) {
    util::UniqueFd fd(::openat(dfd, base.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd)
      util::throw_errno("open directory");
    set_xattrs(entry, fd.get());
  }
  defer_dir(entry, path);
}

void Extractor::symlink(archive_entry* entry, int dfd, const std::string& base) {
  const char* target = archive_api().entry_symlink(entry);
  if (target == nullptr || *target == '\0')
    throw util::Error("symlink with an empty target");
  // Stored verbatim: it is only ever resolved later inside the container's root, or by
  // LayerDir inside this layer.
  create_entry(
      m_dir, dfd, base, false, [&] { return ::symlinkat(target, dfd, base.c_str()); },
      "create symlink");
  chown_entry(entry, dfd, base, -1);
  timespec times[2];
  entry_times(entry, times);
  if (::utimensat(dfd, base.c_str(), times, AT_SYMLINK_NOFOLLOW) < 0)
    util::throw_errno("set times");
}

void Extractor::hardlink(archive_entry* entry, const std::string& path, int dfd,
                         const std::string& base) {
  std::string target = sanitize_entry_path(archive_api().entry_hardlink(entry));
  if (target == path)
    return;
  if (target.empty())
    throw util::Error("hardlink to the layer root");
  SplitPath split = split_entry_path(target);
  util::UniqueFd tdir = m_dir.open_existing(split.parent, O_RDONLY | O_DIRECTORY);
  if (!tdir)
    util::throw_errno(util::cat("hardlink target ", util::quote(target)));
  std::string tbase(split.base);
  // No AT_SYMLINK_FOLLOW: a target that is a symlink is linked as the symlink itself.
  std::string what = util::cat("hardlink to ", util::quote(target));
  create_entry(
      m_dir, dfd, base, false,
      [&] { return ::linkat(tdir.get(), tbase.c_str(), dfd, base.c_str(), 0); }, what.c_str());
}

void Extractor::node(archive_entry* entry, int dfd, const std::string& base) {
  mode_t type = static_cast<mode_t>(archive_api().entry_filetype(entry));
  dev_t dev = type == AE_IFIFO ? 0 : archive_api().entry_rdev(entry);
  int rc = ::mknodat(dfd, base.c_str(), type | 0600, dev);
  if (rc < 0 && errno == EEXIST) {
    m_dir.clear_for(dfd, base, false);
    rc = ::mknodat(dfd, base.c_str(), type | 0600, dev);
  }
  if (rc < 0) {
    if (errno == EPERM && type != AE_IFIFO) {
      if (!m_stats.devices_skipped)
        LOG_DEBUG("unpack: device nodes skipped (mknod not permitted), first: ", util::quote(base));
      m_stats.devices_skipped = true;
      return;
    }
    util::throw_errno("create device node");
  }
  chown_entry(entry, dfd, base, -1);
  if (::fchmodat(dfd, base.c_str(), archive_api().entry_perm(entry), 0) < 0)
    util::throw_errno("chmod");
  timespec times[2];
  entry_times(entry, times);
  if (::utimensat(dfd, base.c_str(), times, AT_SYMLINK_NOFOLLOW) < 0)
    util::throw_errno("set times");
}

void Extractor::whiteout(const std::string& target) {
  SplitPath split = split_entry_path(target);
  std::string base(split.base);
  int dfd = m_dir.dir(split.parent);
  std::string what = util::cat("create whiteout for ", util::quote(target));
  create_entry(
      m_dir, dfd, base, false,
      [&] { return ::mknodat(dfd, base.c_str(), S_IFCHR | 0, makedev(0, 0)); }, what.c_str());
}

void Extractor::opaque(const std::string& dir) {
  int fd = m_dir.dir(dir);
  for (const char* name : {overlay_opaque_xattr, fuse_overlay_opaque_xattr}) {
    if (::fsetxattr(fd, name, "y", 1, 0) < 0)
      util::throw_errno(util::cat("mark directory ", util::quote(dir), " opaque (", name, ")"));
  }
  // Only real root may write trusted.*; it lets a mount without userxattr see the marker too.
  if (::fsetxattr(fd, trusted_opaque_xattr, "y", 1, 0) < 0)
    LOG_DEBUG("unpack: ", trusted_opaque_xattr, " not set on ", util::quote(dir), ": ",
              std::strerror(errno));
}

void Extractor::chown_entry(archive_entry* entry, int dfd, const std::string& base, int fd) {
  auto uid = static_cast<uid_t>(archive_api().entry_uid(entry));
  auto gid = static_cast<gid_t>(archive_api().entry_gid(entry));
  if ((uid == m_euid && gid == m_egid) || m_stats.ownership_squashed)
    return;
  int rc = fd >= 0 ? ::fchown(fd, uid, gid)
                   : ::fchownat(dfd, base.c_str(), uid, gid, AT_SYMLINK_NOFOLLOW);
  if (rc == 0)
    return;
  if (errno != EINVAL)
    util::throw_errno(util::cat("chown to ", uid, ":", gid));
  // EINVAL: the id is not mapped in our user namespace (a single-id mapping).
  m_stats.ownership_squashed = true;
  if (!g_squash_warned.exchange(true))
    util::log::warning("files in the image are owned by ids not mapped in this user namespace; "
                       "they are stored as owned by root (add a range for your user to "
                       "/etc/subuid and /etc/subgid to keep them)");
}

void Extractor::set_xattrs(archive_entry* entry, int fd) {
  if (archive_api().entry_xattr_reset(entry) == 0)
    return;
  const char* name = nullptr;
  const void* value = nullptr;
  size_t size = 0;
  while (archive_api().entry_xattr_next(entry, &name, &value, &size) == ARCHIVE_OK) {
    if (skipped_xattr(name))
      continue;
    if (::fsetxattr(fd, name, value, size, 0) < 0) {
      if (errno != ENOTSUP && errno != EPERM)
        util::throw_errno(util::cat("set xattr ", name));
      LOG_DEBUG("unpack: xattr ", name, " not set: ", std::strerror(errno));
    }
  }
}

void Extractor::defer_dir(archive_entry* entry, const std::string& path) {
  DeferredDir d{path, static_cast<mode_t>(archive_api().entry_perm(entry)), {}};
  entry_times(entry, d.times);
  m_dirs.push_back(std::move(d));
}

void Extractor::finish() {
  for (const DeferredDir& d : m_dirs) {
    // O_NOFOLLOW: a directory later replaced by a symlink must not pass its mode on.
    util::UniqueFd fd = m_dir.open_existing(d.path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
    if (!fd)
      continue; // replaced or removed by a later entry
    if (::fchmod(fd.get(), d.mode) < 0 || ::futimens(fd.get(), d.times) < 0)
      util::throw_errno(util::cat("entry ", util::quote(d.path), ": set directory metadata"));
  }
}

// libarchive pulls bytes through this; exceptions must not cross its C frames.
struct ReadContext {
  ChunkSource* source;
  std::exception_ptr error;
};

la_ssize_t read_callback(archive* a, void* client, const void** buffer) {
  auto* ctx = static_cast<ReadContext*>(client);
  try {
    std::span<const std::byte> chunk = ctx->source->next();
    *buffer = chunk.data();
    return static_cast<la_ssize_t>(chunk.size());
  } catch (...) {
    ctx->error = std::current_exception();
    archive_api().set_error(a, EIO, "read failed");
    return -1;
  }
}

} // namespace

UnpackStats unpack_tar(ChunkSource& source, const std::filesystem::path& dest) {
  std::unique_ptr<archive, ArchiveReadDeleter> a(archive_api().read_new());
  if (!a)
    throw util::Error("unpack: out of memory");
  archive_api().read_support_format_tar(a.get()); // ustar, pax and GNU
  ReadContext ctx{&source, nullptr};
  auto check_archive = [&](int rc, std::string_view what) {
    if (rc >= ARCHIVE_WARN)
      return;
    if (ctx.error)
      std::rethrow_exception(ctx.error);
    throw util::Error(util::cat(what, ": ", archive_api().error_string(a.get())));
  };
  check_archive(archive_api().read_open(a.get(), &ctx, nullptr, read_callback, nullptr), "open tar");
  Extractor extractor(dest);
  while (true) {
    archive_entry* entry = nullptr;
    int rc = archive_api().read_next_header(a.get(), &entry);
    if (rc == ARCHIVE_EOF)
      break;
    if (rc == ARCHIVE_WARN)
      LOG_DEBUG("unpack: ", archive_api().error_string(a.get()));
    check_archive(rc, "read tar header");
    try {
      extractor.extract(a.get(), entry);
    } catch (...) {
      if (ctx.error)
        std::rethrow_exception(ctx.error);
      throw;
    }
  }
  extractor.finish();
  return extractor.stats();
}

} // namespace storage
