// The shared middle of every layer unpack (network pull or stored blob): decompress, hash the
// tar for the diff-id, extract, then install the result under layers/.
#pragma once

#include "image/digest.hpp"
#include "image/manifest.hpp"
#include "storage/chunk_source.hpp"
#include "storage/layer_store.hpp"
#include "storage/tmp_entry.hpp"
#include "storage/unpack.hpp"
#include "util/fd.hpp"

#include <filesystem>
#include <memory>
#include <vector>

namespace storage {

// What came out of one layer stream.
struct PipelineResult {
  image::Digest diff_id; // sha256 of the whole uncompressed stream, end-marker padding included
  UnpackStats stats;
};

// Decompresses `compressed`, extracts the tar into the existing directory `diff_dir`, and keeps
// reading past the tar end marker so the diff-id covers every uncompressed byte.
PipelineResult unpack_layer_stream(ChunkSource& compressed, image::Compression compression,
                                   const std::filesystem::path& diff_dir);

// A temporary layer directory "<tmp>/layer-<random>/" with an empty "diff/" inside.
TmpEntry make_layer_tmp(const std::filesystem::path& tmp_dir);

// Moves a verified unpack (from make_layer_tmp) into layers/<hex>, or, when another process
// installed the same layer first, discards ours. Flushes the filesystem first, then takes the
// lease before the rename so the layer can never be seen unprotected. Returns the lease.
LayerLease install_layer(const LayerStore& layers, TmpEntry& unpacked, const image::Digest& diff_id);

// Reads a file in large chunks.
class FileSource final : public ChunkSource {
public:
  explicit FileSource(const std::filesystem::path& path);
  std::span<const std::byte> next() override;

private:
  std::filesystem::path m_path;
  util::UniqueFd m_fd;
  std::vector<std::byte> m_buffer;
};

} // namespace storage
