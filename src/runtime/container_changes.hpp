// `diff`: what a container changed in its image's filesystem, read from its overlay upper dir
// (overlay or fuse-overlayfs) and the image's layers, in Docker's terms.
#pragma once

#include "image/digest.hpp"
#include "storage/container_store.hpp"

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace storage {
class Store;
class TarWriter;
}

namespace runtime {

enum class ChangeKind { added, changed, deleted };

struct Change {
  ChangeKind kind;
  std::string path; // absolute in the container: "/etc/passwd"
  friend bool operator==(const Change&, const Change&) = default;
};

// Docker's letter: 'A', 'C' or 'D'.
char change_letter(ChangeKind kind);

// The changes recorded in an upper dir, a directory before its contents: deletions (whiteouts) are D, entries the
// lower layers have are C (directories holding a change included, as Docker reports them), the
// rest A. `in_lower` says whether the image's layers have a relative path ("etc/passwd").
std::vector<Change> upper_changes(const std::filesystem::path& upper,
                                  const std::function<bool(const std::string&)>& in_lower);

// True when the merged view of `layers` (overlay form, top first) has `rel`: the topmost layer
// that has it or hides it decides (whiteouts, opaque directories, a non-directory over a
// directory).
bool layers_have(const std::vector<std::filesystem::path>& layers, const std::string& rel);

// The container's changes: its upper dir read against the image's layers, or, with the copy
// driver, its rootfs compared with them (runtime/copy_changes.hpp). Nothing for a container
// that was never started.
std::vector<Change> container_changes(const storage::Store& store,
                                      const storage::ContainerRecord& record);

// Writes the container's changes as a layer tar: the upper dir with OCI whiteouts, or the copy
// driver's changes.
void write_container_layer(const storage::Store& store, const storage::ContainerRecord& record,
                           storage::TarWriter& tar);

} // namespace runtime
