// Streaming decompressors for layer blobs: gzip through ISA-L's igzip (several times faster than
// zlib's inflate, which is what bounds a pull), zstd through libzstd.
#pragma once

#include "image/manifest.hpp"

#include <cstddef>
#include <memory>
#include <span>

namespace storage {

class Decompressor {
public:
  virtual ~Decompressor() = default;
  // Decompresses from `in` (advanced past what was consumed) into `out`; returns the bytes
  // produced. Called with empty `in` to flush output held back when `out` was full.
  // Throws util::Error on corrupt data.
  virtual size_t run(std::span<const std::byte>& in, std::span<std::byte> out) = 0;
  // True when the data seen so far ends on a complete stream (member or frame) boundary.
  virtual bool complete() const noexcept = 0;
};

// A decompressor for gzip (multi-member, trailing zero padding tolerated) or zstd (multi-frame);
// nullptr for Compression::none, where bytes pass through untouched.
std::unique_ptr<Decompressor> make_decompressor(image::Compression compression);

} // namespace storage
