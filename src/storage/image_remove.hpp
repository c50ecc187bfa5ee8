// Removing images (`rmi`), with Docker/podman semantics: a name untags, an id deletes.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace storage {

class Store;

// What remove_image did, for "Untagged: ..." / "Deleted: ..." output.
struct RemoveResult {
  std::vector<std::string> untagged; // names removed
  std::vector<std::string> deleted;  // image ids ("sha256:...") deleted
};

// Resolves `user_text` like ImageIndex::lookup. A name is untagged, and the image deleted once it
// has no name left. An id deletes the image; with several names that needs `force` (as podman).
// An image used by a container is refused unless `force`; forced, it only loses its names (it
// stays as <none> while containers need its layers). Deleting also removes the manifest and
// config blobs and every layer (and layer blob) no other image uses, skipping leased layers.
// Throws util::Error("<text>: image not known") and the refusals above.
RemoveResult remove_image(Store& store, std::string_view user_text, bool force);

} // namespace storage
