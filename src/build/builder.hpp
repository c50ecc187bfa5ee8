// `cove build`: Dockerfile -> image in local storage. See DESIGN.md §3.8.
#pragma once
#include "build/secrets.hpp"
#include "build/ssh_sources.hpp"
#include "image/platform.hpp"
#include "registry/pull.hpp"
#include "runtime/run.hpp"
#include "storage/image_index.hpp"

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace storage {
class Store;
}

namespace build {

// What the user asked for.
struct BuildRequest {
  std::filesystem::path context;
  bool context_from_stdin = false;              // `build -`: a tar (maybe compressed) or a Dockerfile on stdin
  std::filesystem::path dockerfile;             // empty: <context>/Dockerfile, then Containerfile
  std::optional<std::string> dockerfile_text;   // `-f -`: the Dockerfile came on stdin
  std::vector<std::string> tags;                // "-t" names
  std::map<std::string, std::string> build_args; // --build-arg K=V
  std::string target;                           // --target: build up to this stage
  std::optional<image::Platform> platform;      // --platform: base images and TARGET* args
  std::map<std::string, std::string> labels;    // --label K=V, set on the final image
  registry::PullPolicy pull = registry::PullPolicy::missing;
  std::optional<bool> tls_verify;
  bool quiet = false;                           // -q: no step output, only the id
  bool no_cache = false;                        // --no-cache: rebuild every step
  runtime::RuntimeOptions runtime;              // where RUN steps keep their runtime state
  std::string network;                          // --network: RUN steps' default ("" = host)
  std::vector<SecretSource> secrets;            // --secret id=ID,src=PATH|env=VAR
  std::vector<SshSource> ssh;                   // --ssh default|ID[=SOCKET]
};

// Builds the image and records it under the tags; returns its record. Step progress goes to
// stdout ("STEP 2/5: COPY . /app"). Throws util::Error naming the Dockerfile line that failed.
storage::ImageRecord build(storage::Store& store, const BuildRequest& request);

} // namespace build
