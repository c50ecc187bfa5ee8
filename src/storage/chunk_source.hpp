// ChunkSource: a stream of bytes pulled one chunk at a time (never per byte), the shape that
// libarchive's read callback and our decompressors want: the producer owns the buffer.
#pragma once

#include <cstddef>
#include <span>
#include <utility>

namespace storage {

class ChunkSource {
public:
  virtual ~ChunkSource() = default;
  // The next chunk, valid until the following call; empty at the end of the stream.
  virtual std::span<const std::byte> next() = 0;
};

// A ChunkSource over bytes already in memory (tests, small generated layers).
class BufferSource final : public ChunkSource {
public:
  // `data` must outlive the source.
  explicit BufferSource(std::span<const std::byte> data) : m_data(data) {}
  std::span<const std::byte> next() override { return std::exchange(m_data, {}); }

private:
  std::span<const std::byte> m_data;
};

} // namespace storage
