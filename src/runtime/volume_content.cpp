#include "runtime/volume_content.hpp"

#include "runtime/confined.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/strings.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <vector>

namespace runtime {

namespace {

namespace fs = std::filesystem;

// Entry names of the open directory `fd` (without "." and "..").
std::vector<std::string> entries(int fd, const std::string& where) {
  int dup = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (dup < 0)
    util::throw_errno(util::cat("dup ", util::quote(where)));
  DIR* dir = ::fdopendir(dup);
  if (dir == nullptr) {
    ::close(dup);
    util::throw_errno(util::cat("open directory ", util::quote(where)));
  }
  std::vector<std::string> names;
  while (dirent* entry = ::readdir(dir)) {
    std::string name = entry->d_name;
    if (name != "." && name != "..")
      names.push_back(std::move(name));
  }
  ::closedir(dir);
  return names;
}

// An id outside a single-id mapping is EINVAL: the copy keeps cove's own id then.
void set_owner(int dirfd, const char* name, const struct stat& st, int flags,
               const std::string& where) {
  if (::fchownat(dirfd, name, st.st_uid, st.st_gid, flags) < 0 && errno != EINVAL)
    util::throw_errno(util::cat("chown ", util::quote(where)));
}

void copy_file(int src_dir, int dst_dir, const std::string& name, const struct stat& st,
               const std::string& where) {
  util::UniqueFd in(::openat(src_dir, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (!in)
    util::throw_errno(util::cat("open ", util::quote(where)));
  util::UniqueFd out(::openat(dst_dir, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
                              st.st_mode & 07777));
  if (!out)
    util::throw_errno(util::cat("create ", util::quote(where)));
  for (;;) {
    ssize_t n = ::copy_file_range(in.get(), nullptr, out.get(), nullptr, 1 << 30, 0);
    if (n == 0)
      break;
    if (n > 0)
      continue;
    if (errno != EXDEV && errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP)
      util::throw_errno(util::cat("copy ", util::quote(where)));
    char buffer[65536];
    ssize_t got;
    while ((got = ::read(in.get(), buffer, sizeof buffer)) > 0)
      if (::write(out.get(), buffer, static_cast<size_t>(got)) != got)
        util::throw_errno(util::cat("write ", util::quote(where)));
    if (got < 0)
      util::throw_errno(util::cat("read ", util::quote(where)));
    break;
  }
  set_owner(out.get(), "", st, AT_EMPTY_PATH, where);
  // chown clears set-id bits: the mode goes last.
  ::fchmod(out.get(), st.st_mode & 07777);
  const struct timespec times[2] = {st.st_atim, st.st_mtim};
  ::futimens(out.get(), times); // best effort, as cp -a
}

void copy_dir(int src, int dst, const std::string& where);

void copy_entry(int src, int dst, const std::string& name, const std::string& where) {
  struct stat st;
  if (::fstatat(src, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0)
    util::throw_errno(util::cat("stat ", util::quote(where)));
  if (S_ISREG(st.st_mode)) {
    copy_file(src, dst, name, st, where);
    return;
  }
  if (S_ISLNK(st.st_mode)) {
    std::string target(static_cast<size_t>(st.st_size) + 1, '\0');
    ssize_t n = ::readlinkat(src, name.c_str(), target.data(), target.size());
    if (n < 0)
      util::throw_errno(util::cat("readlink ", util::quote(where)));
    target.resize(static_cast<size_t>(n));
    if (::symlinkat(target.c_str(), dst, name.c_str()) < 0)
      util::throw_errno(util::cat("symlink ", util::quote(where)));
    set_owner(dst, name.c_str(), st, AT_SYMLINK_NOFOLLOW, where);
    return;
  }
  if (S_ISDIR(st.st_mode)) {
    if (::mkdirat(dst, name.c_str(), 0700) < 0)
      util::throw_errno(util::cat("mkdir ", util::quote(where)));
    util::UniqueFd from(::openat(src, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    util::UniqueFd to(::openat(dst, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!from || !to)
      util::throw_errno(util::cat("open directory ", util::quote(where)));
    copy_dir(from.get(), to.get(), where);
    set_owner(to.get(), "", st, AT_EMPTY_PATH, where);
    ::fchmod(to.get(), st.st_mode & 07777);
    const struct timespec times[2] = {st.st_atim, st.st_mtim};
    ::futimens(to.get(), times);
    return;
  }
  if (S_ISFIFO(st.st_mode) && ::mkfifoat(dst, name.c_str(), st.st_mode & 07777) == 0) {
    set_owner(dst, name.c_str(), st, AT_SYMLINK_NOFOLLOW, where);
    return;
  }
  // Device nodes cannot be made in a user namespace and sockets are not content: skipped.
}

void copy_dir(int src, int dst, const std::string& where) {
  for (const std::string& name : entries(src, where))
    copy_entry(src, dst, name, where + "/" + name);
}

} // namespace

bool dir_is_empty(const fs::path& dir) {
  std::error_code ec;
  fs::directory_iterator it(dir, ec);
  if (ec)
    throw util::SystemError(ec.value(), util::cat("open directory ", util::quote(dir.string())));
  return it == fs::directory_iterator();
}

void copy_into_volume(const fs::path& rootfs, std::string_view path, const fs::path& volume) {
  util::UniqueFd root(::open(rootfs.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root)
    util::throw_errno(util::cat("open ", util::quote(rootfs.string())));
  std::string inside(path);
  int fd = open_in_root(root.get(), inside.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd == -ENOENT || fd == -ENOTDIR)
    return;
  if (fd < 0)
    util::throw_errno(-fd, util::cat("open ", util::quote(inside), " in the image"));
  util::UniqueFd src(fd);
  util::UniqueFd dst(::open(volume.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!dst)
    util::throw_errno(util::cat("open ", util::quote(volume.string())));
  try {
    copy_dir(src.get(), dst.get(), inside);
    struct stat st;
    if (::fstat(src.get(), &st) < 0)
      util::throw_errno(util::cat("stat ", util::quote(inside)));
    set_owner(dst.get(), "", st, AT_EMPTY_PATH, inside);
    ::fchmod(dst.get(), st.st_mode & 07777);
  } catch (...) {
    util::rethrow_with_context(util::cat("copy the image's ", util::quote(inside), " into volume ",
                                         util::quote(volume.string())));
  }
}

void chown_tree(const fs::path& path, uid_t uid, gid_t gid) {
  auto chown_one = [&](const fs::path& p) {
    if (::lchown(p.c_str(), uid, gid) < 0)
      util::throw_errno(util::cat("chown ", util::quote(p.string()), " to ", uid, ":", gid));
  };
  chown_one(path);
  std::error_code ec;
  if (!fs::is_directory(fs::symlink_status(path, ec)))
    return;
  fs::recursive_directory_iterator it(path, fs::directory_options::none, ec);
  for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec))
    chown_one(it->path());
  if (ec)
    throw util::SystemError(ec.value(), util::cat("chown -R ", util::quote(path.string())));
}

} // namespace runtime
