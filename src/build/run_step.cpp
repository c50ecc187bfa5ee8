#include "build/run_step.hpp"

#include "storage/store.hpp"
#include "storage/upper_dir.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/scope_exit.hpp"
#include "util/strings.hpp"



namespace build::detail {
namespace fs = std::filesystem;

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
  storage::write_upper_layer(upper, tar);
  return tar.finish(store.blobs());
}

} // namespace build::detail
