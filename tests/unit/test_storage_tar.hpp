// Test helper: builds small tar (and compressed) streams in memory with libarchive's writer.
#pragma once

#include <archive.h>
#include <archive_entry.h>

#include <cstddef>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>

namespace storage_test {

struct ArchiveWriteDeleter {
  void operator()(archive* a) const noexcept { archive_write_free(a); }
};
struct EntryDeleter {
  void operator()(archive_entry* e) const noexcept { archive_entry_free(e); }
};

inline la_ssize_t append_cb(archive*, void* client, const void* data, size_t size) {
  static_cast<std::string*>(client)->append(static_cast<const char*>(data), size);
  return static_cast<la_ssize_t>(size);
}

// A pax tar (optionally gzip-compressed by libarchive) accumulated in a string.
class TarBuilder {
public:
  explicit TarBuilder(bool gzip = false) : m_a(archive_write_new()) {
    archive_write_set_format_pax_restricted(m_a.get());
    if (gzip)
      archive_write_add_filter_gzip(m_a.get());
    archive_write_set_bytes_in_last_block(m_a.get(), 1);
    if (archive_write_open(m_a.get(), &m_out, nullptr, append_cb, nullptr) != ARCHIVE_OK)
      throw std::runtime_error(archive_error_string(m_a.get()));
  }

  TarBuilder& file(std::string_view name, std::string_view data, int mode = 0644, long uid = 0,
                   long gid = 0) {
    auto e = entry(name, AE_IFREG, mode, uid, gid);
    archive_entry_set_size(e.get(), static_cast<la_int64_t>(data.size()));
    write(e.get(), data);
    return *this;
  }
  TarBuilder& dir(std::string_view name, int mode = 0755, long uid = 0, long gid = 0) {
    auto e = entry(name, AE_IFDIR, mode, uid, gid);
    write(e.get(), {});
    return *this;
  }
  TarBuilder& symlink(std::string_view name, std::string_view target) {
    auto e = entry(name, AE_IFLNK, 0777, 0, 0);
    archive_entry_set_symlink(e.get(), std::string(target).c_str());
    write(e.get(), {});
    return *this;
  }
  TarBuilder& hardlink(std::string_view name, std::string_view target) {
    auto e = entry(name, AE_IFREG, 0644, 0, 0);
    archive_entry_set_hardlink(e.get(), std::string(target).c_str());
    archive_entry_set_size(e.get(), 0);
    write(e.get(), {});
    return *this;
  }
  TarBuilder& node(std::string_view name, unsigned type, unsigned major, unsigned minor) {
    auto e = entry(name, type, 0666, 0, 0);
    archive_entry_set_rdevmajor(e.get(), major);
    archive_entry_set_rdevminor(e.get(), minor);
    write(e.get(), {});
    return *this;
  }
  TarBuilder& xattr_file(std::string_view name, const char* key, std::string_view value) {
    auto e = entry(name, AE_IFREG, 0644, 0, 0);
    archive_entry_xattr_add_entry(e.get(), key, value.data(), value.size());
    archive_entry_set_size(e.get(), 0);
    write(e.get(), {});
    return *this;
  }

  // Finishes the archive and returns its bytes.
  std::string finish() {
    archive_write_close(m_a.get());
    return m_out;
  }

private:
  std::unique_ptr<archive_entry, EntryDeleter> entry(std::string_view name, unsigned type, int mode,
                                                     long uid, long gid) {
    std::unique_ptr<archive_entry, EntryDeleter> e(archive_entry_new());
    archive_entry_set_pathname(e.get(), std::string(name).c_str());
    archive_entry_set_filetype(e.get(), type);
    archive_entry_set_perm(e.get(), static_cast<mode_t>(mode));
    archive_entry_set_uid(e.get(), uid);
    archive_entry_set_gid(e.get(), gid);
    archive_entry_set_mtime(e.get(), 1000000000, 0);
    return e;
  }
  void write(archive_entry* e, std::string_view data) {
    if (archive_write_header(m_a.get(), e) != ARCHIVE_OK)
      throw std::runtime_error(archive_error_string(m_a.get()));
    if (!data.empty())
      archive_write_data(m_a.get(), data.data(), data.size());
  }

  std::unique_ptr<archive, ArchiveWriteDeleter> m_a;
  std::string m_out;
};

// gzip of arbitrary bytes (one member), through libarchive's raw format.
inline std::string gzip(std::string_view data) {
  std::string out;
  std::unique_ptr<archive, ArchiveWriteDeleter> a(archive_write_new());
  archive_write_set_format_raw(a.get());
  archive_write_add_filter_gzip(a.get());
  archive_write_set_bytes_in_last_block(a.get(), 1);
  archive_write_open(a.get(), &out, nullptr, append_cb, nullptr);
  std::unique_ptr<archive_entry, EntryDeleter> e(archive_entry_new());
  archive_entry_set_filetype(e.get(), AE_IFREG);
  archive_write_header(a.get(), e.get());
  archive_write_data(a.get(), data.data(), data.size());
  archive_write_close(a.get());
  return out;
}

inline std::span<const std::byte> bytes(const std::string& s) {
  return std::as_bytes(std::span<const char>(s.data(), s.size()));
}

} // namespace storage_test
