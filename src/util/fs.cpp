#include "util/fs.hpp"

#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/strings.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <memory>

namespace util {

namespace {
void write_all(int fd, std::string_view data, const fs::path& path) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR)
        continue;
      throw_errno(cat("write ", quote(path.string())));
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
}
} // namespace

std::string read_file(const fs::path& path) {
  auto content = read_file_if_exists(path);
  if (!content)
    throw_errno(ENOENT, cat("open ", quote(path.string())));
  return *content;
}

std::optional<std::string> read_file_if_exists(const fs::path& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    if (errno == ENOENT)
      return std::nullopt;
    throw_errno(cat("open ", quote(path.string())));
  }
  std::string out;
  char buf[65536];
  while (true) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      throw_errno(cat("read ", quote(path.string())));
    }
    if (n == 0)
      return out;
    out.append(buf, static_cast<size_t>(n));
  }
}

void write_file_atomic(const fs::path& path, std::string_view data, unsigned mode,
                       Durability durability) {
  fs::path tmp = path;
  tmp += cat(".tmp-", random_hex(6));
  UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode));
  if (!fd)
    throw_errno(cat("create ", quote(tmp.string())));
  try {
    write_all(fd.get(), data, tmp);
    if (durability == Durability::crash_safe && ::fsync(fd.get()) < 0)
      throw_errno(cat("fsync ", quote(tmp.string())));
    fd.reset();
    if (::rename(tmp.c_str(), path.c_str()) < 0)
      throw_errno(cat("rename ", quote(tmp.string()), " to ", quote(path.string())));
  } catch (...) {
    ::unlink(tmp.c_str());
    throw;
  }
}

void make_dirs(const fs::path& path, unsigned mode) {
  if (path.empty())
    return;
  struct stat st{};
  if (::stat(path.c_str(), &st) == 0) {
    if (!S_ISDIR(st.st_mode))
      throw_errno(ENOTDIR, cat("create directory ", quote(path.string())));
    return;
  }
  if (path.has_parent_path() && path.parent_path() != path)
    make_dirs(path.parent_path(), mode);
  if (::mkdir(path.c_str(), mode) < 0 && errno != EEXIST)
    throw_errno(cat("create directory ", quote(path.string())));
}

namespace {

int remove_entry(int parent, const char* name, unsigned char type);

// Removes everything in the directory open as `dir`. A directory that refuses the removal of its
// entries (read-only) is opened up (0700) once. Returns 0 or the errno that stopped it.
int empty_directory(UniqueFd dir) {
  DIR* stream = ::fdopendir(dir.get());
  if (stream == nullptr)
    return errno;
  dir.release();
  std::unique_ptr<DIR, int (*)(DIR*)> owner(stream, ::closedir);
  int fd = ::dirfd(stream);
  bool opened_up = false;
  for (;;) {
    errno = 0;
    const dirent* entry = ::readdir(stream);
    if (entry == nullptr)
      return errno;
    std::string_view name = entry->d_name;
    if (name == "." || name == "..")
      continue;
    int err = remove_entry(fd, entry->d_name, entry->d_type);
    if ((err == EACCES || err == EPERM) && !opened_up) {
      opened_up = true;
      if (::fchmod(fd, 0700) == 0)
        err = remove_entry(fd, entry->d_name, entry->d_type);
    }
    if (err != 0)
      return err;
  }
}

// Removes one entry of `parent`, a directory with all its contents. Never follows a symlink.
int remove_entry(int parent, const char* name, unsigned char type) {
  if (type != DT_DIR) { // DT_UNKNOWN too: unlinkat tells a directory apart
    if (::unlinkat(parent, name, 0) == 0 || errno == ENOENT)
      return 0;
    if (errno != EISDIR)
      return errno;
  }
  UniqueFd sub(::openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!sub && errno == EACCES && ::fchmodat(parent, name, 0700, 0) == 0)
    sub.reset(::openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!sub)
    return errno == ENOENT ? 0 : errno;
  if (int err = empty_directory(std::move(sub)); err != 0)
    return err;
  if (::unlinkat(parent, name, AT_REMOVEDIR) == 0 || errno == ENOENT)
    return 0;
  return errno;
}

} // namespace

// One pass over descriptors (openat, getdents, unlinkat): no path is resolved twice, and each
// directory is read once.
void remove_tree(const fs::path& path) {
  fs::path target = path.has_filename() ? path : path.parent_path(); // "dir/" is "dir"
  fs::path parent = target.has_parent_path() ? target.parent_path() : fs::path(".");
  UniqueFd dir(::open(parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  int err = !dir ? errno : remove_entry(dir.get(), target.filename().c_str(), DT_UNKNOWN);
  if (err == ENOENT)
    return;
  if (err != 0)
    throw_errno(err, cat("remove ", quote(path.string())));
}

void sync_dir(const fs::path& dir) {
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd || ::fsync(fd.get()) < 0)
    throw_errno(cat("fsync directory ", quote(dir.string())));
}

std::string random_hex(size_t bytes) {
  std::string raw(bytes, '\0');
  size_t got = 0;
  while (got < bytes) {
    ssize_t n = ::getrandom(raw.data() + got, bytes - got, 0);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      throw_errno("getrandom");
    }
    got += static_cast<size_t>(n);
  }
  static const char hexdigits[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(bytes * 2);
  for (unsigned char c : raw) {
    hex += hexdigits[c >> 4];
    hex += hexdigits[c & 0xf];
  }
  return hex;
}

} // namespace util
