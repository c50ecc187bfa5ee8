#include "util/fs.hpp"

#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/strings.hpp"

#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

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

void remove_tree(const fs::path& path) {
  std::error_code ec;
  fs::remove_all(path, ec);
  if (!ec)
    return;
  // A read-only directory blocks removal of its entries: open everything up, then retry.
  for (auto it = fs::recursive_directory_iterator(path, fs::directory_options::skip_permission_denied, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_directory(ec) && !it->is_symlink(ec))
      ::chmod(it->path().c_str(), 0700);
  }
  ::chmod(path.c_str(), 0700);
  ec.clear();
  fs::remove_all(path, ec);
  if (ec)
    throw_errno(ec.value(), cat("remove ", quote(path.string())));
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
