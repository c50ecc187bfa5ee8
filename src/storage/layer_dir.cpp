#include "storage/layer_dir.hpp"

#include "util/error.hpp"
#include "util/strings.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <memory>

namespace storage {

namespace {
constexpr int dir_flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC;

int openat2_in_root(int root, const std::string& path, int flags) {
  open_how how{};
  how.flags = static_cast<unsigned long long>(flags);
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  long fd;
  do {
    fd = ::syscall(SYS_openat2, root, path.c_str(), &how, sizeof how);
  } while (fd < 0 && (errno == EINTR || errno == EAGAIN));
  return static_cast<int>(fd);
}

struct DirCloser {
  void operator()(DIR* d) const noexcept { ::closedir(d); }
};

void empty_dir(int fd) {
  int dup_fd = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (dup_fd < 0)
    util::throw_errno("dup directory fd");
  std::unique_ptr<DIR, DirCloser> dir(::fdopendir(dup_fd));
  if (!dir) {
    ::close(dup_fd);
    util::throw_errno("read directory");
  }
  while (dirent* ent = ::readdir(dir.get())) {
    std::string name = ent->d_name;
    if (name == "." || name == "..")
      continue;
    remove_at(fd, name);
  }
}
} // namespace

void remove_at(int dir_fd, const std::string& name) {
  if (::unlinkat(dir_fd, name.c_str(), 0) == 0 || errno == ENOENT)
    return;
  if (errno != EISDIR && errno != EPERM)
    util::throw_errno(util::cat("remove ", util::quote(name)));
  util::UniqueFd sub(::openat(dir_fd, name.c_str(), dir_flags | O_NOFOLLOW));
  if (!sub)
    util::throw_errno(util::cat("open ", util::quote(name)));
  ::fchmod(sub.get(), 0700); // a read-only directory would block removing its entries
  empty_dir(sub.get());
  if (::unlinkat(dir_fd, name.c_str(), AT_REMOVEDIR) < 0)
    util::throw_errno(util::cat("remove directory ", util::quote(name)));
}

LayerDir::LayerDir(const std::filesystem::path& root)
    : m_root(::open(root.c_str(), dir_flags | O_NOFOLLOW)) {
  if (!m_root)
    util::throw_errno(util::cat("open layer directory ", util::quote(root.string())));
}

int LayerDir::dir(std::string_view dir) {
  if (dir.empty())
    return m_root.get();
  if (m_cached_fd && dir == m_cached_path)
    return m_cached_fd.get();
  m_retired.reset();
  std::string path(dir);
  util::UniqueFd fd(openat2_in_root(m_root.get(), path, dir_flags));
  if (!fd && errno == ENOENT)
    fd = create_dirs(dir);
  else if (!fd)
    util::throw_errno(util::cat("open directory ", util::quote(dir)));
  m_cached_fd = std::move(fd);
  m_cached_path = std::move(path);
  return m_cached_fd.get();
}

util::UniqueFd LayerDir::open_existing(std::string_view dir, int flags) const {
  if (dir.empty())
    return util::UniqueFd(::fcntl(m_root.get(), F_DUPFD_CLOEXEC, 0));
  return util::UniqueFd(openat2_in_root(m_root.get(), std::string(dir), flags | O_CLOEXEC));
}

void LayerDir::invalidate() noexcept {
  // Retired, not closed: the caller may still be using the fd dir() lent it.
  m_retired = std::move(m_cached_fd);
  m_cached_path.clear();
}

util::UniqueFd LayerDir::create_dirs(std::string_view dir) {
  // Slow path, taken once per missing directory: walk down from the root, creating what is
  // missing. Each step re-resolves from the root, so a symlink met on the way stays confined.
  util::UniqueFd parent(::fcntl(m_root.get(), F_DUPFD_CLOEXEC, 0));
  size_t pos = 0;
  while (true) {
    size_t slash = dir.find('/', pos);
    std::string prefix(dir.substr(0, slash));
    std::string name(dir.substr(pos, slash == std::string_view::npos ? dir.size() - pos : slash - pos));
    util::UniqueFd fd(openat2_in_root(m_root.get(), prefix, dir_flags));
    if (!fd && errno == ENOENT) {
      if (::mkdirat(parent.get(), name.c_str(), 0755) < 0 && errno != EEXIST)
        util::throw_errno(util::cat("create directory ", util::quote(prefix)));
      fd.reset(openat2_in_root(m_root.get(), prefix, dir_flags));
    }
    if (!fd)
      util::throw_errno(util::cat("open directory ", util::quote(prefix)));
    if (slash == std::string_view::npos)
      return fd;
    parent = std::move(fd);
    pos = slash + 1;
  }
}

bool LayerDir::clear_for(int dir_fd, std::string_view base, bool new_is_dir) {
  std::string name(base);
  struct stat st{};
  if (::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0) {
    if (errno == ENOENT)
      return false;
    util::throw_errno(util::cat("stat ", util::quote(name)));
  }
  if (new_is_dir && S_ISDIR(st.st_mode))
    return true;
  // The cached directory may lie inside the tree being removed, or be reached through this
  // very symlink.
  invalidate();
  remove_at(dir_fd, name);
  return false;
}

} // namespace storage
