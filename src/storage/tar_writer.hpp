// TarWriter: writes a tar (PAX) while hashing it: a layer into the store's tmp/, then stored as a
// blob, or a stream onto a descriptor (export, cp to stdout). libarchive's writer is loaded on
// first use, like storage/archive_api.hpp's reader.
#pragma once
#include "image/digest.hpp"
#include "storage/tmp_entry.hpp"
#include "util/fd.hpp"
#include "util/sha256.hpp"

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

struct archive;

namespace storage {

class BlobStore;

// Ownership, mode and time of one tar entry.
struct EntryMeta {
  uid_t uid = 0;
  gid_t gid = 0;
  unsigned mode = 0644; // permission bits only
  std::int64_t mtime = 0;
};

// The finished tar: its digest (the diff-id too, as it is uncompressed) and size.
struct TarResult {
  image::Digest digest;
  std::int64_t size = 0;
};

// Where a layer's entries go: a tar, or a hash of what a tar would hold (for cache keys).
class LayerSink {
public:
  virtual ~LayerSink() = default;
  // A directory entry; `path` is relative ("app/bin").
  virtual void add_dir(const std::string& path, const EntryMeta& meta) = 0;
  // A regular file whose content is read from `source` (an open fd of `size` bytes).
  virtual void add_file(const std::string& path, int source, std::int64_t size, const EntryMeta& meta) = 0;
  // A file with content from memory (heredocs, whiteouts).
  virtual void add_bytes(const std::string& path, std::string_view bytes, const EntryMeta& meta) = 0;
  // A symbolic link.
  virtual void add_symlink(const std::string& path, const std::string& target, const EntryMeta& meta) = 0;
};

// Hashes entries by path, type, owner, mode and content, not mtime: a COPY's cache input.
class HashSink : public LayerSink {
public:
  void add_dir(const std::string& path, const EntryMeta& meta) override;
  void add_file(const std::string& path, int source, std::int64_t size, const EntryMeta& meta) override;
  void add_bytes(const std::string& path, std::string_view bytes, const EntryMeta& meta) override;
  void add_symlink(const std::string& path, const std::string& target, const EntryMeta& meta) override;
  // The hex digest of everything added.
  std::string finish() { return m_hash.finish_hex(); }

private:
  void entry(char type, const std::string& path, const EntryMeta& meta);
  util::Sha256 m_hash;
};

// One uncompressed layer tar being written.
class TarWriter : public LayerSink {
public:
  // Creates the temporary file under `tmp_dir`.
  explicit TarWriter(const std::filesystem::path& tmp_dir);
  // Streams onto `out.fd` (borrowed, e.g. stdout); finish with close().
  struct Stream {
    int fd;
  };
  explicit TarWriter(Stream out);
  ~TarWriter() override;
  TarWriter(const TarWriter&) = delete;
  TarWriter& operator=(const TarWriter&) = delete;

  void add_dir(const std::string& path, const EntryMeta& meta) override;
  void add_file(const std::string& path, int source, std::int64_t size, const EntryMeta& meta) override;
  void add_bytes(const std::string& path, std::string_view bytes, const EntryMeta& meta) override;
  void add_symlink(const std::string& path, const std::string& target, const EntryMeta& meta) override;
  // A hard link to the earlier entry `target`.
  void add_hardlink(const std::string& path, const std::string& target, const EntryMeta& meta);
  // A character or block device (S_IFCHR, S_IFBLK with `rdev`) or a fifo (S_IFIFO).
  void add_node(const std::string& path, unsigned type, dev_t rdev, const EntryMeta& meta);
  // Closes the archive and stores it in `blobs`; the writer cannot be used afterwards.
  TarResult finish(const BlobStore& blobs);
  // Closes the archive (a stream); the writer cannot be used afterwards.
  TarResult close();

  // libarchive's write callback: appends to the file and the hash.
  void append(const void* data, std::size_t size);

private:
  void header(const std::string& path, unsigned type, std::int64_t size, const EntryMeta& meta,
              const std::string& link = {}, bool hardlink = false, dev_t rdev = 0);
  void data(const void* bytes, std::size_t size);

  void open_archive();

  std::optional<TmpEntry> m_tmp; // a layer: its temporary file
  util::UniqueFd m_fd;           // owned for a layer
  int m_out = -1;                // where the bytes go: m_fd, or the stream's borrowed fd
  std::string m_name;            // for messages
  util::Sha256 m_hash;
  std::int64_t m_size = 0;
  ::archive* m_archive = nullptr;
};

} // namespace storage
