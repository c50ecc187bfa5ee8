#include "runtime/tree_copy.hpp"

#include "storage/archive_api.hpp"
#include "storage/layer_dir.hpp"
#include "storage/tar_path.hpp"
#include "storage/tar_writer.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/log.hpp"
#include "util/strings.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <memory>
#include <utility>

namespace runtime {
namespace {

using util::cat;
using util::quote;

// openat2 below `dir`, following no symlink at all: entries of a tree being written or read are
// reached only through directories the copy itself walked or made.
util::UniqueFd open_beneath(int dir, const std::string& path, int flags) {
  open_how how{};
  how.flags = static_cast<unsigned long long>(flags | O_CLOEXEC | O_NOFOLLOW);
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
  long fd;
  do {
    fd = ::syscall(SYS_openat2, dir, path.c_str(), &how, sizeof how);
  } while (fd < 0 && (errno == EINTR || errno == EAGAIN));
  if (fd < 0)
    util::throw_errno(cat("open ", quote(path)));
  return util::UniqueFd(static_cast<int>(fd));
}

std::pair<std::string, std::string> split_path(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos)
    return {"", path};
  return {path.substr(0, slash), path.substr(slash + 1)};
}

void copy_fd(int in, int out, const std::string& what) {
  ssize_t n;
  while ((n = ::copy_file_range(in, nullptr, out, nullptr, 1 << 30, 0)) > 0) {
  }
  if (n == 0)
    return;
  if (errno != EXDEV && errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP)
    util::throw_errno(cat("copy ", quote(what)));
  std::vector<char> buf(1 << 16);
  while ((n = ::read(in, buf.data(), buf.size())) != 0) {
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      util::throw_errno(cat("read ", quote(what)));
    for (ssize_t done = 0; done < n;) {
      ssize_t w = ::write(out, buf.data() + done, static_cast<size_t>(n - done));
      if (w < 0 && errno == EINTR)
        continue;
      if (w < 0)
        util::throw_errno(cat("write ", quote(what)));
      done += w;
    }
  }
}

bool pseudo_fs(int dir_fd) {
  struct statfs sfs {};
  if (::fstatfs(dir_fd, &sfs) < 0)
    return false;
  switch (static_cast<unsigned long>(sfs.f_type)) {
  case PROC_SUPER_MAGIC:
  case SYSFS_MAGIC:
  case DEVPTS_SUPER_MAGIC:
  case CGROUP_SUPER_MAGIC:
  case CGROUP2_SUPER_MAGIC:
  case 0x19800202: // MQUEUE_MAGIC, not in linux/magic.h
    return true;
  default:
    return false;
  }
}

std::optional<unsigned long long> mount_id(int dir_fd, const char* name) {
  struct statx stx {};
  if (::statx(dir_fd, name, AT_SYMLINK_NOFOLLOW | (*name == '\0' ? AT_EMPTY_PATH : 0), STATX_MNT_ID,
              &stx) < 0 ||
      (stx.stx_mask & STATX_MNT_ID) == 0)
    return std::nullopt;
  return stx.stx_mnt_id;
}

class Walker {
public:
  Walker(MountWalk mounts, TreeSink& sink) : m_mounts(mounts), m_sink(sink) {}

