// BlobStore: content-addressed blobs under <root>/blobs/sha256/<hex>. Immutable once written.
#pragma once

#include "image/digest.hpp"
#include "storage/tmp_entry.hpp"
#include "util/fd.hpp"
#include "util/sha256.hpp"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace storage {

// Streams one blob into <root>/tmp, hashing as it goes. commit() verifies size and digest, fsyncs
// and renames into place; the destructor discards an uncommitted blob (ccache's AtomicFile rule).
class BlobWriter {
public:
  // Creates the temporary file in `tmp_dir`; `final_path` is where commit() puts it.
  BlobWriter(std::filesystem::path tmp_dir, std::filesystem::path final_path, image::Digest expected,
             std::optional<std::int64_t> expected_size);
  BlobWriter(BlobWriter&&) noexcept;
  BlobWriter& operator=(BlobWriter&&) = delete;
  ~BlobWriter();

  // Appends bytes; throws when more than expected_size arrives.
  void write(const void* data, size_t size);
  // Verifies and renames. Throws util::Error("digest mismatch for sha256:..: got sha256:..").
  void commit();
  // Bytes received so far.
  std::int64_t written() const noexcept { return m_written; }

private:
  TmpEntry m_tmp;
  std::filesystem::path m_final_path;
  image::Digest m_expected;
  std::optional<std::int64_t> m_expected_size;
  util::UniqueFd m_fd;
  util::Sha256 m_hash;
  std::int64_t m_written = 0;
  bool m_committed = false;
};

// The content-addressed blob directory of one store.
class BlobStore {
public:
  // `storage_root` is the store root (blobs/ and tmp/ live below it).
  explicit BlobStore(std::filesystem::path storage_root);

  // blobs/sha256/<hex>
  std::filesystem::path path(const image::Digest& digest) const;
  // True when the blob is stored.
  bool has(const image::Digest& digest) const;
  // Reads a stored blob (verified when written). Throws if absent.
  std::string read(const image::Digest& digest) const;
  // Starts a verified streaming write.
  BlobWriter begin(const image::Digest& expected, std::optional<std::int64_t> size) const;
  // Stores bytes whose digest is computed here; returns it. No-op if present.
  image::Digest put(std::string_view bytes) const;
  // Stores bytes that must hash to `expected`; throws on mismatch.
  void put_verified(const image::Digest& expected, std::string_view bytes) const;
  // Removes a blob; missing is fine.
  void remove(const image::Digest& digest) const;

private:
  std::filesystem::path m_root;
};

} // namespace storage
