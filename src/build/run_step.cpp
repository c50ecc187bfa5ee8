#include "build/run_step.hpp"

#include "storage/store.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/fs.hpp"
#include "util/scope_exit.hpp"
#include "util/strings.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include <algorithm>

namespace build::detail {
namespace fs = std::filesystem;
namespace {

bool is_opaque(const fs::path& dir) {
  char value[4] = {};
  for (const char* name : {"user.overlay.opaque", "user.fuseoverlayfs.opaque", "trusted.overlay.opaque"})
    if (::lgetxattr(dir.c_str(), name, value, sizeof value) == 1 && value[0] == 'y')
      return true;
  return false;
}

// Files the runtime creates as mount points in every container; they are not the step's work.
bool runtime_artifact(const std::string& rel, const struct stat& st) {
  if (rel == "proc" || rel == "sys" || rel == "dev" || rel.rfind("dev/", 0) == 0)
    return true;
  return S_ISREG(st.st_mode) && st.st_size == 0 &&
         (rel == "etc/hosts" || rel == "etc/hostname" || rel == "etc/resolv.conf" || rel == ".containerenv");
}

EntryMeta meta_of(const struct stat& st) {
  return EntryMeta{st.st_uid, st.st_gid, static_cast<unsigned>(st.st_mode & 07777), st.st_mtime};
}

void write_dir(const fs::path& dir, const std::string& rel, TarWriter& tar) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir))
    names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  for (const auto& name : names) {
    auto child = rel.empty() ? name : util::cat(rel, "/", name);
    auto path = dir / name;
    struct stat st {};
    if (::lstat(path.c_str(), &st) < 0)
      util::throw_errno(util::cat("lstat ", util::quote(path.string())));
    if (runtime_artifact(child, st))
      continue;
    if (S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0)) {
      auto slash = child.rfind('/');
      auto parent = slash == std::string::npos ? std::string() : child.substr(0, slash + 1);
      tar.add_bytes(util::cat(parent, ".wh.", name), "", EntryMeta{0, 0, 0644, st.st_mtime});
    } else if (S_ISDIR(st.st_mode)) {
      tar.add_dir(child, meta_of(st));
      if (is_opaque(path))
        tar.add_bytes(child + "/.wh..wh..opq", "", EntryMeta{0, 0, 0644, st.st_mtime});
      write_dir(path, child, tar);
    } else if (S_ISLNK(st.st_mode)) {
      tar.add_symlink(child, fs::read_symlink(path).string(), meta_of(st));
    } else if (S_ISREG(st.st_mode)) {
      util::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
      if (!fd)
        util::throw_errno(util::cat("open ", util::quote(path.string())));
      tar.add_file(child, fd.get(), st.st_size, meta_of(st));
    }
    // sockets and fifos left behind by the step are not image content
  }
}

} // namespace

void write_upper_layer(const fs::path& upper, TarWriter& tar) { write_dir(upper, "", tar); }

TarResult run_step(storage::Store& store, const runtime::RuntimeOptions& options, const RunStep& step) {
  runtime::RunRequest req;
  req.image = step.image.str();
  req.command = step.argv;
  req.entrypoint = ""; // RUN never goes through the image's ENTRYPOINT
  req.env = step.env;
  req.name = "cove-build-" + util::random_hex(6);
  req.network = step.network.empty() ? "host" : step.network;
  req.pull = registry::PullPolicy::never;
  util::ScopeExit remove([&] {
    try {
      if (auto record = store.containers().lookup(req.name))
        store.containers().remove(*record);
    } catch (const std::exception&) {
      // the container directory is left for `cove rm`; the build error is what matters
    }
  });
  int code = runtime::run(store, options, req);
  if (code != 0)
    throw util::Error(util::cat("exited with status ", code));
  auto record = store.containers().lookup(req.name);
  if (!record)
    throw util::Error(util::cat("container ", req.name, " vanished after the step"));
  auto upper = store.containers().dir(record->id) / "upper";
  if (!fs::is_directory(upper))
    throw util::Error("RUN needs the overlay or fuse-overlayfs storage driver (the copy driver keeps no upper dir)");
  TarWriter tar(store.tmp_dir());
  write_upper_layer(upper, tar);
  return tar.finish(store.blobs());
}

} // namespace build::detail
