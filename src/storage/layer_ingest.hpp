// LayerIngest: one compressed layer streamed from the network into the store, decompressed and
// unpacked while it downloads. Bytes go three ways at once: the compressed blob file (digest and
// size verified), the decompressor (gzip through ISA-L, zstd, or none) whose output is hashed for
// the diff-id, and the tar extractor confined to the layer directory.
#pragma once

#include "image/manifest.hpp"
#include "storage/layer_store.hpp"

#include <memory>

namespace storage {

class Store;

// One layer download in progress; see the file comment.
class LayerIngest {
public:
  // Prepares temp files and starts the unpack worker. `layer` is the manifest descriptor,
  // `diff_id` the config's rootfs.diff_ids entry for it.
  LayerIngest(const Store& store, const image::Descriptor& layer, const image::Digest& diff_id);
  LayerIngest(LayerIngest&&) noexcept;
  LayerIngest& operator=(LayerIngest&&) = delete;
  // Aborts: stops the worker, removes temp files. Never leaves a partial layer or blob in place.
  ~LayerIngest();

  // Called from the download thread with each chunk, in order. May block (back-pressure).
  // Throws if unpacking already failed (so the download stops early).
  void write(const char* data, size_t size);
  // Discards everything received so far (a retried download starts over).
  void restart();
  // End of data: waits for the unpack, verifies blob digest+size and diff-id, renames both into
  // place, and returns a shared lease on the layer. Throws util::Error naming the digest on any
  // mismatch or extraction error.
  LayerLease finish();

private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

} // namespace storage
