// Internal to the builder: the image being assembled by one stage.
#pragma once
#include "build/cache.hpp"
#include "build/copy_layer.hpp"
#include "build/dockerfile.hpp"
#include "build/secrets.hpp"
#include "build/ssh_sources.hpp"
#include "build/substitute.hpp"
#include "image/config.hpp"
#include "image/manifest.hpp"
#include "runtime/run.hpp"
#include "storage/image_index.hpp"
#include "storage/layer_store.hpp"

#include <functional>
#include <string>
#include <vector>

namespace storage {
class Store;
}

namespace build::detail {

// The config, layers and variables of a stage as its instructions run.
struct StageState {
  image::ImageConfig config;
  std::vector<image::Descriptor> layers; // blob descriptors, bottom first (config.diff_ids matches)
  std::vector<storage::LayerLease> leases;
  Vars args;       // ARG values in scope
  bool cmd_set = false;
  std::string cache_key; // the key of the last step (the base image id after FROM)

  // ARG and ENV values for substitution; ENV wins over an ARG of the same name.
  Vars vars() const;
};

// What the instruction handlers need from the build.
struct StepContext {
  storage::Store& store;
  const Context& context;
  const Dockerfile& dockerfile;
  const std::map<std::string, std::string>& build_args;
  const Vars& global_args;
  const runtime::RuntimeOptions& runtime;
  const StepCache& cache;
  // The layers of a stage (by name or index, built on demand) or an image, for COPY --from.
  std::function<std::vector<image::Digest>(const std::string&)> source_layers;
  const std::string& network;               // RUN's default network mode (the build's --network)
  const std::vector<SecretSource>& secrets; // --secret, for RUN --mount=type=secret
  const std::vector<SshSource>& ssh;        // --ssh, for RUN --mount=type=ssh
};

// Stores the stage's config and manifest as blobs and returns the record for them (not yet in
// the image index).
storage::ImageRecord save_image(storage::Store& store, const StageState& state);

// Applies one instruction of a stage (not FROM) to `state`; true when its layer came from the cache.
bool apply(const StepContext& ctx, const Instruction& ins, StageState& state);

} // namespace build::detail
