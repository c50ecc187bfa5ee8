// RUN: the step's command runs in a container made exactly as `cove run` makes one (the runtime
// module's run use case, over an intermediate image of the current stage); the container's
// upper dir then becomes the step's layer.
#pragma once
#include "build/tar_writer.hpp"
#include "runtime/run.hpp"

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace storage {
class Store;
}

namespace build::detail {

// One RUN invocation.
struct RunStep {
  image::Digest image;                 // the intermediate image to run on
  std::vector<std::string> argv;       // shell-wrapped or exec form
  std::vector<std::string> env;        // build ARGs as "K=V" (the image's ENV is already in it)
  std::string network;                 // "" = host
  std::vector<runtime::Mount> mounts;  // RUN --mount, prepared on the host
  // True when the stage below has this path ("run/secrets"): mount points the runtime made for
  // `mounts` where the image had nothing are left out of the layer.
  std::function<bool(const std::string&)> lower_has;
};

// Runs the step; throws util::Error("exited with status N") on failure. Returns the layer tar
// of what it changed, already stored as a blob.
TarResult run_step(storage::Store& store, const runtime::RuntimeOptions& options, const RunStep& step);

} // namespace build::detail
