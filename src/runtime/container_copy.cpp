#include "runtime/container_copy.hpp"

#include "runtime/confined.hpp"
#include "runtime/copy_plan.hpp"
#include "storage/tar_writer.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

namespace runtime {
namespace {

using util::cat;
using util::quote;

std::string describe(const CopyLocation& at) { return cat(quote(at.path), " in ", at.where); }

// Opens `at` confined to its root (O_PATH); nullopt when it does not exist.
std::optional<util::UniqueFd> open_at(const CopyLocation& at, bool follow) {
  std::string path = at.path;
  int fd = open_in_root(at.root, path.c_str(), O_PATH | (follow ? 0 : O_NOFOLLOW));
  if (fd == -ENOENT)
    return std::nullopt;
  if (fd < 0)
    util::throw_errno(-fd, cat("open ", describe(at)));
  return util::UniqueFd(fd);
}

PathKind kind_of(int fd) {
  struct stat st {};
  if (::fstatat(fd, "", &st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0)
    util::throw_errno("stat");
  return S_ISDIR(st.st_mode) ? PathKind::directory : PathKind::file;
}

// The source's top, a symlink itself unless -L or a trailing "/" asks for its target.
util::UniqueFd open_source(const CopyLocation& src, const CopyOptions& options) {
  std::optional<util::UniqueFd> fd = open_at(src, options.follow_link || names_directory(src.path));
  if (!fd)
    throw util::Error(cat("no such file or directory: ", describe(src)));
  return std::move(*fd);
}

// The name a stream's entries start with: the source's own, or none for "dir/." and "/".
std::string stream_top(const std::string& path, PathKind kind) {
  if (kind == PathKind::directory && names_contents(path))
    return "";
  std::string clean = container_path(path);
  if (clean == "/")
    return "";
  return clean.substr(clean.rfind('/') + 1);
}

} // namespace

void copy_path(const CopyLocation& src, const CopyLocation& dst, const CopyOptions& options) {
  util::UniqueFd top = open_source(src, options);
  PathKind src_kind = kind_of(top.get());
  std::optional<util::UniqueFd> existing = open_at(dst, true);
  PathKind dst_kind = existing ? kind_of(existing->get()) : PathKind::missing;
  CopyPlan plan = plan_copy(src.path, src_kind, dst.path, dst_kind);
  CopyLocation dir{dst.root, plan.dest_dir, dst.where};
  std::optional<util::UniqueFd> dest = open_at(dir, true);
  if (!dest || kind_of(dest->get()) != PathKind::directory)
    throw util::Error(cat("destination directory ", describe(dir), " does not exist"));
  DirWriter writer(dest->get(), options.owners);
  try {
    walk_tree(top.get(), plan.top_name, MountWalk::no_pseudo_fs, writer);
  } catch (...) {
    util::rethrow_with_context(cat("copy ", describe(src), " to ", describe(dst)));
  }
}

void copy_to_stream(const CopyLocation& src, int out, const CopyOptions& options) {
  util::UniqueFd top = open_source(src, options);
  storage::TarWriter tar(storage::TarWriter::Stream{out});
  TarSink sink(tar);
  try {
    walk_tree(top.get(), stream_top(src.path, kind_of(top.get())), MountWalk::no_pseudo_fs, sink);
  } catch (...) {
    util::rethrow_with_context(cat("copy ", describe(src)));
  }
  tar.close();
}

void copy_from_stream(int in, const CopyLocation& dst, const CopyOptions& options) {
  std::optional<util::UniqueFd> dest = open_at(dst, true);
  if (!dest || kind_of(dest->get()) != PathKind::directory)
    throw util::Error(cat("destination ", describe(dst), " must be an existing directory"));
  DirWriter writer(dest->get(), options.owners);
  try {
    read_tar(in, writer);
  } catch (...) {
    util::rethrow_with_context(cat("extract the tar stream into ", describe(dst)));
  }
}

void export_tree(int root, int out) {
  storage::TarWriter tar(storage::TarWriter::Stream{out});
  TarSink sink(tar);
  walk_tree(root, "", MountWalk::top_only, sink);
  tar.close();
}

util::UniqueFd open_host_root() {
  util::UniqueFd fd(::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!fd)
    util::throw_errno("open /");
  return fd;
}

std::string host_path(const std::string& path) {
  if (!path.empty() && path[0] == '/')
    return path;
  std::string cwd = std::filesystem::current_path().string();
  return cwd == "/" ? "/" + path : cat(cwd, "/", path);
}

} // namespace runtime
