// `commit`: a container's changes as a new image. The upper dir becomes one more layer (overlay
// whiteouts as OCI ".wh." entries, like a RUN step's), on top of the container's image, whose
// config is inherited with `--change` instructions applied and a history entry appended.
#pragma once

#include "storage/container_store.hpp"
#include "storage/image_index.hpp"

#include <optional>
#include <string>
#include <vector>

namespace storage {
class Store;
}

namespace build {

struct CommitRequest {
  std::optional<std::string> reference; // IMAGE[:TAG]; none: an untagged image
  std::string message;                  // -m: the history entry's comment
  std::string author;                   // -a: the config's and the history entry's author
  std::vector<std::string> changes;     // -c: Dockerfile instructions (CMD, ENV, LABEL, ...)
};

// Commits the (stopped or running) container. Throws util::Error for -c instructions commit
// does not take.
storage::ImageRecord commit_container(storage::Store& store, const storage::ContainerRecord& record,
                                      const CommitRequest& request);

} // namespace build
