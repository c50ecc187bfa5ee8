#include "storage/layer_ingest.hpp"

#include "storage/block_queue.hpp"
#include "storage/layer_pipeline.hpp"
#include "storage/store.hpp"
#include "util/error.hpp"
#include "util/log.hpp"
#include "util/strings.hpp"

#include <optional>
#include <thread>

namespace storage {

namespace {
// 4 x 1 MiB in flight per layer: large enough that the worker wakes rarely, small enough that
// several parallel layer downloads stay within a few MiB each.
constexpr size_t queue_blocks = 4;
constexpr size_t queue_block_size = 1024 * 1024;

// The worker's view of the download: each block goes to the blob file (hashed there for the
// blob digest) on its way to the decompressor.
class TeeSource final : public ChunkSource {
public:
  TeeSource(ChunkSource& input, BlobWriter& blob) : m_input(input), m_blob(blob) {}
  std::span<const std::byte> next() override {
    std::span<const std::byte> chunk = m_input.next();
    m_blob.write(chunk.data(), chunk.size());
    return chunk;
  }

private:
  ChunkSource& m_input;
  BlobWriter& m_blob;
};
} // namespace

struct LayerIngest::Impl {
  Impl(const Store& store_, image::Descriptor layer_, image::Digest diff_id_)
      : store(store_), layer(std::move(layer_)), diff_id(std::move(diff_id_)),
        compression(image::layer_compression(layer.media_type)),
        queue(queue_blocks, queue_block_size), tmp(make_layer_tmp(store.tmp_dir())),
        blob(store.blobs().begin(layer.digest, layer.size)) {
    worker = std::thread([this] { work(); });
  }

  ~Impl() {
    if (worker.joinable()) {
      queue.abort();
      worker.join();
    }
  }

  void work() noexcept {
    try {
      TeeSource source(queue, blob);
      result = unpack_layer_stream(source, compression, tmp.path() / "diff");
    } catch (...) {
      error = std::current_exception();
      queue.fail(error);
    }
  }

  LayerLease finish() {
    queue.close();
    worker.join();
    if (error)
      std::rethrow_exception(error);
    blob.commit();
    if (result->diff_id != diff_id)
      throw util::Error(util::cat("diff-id mismatch: the config says ", diff_id.str(),
                                  ", the content is ", result->diff_id.str()));
    return install_layer(store.layers(), tmp, diff_id);
  }

  const Store& store;
  image::Descriptor layer;
  image::Digest diff_id;
  image::Compression compression;
  BlockQueue queue;
  TmpEntry tmp;
  BlobWriter blob;
  std::optional<PipelineResult> result;
  std::exception_ptr error;
  std::thread worker; // last: started once everything above exists
};

LayerIngest::LayerIngest(const Store& store, const image::Descriptor& layer,
                         const image::Digest& diff_id) {
  try {
    m_impl = std::make_unique<Impl>(store, layer, diff_id);
  } catch (...) {
    util::rethrow_with_context(util::cat("layer ", layer.digest.str()));
  }
}

LayerIngest::LayerIngest(LayerIngest&&) noexcept = default;

LayerIngest::~LayerIngest() = default;

namespace {
void require_active(const void* impl) {
  if (impl == nullptr)
    throw util::Error("layer ingest: no longer usable after a failed restart");
}
} // namespace

void LayerIngest::write(const char* data, size_t size) {
  require_active(m_impl.get());
  try {
    m_impl->queue.write(data, size);
  } catch (...) {
    util::rethrow_with_context(util::cat("layer ", m_impl->layer.digest.str()));
  }
}

void LayerIngest::restart() {
  require_active(m_impl.get());
  const Store& store = m_impl->store;
  image::Descriptor layer = m_impl->layer;
  image::Digest diff_id = m_impl->diff_id;
  LOG_DEBUG("layer ", layer.digest.str(), ": restarting from the first byte");
  m_impl.reset(); // stops the worker and frees its memory before the next attempt
  m_impl = std::make_unique<Impl>(store, layer, diff_id);
}

LayerLease LayerIngest::finish() {
  require_active(m_impl.get());
  try {
    return m_impl->finish();
  } catch (...) {
    util::rethrow_with_context(util::cat("layer ", m_impl->layer.digest.str()));
  }
}

} // namespace storage
