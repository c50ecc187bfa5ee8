#include "build/run_step.hpp"

#include "runtime/volumes.hpp"
#include "storage/store.hpp"
#include "storage/upper_dir.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/scope_exit.hpp"
#include "util/strings.hpp"

#include <sys/stat.h>
#include <unistd.h>

namespace build::detail {
namespace fs = std::filesystem;
namespace {

// The runtime creates a missing mount point (and its parents) in the upper dir; those stubs are
// not the step's work. Walks up from each mount target removing what is still an empty file or
// directory the stage below did not have.
void prune_mount_points(const fs::path& upper, const RunStep& step) {
  for (const auto& m : step.mounts) {
    std::string rel = m.destination.substr(1);
    while (!rel.empty() && !(step.lower_has && step.lower_has(rel))) {
      auto path = upper / rel;
      struct stat st {};
      if (::lstat(path.c_str(), &st) < 0)
        break;
      bool removed = S_ISDIR(st.st_mode) ? ::rmdir(path.c_str()) == 0
                                         : S_ISREG(st.st_mode) && st.st_size == 0 && ::unlink(path.c_str()) == 0;
      if (!removed)
        break; // the step put something there
      auto slash = rel.rfind('/');
      rel = slash == std::string::npos ? std::string() : rel.substr(0, slash);
    }
  }
}

} // namespace

TarResult run_step(storage::Store& store, const runtime::RuntimeOptions& options, const RunStep& step) {
  runtime::RunRequest req;
  req.image = step.image.str();
  req.command = step.argv;
  req.entrypoint = ""; // RUN never goes through the image's ENTRYPOINT
  req.env = step.env;
  req.name = "cove-build-" + util::random_hex(6);
  req.network = step.network.empty() ? "host" : step.network;
  req.pull = registry::PullPolicy::never;
  req.mounts = step.mounts;
  util::ScopeExit remove([&] {
    try {
      if (auto record = store.containers().lookup(req.name)) {
        store.containers().remove(*record);
        // Image VOLUMEs became anonymous volumes of the step's container: what the step wrote
        // there is discarded, as Docker's builder does, and the volumes go with the container.
        storage::VolumeStore volumes(store.root());
        runtime::remove_anonymous_volumes(volumes, store.containers(), *record);
      }
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
  prune_mount_points(upper, step);
  TarWriter tar(store.tmp_dir());
  storage::write_upper_layer(upper, tar);
  return tar.finish(store.blobs());
}

} // namespace build::detail
