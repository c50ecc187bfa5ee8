// Pulling images into the store (the `pull` use case, also used by `run` and `build`).
#pragma once

#include "image/platform.hpp"
#include "image/reference.hpp"
#include "storage/image_index.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace storage {
class Store;
}

namespace registry {

enum class PullPolicy { always, missing, never, newer };

// "always|missing|never|newer" (also "true"/"false" as podman accepts); throws util::Error.
PullPolicy parse_pull_policy(std::string_view text);

struct PullOptions {
  std::optional<image::Platform> platform; // default: host
  std::optional<bool> tls_verify;          // default: registries.conf / localhost rule
  std::string auth_file; // default: $REGISTRY_AUTH_FILE, then auth.json, then docker config
  bool quiet = false;    // no progress on stderr
};

// Pulls `ref` into the store: manifest (index -> platform), config, layers in parallel (streamed
// into LayerIngest), then records the image under its name. Progress goes to stderr. Throws
// util::Error("pull <ref>: ...") with an actionable message.
storage::ImageRecord pull(storage::Store& store, const image::ImageRef& ref,
                          const PullOptions& options);

// What `run` and `build` use: finds the image locally by name or id (storage::ImageIndex::lookup)
// and pulls according to `policy`. With `never` and no local image: "image not known" error.
storage::ImageRecord ensure_image(storage::Store& store, std::string_view user_text,
                                  PullPolicy policy, const PullOptions& options);

// The local image ensure_image would settle on without asking a registry, or nullopt when it
// would pull, ask a registry (`newer`) or fail. Only reads the index.
std::optional<storage::ImageRecord> local_choice(const storage::ImageIndex& images,
                                                 std::string_view user_text, PullPolicy policy);

} // namespace registry
