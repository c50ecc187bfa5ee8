#include "build/dir_sink.hpp"

#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/strings.hpp"

#include <fcntl.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

namespace build {
namespace {

util::UniqueFd create(const std::filesystem::path& path) {
  util::UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!fd)
    util::throw_errno(util::cat("create ", util::quote(path.string())));
  return fd;
}

void finish_file(int fd, const std::filesystem::path& path, const EntryMeta& meta) {
  if (::fchown(fd, meta.uid, meta.gid) < 0 || ::fchmod(fd, meta.mode) < 0)
    util::throw_errno(util::cat("set owner and mode of ", util::quote(path.string())));
  const struct timespec times[2] = {{meta.mtime, 0}, {meta.mtime, 0}};
  ::futimens(fd, times); // a time is a nicety; the content is what the step reads
}

} // namespace

std::filesystem::path DirSink::at(const std::string& path) const {
  for (const auto& part : util::split(path, '/'))
    if (part == "..")
      throw util::Error(util::cat("path ", util::quote(path), " leaves ", util::quote(m_root.string())));
  return m_root / path;
}

void DirSink::add_dir(const std::string& path, const EntryMeta& meta) {
  auto dir = at(path);
  if (::mkdir(dir.c_str(), 0700) < 0 && errno != EEXIST)
    util::throw_errno(util::cat("mkdir ", util::quote(dir.string())));
  if (::lchown(dir.c_str(), meta.uid, meta.gid) < 0 || ::chmod(dir.c_str(), meta.mode) < 0)
    util::throw_errno(util::cat("set owner and mode of ", util::quote(dir.string())));
}

void DirSink::add_file(const std::string& path, int source, std::int64_t size, const EntryMeta& meta) {
  auto file = at(path);
  auto fd = create(file);
  off_t offset = 0;
  while (offset < size) {
    auto n = ::sendfile(fd.get(), source, &offset, static_cast<std::size_t>(size - offset));
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      util::throw_errno(util::cat("copy into ", util::quote(file.string())));
    if (n == 0)
      break; // the source shrank; what it holds now is what the step sees
  }
  finish_file(fd.get(), file, meta);
}

void DirSink::add_bytes(const std::string& path, std::string_view bytes, const EntryMeta& meta) {
  auto file = at(path);
  auto fd = create(file);
  for (std::size_t done = 0; done < bytes.size();) {
    auto n = ::write(fd.get(), bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      util::throw_errno(util::cat("write ", util::quote(file.string())));
    done += static_cast<std::size_t>(n);
  }
  finish_file(fd.get(), file, meta);
}

void DirSink::add_symlink(const std::string& path, const std::string& target, const EntryMeta& meta) {
  auto link = at(path);
  if (::symlink(target.c_str(), link.c_str()) < 0)
    util::throw_errno(util::cat("symlink ", util::quote(link.string())));
  if (::lchown(link.c_str(), meta.uid, meta.gid) < 0)
    util::throw_errno(util::cat("lchown ", util::quote(link.string())));
}

} // namespace build
