// The layer half of a pull: parallel downloads streamed into storage::LayerIngest, plus the
// podman-style progress lines shared by the whole pull.
#pragma once

#include "image/digest.hpp"
#include "image/manifest.hpp"
#include "registry/client.hpp"
#include "storage/layer_store.hpp"

#include <mutex>
#include <string>
#include <vector>

namespace storage {
class Store;
}

namespace registry {

// Progress lines on stderr ("Copying blob 1a2b3c4d5e6f done"), one write per line so lines
// from worker threads never interleave. Silent when quiet.
class Progress {
public:
  explicit Progress(bool quiet) : m_quiet(quiet) {}
  // Prints one line (a newline is added).
  void line(const std::string& text);

private:
  bool m_quiet;
  std::mutex m_mutex;
};

// Layers downloaded at the same time (each with its own connection).
inline constexpr size_t parallel_downloads = 3;

// Makes every layer of the manifest present in the store and returns one lease per distinct
// diff-id (hold them until the image is recorded). Layers already stored are leased, not
// downloaded. Each download is retried once on a transient network failure. The first failure
// stops the other downloads and is rethrown.
std::vector<storage::LayerLease> fetch_layers(const storage::Store& store, RegistryClient& client,
                                              const std::string& repository,
                                              const std::vector<image::Descriptor>& layers,
                                              const std::vector<image::Digest>& diff_ids,
                                              Progress& progress);

} // namespace registry
