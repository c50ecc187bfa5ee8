#include "build/stdin_context.hpp"

#include "build/add_source.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/fs.hpp"
#include "util/strings.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

namespace build {
namespace {

void spool(int in, const std::filesystem::path& path) {
  util::UniqueFd out(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (!out)
    util::throw_errno(util::cat("create ", util::quote(path.string())));
  std::vector<char> buffer(256 * 1024);
  for (;;) {
    ssize_t n = ::read(in, buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      util::throw_errno("read the build context from stdin");
    if (n == 0)
      return;
    for (ssize_t done = 0; done < n;) {
      ssize_t w = ::write(out.get(), buffer.data() + done, static_cast<size_t>(n - done));
      if (w < 0 && errno == EINTR)
        continue;
      if (w < 0)
        util::throw_errno(util::cat("write ", util::quote(path.string())));
      done += w;
    }
  }
}

} // namespace

StdinContext read_stdin_context(const std::filesystem::path& tmp_dir, int fd) {
  storage::TmpEntry file(tmp_dir, "stdin-");
  spool(fd, file.path());
  StdinContext out;
  if (!is_tar_archive(file.path())) {
    out.dockerfile = util::read_file(file.path());
    return out;
  }
  out.dir.emplace(tmp_dir, "context-");
  util::make_dirs(out.dir->path(), 0700);
  try {
    extract_archive(file.path(), out.dir->path());
  } catch (const util::Error&) {
    util::rethrow_with_context("build context from stdin");
  }
  return out;
}

} // namespace build
