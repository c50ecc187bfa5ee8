#include "storage/layer_pipeline.hpp"

#include "storage/decompress.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/log.hpp"
#include "util/sha256.hpp"
#include "util/strings.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

namespace storage {

namespace {

constexpr size_t output_chunk = 256 * 1024;

// Decompresses on demand and hashes every byte it hands out: the diff-id is exactly what the
// extractor saw plus whatever follows the tar end marker (drained by finish()).
class DecompressingSource final : public ChunkSource {
public:
  DecompressingSource(ChunkSource& input, image::Compression compression)
      : m_input(input), m_decompressor(make_decompressor(compression)) {
    if (m_decompressor)
      m_out.resize(output_chunk);
  }

  std::span<const std::byte> next() override {
    std::span<const std::byte> chunk = produce();
    m_hash.update(chunk.data(), chunk.size());
    return chunk;
  }

  // Reads to the end and returns the digest of everything.
  image::Digest finish() {
    size_t trailing = 0;
    while (!next().empty())
      ++trailing;
    if (trailing > 0)
      LOG_DEBUG("layer stream: data after the tar end marker (counted in the diff-id)");
    return image::Digest::from_hex(m_hash.finish_hex());
  }

private:
  std::span<const std::byte> produce() {
    if (!m_decompressor)
      return m_input.next(); // uncompressed: no copy
    while (true) {
      if (m_pending.empty() && !m_eof) {
        m_pending = m_input.next();
        m_eof = m_pending.empty();
      }
      size_t n = m_decompressor->run(m_pending, m_out);
      if (n > 0)
        return std::span<const std::byte>(m_out.data(), n);
      if (m_eof) {
        if (!m_decompressor->complete())
          throw util::Error("unexpected end of compressed data");
        return {};
      }
      if (!m_pending.empty())
        throw util::Error("decompression made no progress");
    }
  }

  ChunkSource& m_input;
  std::unique_ptr<Decompressor> m_decompressor;
  std::vector<std::byte> m_out;
  std::span<const std::byte> m_pending;
  bool m_eof = false;
  util::Sha256 m_hash;
};

} // namespace

PipelineResult unpack_layer_stream(ChunkSource& compressed, image::Compression compression,
                                   const std::filesystem::path& diff_dir) {
  DecompressingSource source(compressed, compression);
  UnpackStats stats = unpack_tar(source, diff_dir);
  return PipelineResult{source.finish(), stats};
}

TmpEntry make_layer_tmp(const std::filesystem::path& tmp_dir) {
  TmpEntry entry(tmp_dir, "layer-");
  if (::mkdir(entry.path().c_str(), 0700) < 0)
    util::throw_errno(util::cat("create directory ", util::quote(entry.path().string())));
  std::filesystem::path diff = entry.path() / "diff";
  if (::mkdir(diff.c_str(), 0755) < 0)
    util::throw_errno(util::cat("create directory ", util::quote(diff.string())));
  return entry;
}

LayerLease install_layer(const LayerStore& layers, TmpEntry& unpacked, const image::Digest& diff_id) {
  // One syncfs per layer instead of an fsync per file: a layer holds thousands of small files
  // and per-file fsync would dominate the pull, while syncfs flushes them in one batch. It must
  // come before the rename, because an installed layer is trusted without re-verification; after
  // a power loss a renamed but unflushed tree could hold empty files. A killed process needs no
  // flush at all (the page cache survives it), so this costs nothing on tmpfs.
  util::write_file_atomic(unpacked.path() / "link", layers.short_id(diff_id));
  util::UniqueFd dir(::open(unpacked.path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir || ::syncfs(dir.get()) < 0)
    util::throw_errno(util::cat("flush ", util::quote(unpacked.path().string())));

  LayerLease lease = layers.lease_unchecked(diff_id);
  std::filesystem::path final_dir = layers.layer_dir(diff_id);
  if (::rename(unpacked.path().c_str(), final_dir.c_str()) == 0) {
    unpacked.release();
  } else if (errno == EEXIST || errno == ENOTEMPTY) {
    LOG_DEBUG("layer ", diff_id.str(), " was installed concurrently; using that copy");
    return lease; // ours is discarded by the TmpEntry; the short link exists already
  } else {
    util::throw_errno(util::cat("rename ", util::quote(unpacked.path().string()), " to ",
                                util::quote(final_dir.string())));
  }
  layers.create_short_link(diff_id);
  return lease;
}

FileSource::FileSource(const std::filesystem::path& path)
    : m_path(path), m_fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC)), m_buffer(1024 * 1024) {
  if (!m_fd)
    util::throw_errno(util::cat("open ", util::quote(path.string())));
}

std::span<const std::byte> FileSource::next() {
  while (true) {
    ssize_t n = ::read(m_fd.get(), m_buffer.data(), m_buffer.size());
    if (n >= 0)
      return std::span<const std::byte>(m_buffer.data(), static_cast<size_t>(n));
    if (errno != EINTR)
      util::throw_errno(util::cat("read ", util::quote(m_path.string())));
  }
}

} // namespace storage