  void top(int fd, const std::string& name) {
    TreeEntry e;
    e.path = name;
    if (::fstatat(fd, "", &e.st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0)
      util::throw_errno("stat the source");
    if (S_ISDIR(e.st.st_mode)) {
      util::UniqueFd dir(::openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
      if (!dir)
        util::throw_errno("open the source directory");
      if (!name.empty())
        m_sink.put(e);
      m_top_mount = mount_id(dir.get(), "");
      walk_dir(dir.get(), name);
      return;
    }
    if (name.empty())
      throw util::Error("the source is not a directory");
    if (S_ISREG(e.st.st_mode)) {
      // An O_PATH descriptor cannot be read: reopen the file it names.
      util::UniqueFd file(::open(cat("/proc/self/fd/", fd).c_str(), O_RDONLY | O_CLOEXEC));
      if (!file)
        util::throw_errno("open the source file");
      e.fd = file.get();
      return m_sink.put(e);
    }
    emit_other(fd, "", e);
  }

private:
  void walk_dir(int dir, const std::string& rel) {
    for (const std::string& name : list(dir)) {
      TreeEntry e;
      e.path = rel.empty() ? name : cat(rel, "/", name);
      if (::fstatat(dir, name.c_str(), &e.st, AT_SYMLINK_NOFOLLOW) < 0) {
        if (errno == ENOENT)
          continue; // removed while we walk
        util::throw_errno(cat("stat ", quote(e.path)));
      }
      if (S_ISDIR(e.st.st_mode))
        child_dir(dir, name, e);
      else if (S_ISREG(e.st.st_mode))
        regular(dir, name, e);
      else
        emit_other(dir, name.c_str(), e);
    }
  }

  void child_dir(int dir, const std::string& name, TreeEntry& e) {
    m_sink.put(e);
    util::UniqueFd sub(::openat(dir, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!sub)
      util::throw_errno(cat("open ", quote(e.path)));
    if (m_mounts != MountWalk::all && mount_id(sub.get(), "") != m_top_mount &&
        (m_mounts == MountWalk::top_only || pseudo_fs(sub.get())))
      return;
    walk_dir(sub.get(), e.path);
  }

  void regular(int dir, const std::string& name, TreeEntry& e) {
    if (e.st.st_nlink > 1) {
      auto [it, first] = m_links.emplace(std::make_pair(e.st.st_dev, e.st.st_ino), e.path);
      if (!first) {
        e.hardlink = it->second;
        return m_sink.put(e);
      }
    }
    util::UniqueFd file(::openat(dir, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    if (!file)
      util::throw_errno(cat("open ", quote(e.path)));
    e.fd = file.get();
    m_sink.put(e);
  }

  // Symlinks, devices and fifos; sockets are not copied.
  void emit_other(int dir, const char* name, TreeEntry& e) {
    if (S_ISSOCK(e.st.st_mode))
      return;
    if (S_ISLNK(e.st.st_mode)) {
      std::string target(static_cast<size_t>(e.st.st_size) + 256, '\0');
      ssize_t n = ::readlinkat(dir, name, target.data(), target.size());
      if (n < 0)
        util::throw_errno(cat("read link ", quote(e.path)));
      target.resize(static_cast<size_t>(n));
      e.link = std::move(target);
    }
    m_sink.put(e);
  }

  static std::vector<std::string> list(int dir) {
    int copy = ::openat(dir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR* d = copy < 0 ? nullptr : ::fdopendir(copy);
    if (d == nullptr) {
      if (copy >= 0)
        ::close(copy);
      util::throw_errno("read directory");
    }
    std::vector<std::string> names;
    while (dirent* ent = ::readdir(d)) {
      std::string_view n = ent->d_name;
      if (n != "." && n != "..")
        names.emplace_back(n);
    }
    ::closedir(d);
    std::sort(names.begin(), names.end());
    return names;
  }

  MountWalk m_mounts;
  TreeSink& m_sink;
  std::optional<unsigned long long> m_top_mount;
  std::map<std::pair<dev_t, ino_t>, std::string> m_links;
};

storage::EntryMeta meta_of(const struct stat& st) {
  return storage::EntryMeta{st.st_uid, st.st_gid, static_cast<unsigned>(st.st_mode & 07777),
                            st.st_mtime};
}

struct ArchiveReadDeleter {
  void operator()(archive* a) const noexcept { storage::archive_api().read_free(a); }
};

// libarchive pulls the stream through this callback.
struct FdReader {
  int fd;
  std::vector<char> buf = std::vector<char>(1 << 16);
  std::string error;
};

la_ssize_t read_fd(archive*, void* client, const void** buffer) {
  auto* reader = static_cast<FdReader*>(client);
  for (;;) {
    ssize_t n = ::read(reader->fd, reader->buf.data(), reader->buf.size());
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      reader->error = std::strerror(errno);
    *buffer = reader->buf.data();
    return n;
  }
}

// A tar entry's data, written where the entry goes (sparse files keep their holes).
class ArchiveContent final : public EntryContent {
public:
  ArchiveContent(archive* a, la_int64_t size) : m_archive(a), m_size(size) {}
  void write_to(int out) override {
    const auto& api = storage::archive_api();
    const void* buf = nullptr;
    size_t size = 0;
    la_int64_t offset = 0;
    for (;;) {
      int rc = api.read_data_block(m_archive, &buf, &size, &offset);
      if (rc == ARCHIVE_EOF)
        break;
      if (rc < ARCHIVE_WARN)
        throw util::Error(cat("read file data: ", api.error_string(m_archive)));
      const char* p = static_cast<const char*>(buf);
      while (size > 0) {
        ssize_t n = ::pwrite(out, p, size, static_cast<off_t>(offset));
        if (n < 0 && errno == EINTR)
          continue;
        if (n < 0)
          util::throw_errno("write file data");
        p += n;
        size -= static_cast<size_t>(n);
        offset += n;
      }
    }
    if (::ftruncate(out, static_cast<off_t>(m_size)) < 0)
      util::throw_errno("set the file size");
  }

private:
  archive* m_archive;
  la_int64_t m_size;
};

} // namespace

void read_tar(int in, TreeSink& sink) {
  const auto& api = storage::archive_api();
  std::unique_ptr<archive, ArchiveReadDeleter> a(api.read_new());
  if (!a)
    throw util::Error("read tar: out of memory");
  api.read_support_format_tar(a.get());
  FdReader reader{in, std::vector<char>(1 << 16), {}};
  auto check = [&](int rc, std::string_view what) {
    if (rc >= ARCHIVE_WARN)
      return;
    throw util::Error(cat(what, ": ", reader.error.empty() ? api.error_string(a.get()) : reader.error.c_str()));
  };
  check(api.read_open(a.get(), &reader, nullptr, read_fd, nullptr), "read tar");
  for (;;) {
    archive_entry* entry = nullptr;
    int rc = api.read_next_header(a.get(), &entry);
    if (rc == ARCHIVE_EOF)
      break;
    check(rc, "read tar");
    const char* raw = api.entry_pathname(entry);
    TreeEntry e;
    e.path = storage::sanitize_entry_path(raw != nullptr ? raw : "");
    if (e.path.empty())
      continue; // the top directory itself ("./")
    e.st.st_mode = static_cast<mode_t>(api.entry_filetype(entry)) | static_cast<mode_t>(api.entry_perm(entry));
    e.st.st_uid = static_cast<uid_t>(api.entry_uid(entry));
    e.st.st_gid = static_cast<gid_t>(api.entry_gid(entry));
    e.st.st_size = static_cast<off_t>(api.entry_size(entry));
    e.st.st_rdev = api.entry_rdev(entry);
    e.st.st_mtim = timespec{api.entry_mtime(entry), api.entry_mtime_nsec(entry)};
    e.st.st_atim = e.st.st_mtim;
    if (const char* hard = api.entry_hardlink(entry)) {
      e.hardlink = storage::sanitize_entry_path(hard);
      e.st.st_mode = S_IFREG | (e.st.st_mode & 07777);
    }
    if (const char* target = api.entry_symlink(entry); S_ISLNK(e.st.st_mode))
      e.link = target != nullptr ? target : "";
    ArchiveContent content(a.get(), api.entry_size(entry));
    if (S_ISREG(e.st.st_mode) && e.hardlink.empty())
      e.content = &content;
    sink.put(e);
  }
  sink.finish();
}

void walk_tree(int top, const std::string& top_name, MountWalk mounts, TreeSink& sink) {
  Walker(mounts, sink).top(top, top_name);
  sink.finish();
}

void DirWriter::set_owner(int dir_fd, const std::string& base, const struct stat& st) {
  if (m_owners != CopyOwners::source)
    return;
  if (::fchownat(dir_fd, base.c_str(), st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) == 0)
    return;
  if (errno != EINVAL)
    util::throw_errno(cat("chown ", quote(base), " to ", st.st_uid, ":", st.st_gid));
  // EINVAL: the id is not mapped in this user namespace (a single-id mapping).
  if (!std::exchange(m_warned_owner, true))
    util::log::warning("some files keep the copying user as owner: their ids (first ", st.st_uid,
                       ":", st.st_gid, ") are not mapped in cove's user namespace");
}

void DirWriter::put(const TreeEntry& e) {
  try {
    auto [parent_path, base] = split_path(e.path);
    util::UniqueFd parent = open_beneath(m_dest, parent_path.empty() ? "." : parent_path,
                                         O_RDONLY | O_DIRECTORY);
    int pfd = parent.get();
    struct stat old {};
    if (::fstatat(pfd, base.c_str(), &old, AT_SYMLINK_NOFOLLOW) == 0) {
      if (S_ISDIR(old.st_mode) && S_ISDIR(e.st.st_mode)) {
        set_owner(pfd, base, e.st);
        m_dirs.push_back({e.path, e.st.st_mode & 07777, {e.st.st_atim, e.st.st_mtim}});
        return;
      }
      storage::remove_at(pfd, base);
    }
    const timespec times[2] = {e.st.st_atim, e.st.st_mtim};
    if (S_ISDIR(e.st.st_mode)) {
      if (::mkdirat(pfd, base.c_str(), 0700) < 0)
        util::throw_errno("create directory");
      set_owner(pfd, base, e.st);
      m_dirs.push_back({e.path, e.st.st_mode & 07777, {times[0], times[1]}});
    } else if (S_ISREG(e.st.st_mode) && !e.hardlink.empty()) {
      auto [target_dir, target_base] = split_path(e.hardlink);
      util::UniqueFd tdir = open_beneath(m_dest, target_dir.empty() ? "." : target_dir, O_PATH | O_DIRECTORY);
      if (::linkat(tdir.get(), target_base.c_str(), pfd, base.c_str(), 0) < 0)
        util::throw_errno(cat("link to ", quote(e.hardlink)));
    } else if (S_ISREG(e.st.st_mode)) {
      util::UniqueFd out(::openat(pfd, base.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
      if (!out)
        util::throw_errno("create file");
      if (e.fd >= 0)
        copy_fd(e.fd, out.get(), e.path);
      else if (e.content != nullptr)
        e.content->write_to(out.get());
      set_owner(pfd, base, e.st);
      // After chown, which clears setuid/setgid.
      if (::fchmod(out.get(), e.st.st_mode & 07777) < 0 || ::futimens(out.get(), times) < 0)
        util::throw_errno("set mode and times");
    } else if (S_ISLNK(e.st.st_mode)) {
      if (::symlinkat(e.link.c_str(), pfd, base.c_str()) < 0)
        util::throw_errno("create symlink");
      set_owner(pfd, base, e.st);
      if (::utimensat(pfd, base.c_str(), times, AT_SYMLINK_NOFOLLOW) < 0)
        util::throw_errno("set times");
    } else if (S_ISCHR(e.st.st_mode) || S_ISBLK(e.st.st_mode) || S_ISFIFO(e.st.st_mode)) {
      if (::mknodat(pfd, base.c_str(), (e.st.st_mode & S_IFMT) | 0600, e.st.st_rdev) < 0) {
        if (errno != EPERM || S_ISFIFO(e.st.st_mode))
          util::throw_errno("create special file");
        if (!std::exchange(m_warned_device, true))
          util::log::warning("device files are not copied (mknod is not permitted here), first: ",
                             quote(e.path));
        return;
      }
      set_owner(pfd, base, e.st);
      if (::fchmodat(pfd, base.c_str(), e.st.st_mode & 07777, 0) < 0 ||
          ::utimensat(pfd, base.c_str(), times, AT_SYMLINK_NOFOLLOW) < 0)
        util::throw_errno("set mode and times");
    }
  } catch (...) {
    util::rethrow_with_context(quote(e.path));
  }
}

void DirWriter::finish() {
  // Deepest first: setting a directory's times before its subdirectories' would be undone.
  for (auto it = m_dirs.rbegin(); it != m_dirs.rend(); ++it) {
    util::UniqueFd dir = open_beneath(m_dest, it->path, O_RDONLY | O_DIRECTORY);
    if (::fchmod(dir.get(), it->mode) < 0 || ::futimens(dir.get(), it->times) < 0)
      util::throw_errno(cat("set mode and times of ", quote(it->path)));
  }
  m_dirs.clear();
}

void TarSink::put(const TreeEntry& e) {
  const struct stat& st = e.st;
  if (S_ISDIR(st.st_mode))
    m_tar.add_dir(e.path, meta_of(st));
  else if (S_ISREG(st.st_mode) && !e.hardlink.empty())
    m_tar.add_hardlink(e.path, e.hardlink, meta_of(st));
  else if (S_ISREG(st.st_mode) && e.fd >= 0)
    m_tar.add_file(e.path, e.fd, st.st_size, meta_of(st));
  else if (S_ISLNK(st.st_mode))
    m_tar.add_symlink(e.path, e.link, meta_of(st));
  else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) || S_ISFIFO(st.st_mode))
    m_tar.add_node(e.path, st.st_mode & S_IFMT, st.st_rdev, meta_of(st));
}

} // namespace runtime
