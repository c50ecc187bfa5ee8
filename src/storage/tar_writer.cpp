#include "storage/tar_writer.hpp"

#include "storage/blob_store.hpp"
#include "util/dynlib.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <vector>

namespace storage {
namespace {

// The libarchive write functions this module uses, resolved on first use.
struct WriteApi {
  decltype(&::archive_entry_new) entry_new;
  decltype(&::archive_entry_free) entry_free;
  decltype(&::archive_entry_set_pathname) entry_set_pathname;
  decltype(&::archive_entry_set_filetype) entry_set_filetype;
  decltype(&::archive_entry_set_perm) entry_set_perm;
  decltype(&::archive_entry_set_uid) entry_set_uid;
  decltype(&::archive_entry_set_gid) entry_set_gid;
  decltype(&::archive_entry_set_size) entry_set_size;
  decltype(&::archive_entry_set_mtime) entry_set_mtime;
  decltype(&::archive_entry_set_symlink) entry_set_symlink;
  decltype(&::archive_entry_set_hardlink) entry_set_hardlink;
  decltype(&::archive_entry_set_rdev) entry_set_rdev;
  decltype(&::archive_write_new) write_new;
  decltype(&::archive_write_set_format_pax_restricted) set_format_pax_restricted;
  decltype(&::archive_write_set_bytes_in_last_block) set_bytes_in_last_block;
  decltype(&::archive_write_open) write_open;
  decltype(&::archive_write_header) write_header;
  decltype(&::archive_write_data) write_data;
  decltype(&::archive_write_close) write_close;
  decltype(&::archive_write_free) write_free;
  decltype(&::archive_error_string) error_string;
};

#define COVE_RESOLVE(field, symbol) api.field = library.function<decltype(api.field)>(#symbol)

const WriteApi& write_api() {
  static const WriteApi instance = [] {
    static const util::DynamicLibrary library("libarchive.so.13", "libarchive13");
    WriteApi api{};
    COVE_RESOLVE(entry_new, archive_entry_new);
    COVE_RESOLVE(entry_free, archive_entry_free);
    COVE_RESOLVE(entry_set_pathname, archive_entry_set_pathname);
    COVE_RESOLVE(entry_set_filetype, archive_entry_set_filetype);
    COVE_RESOLVE(entry_set_perm, archive_entry_set_perm);
    COVE_RESOLVE(entry_set_uid, archive_entry_set_uid);
    COVE_RESOLVE(entry_set_gid, archive_entry_set_gid);
    COVE_RESOLVE(entry_set_size, archive_entry_set_size);
    COVE_RESOLVE(entry_set_mtime, archive_entry_set_mtime);
    COVE_RESOLVE(entry_set_symlink, archive_entry_set_symlink);
    COVE_RESOLVE(entry_set_hardlink, archive_entry_set_hardlink);
    COVE_RESOLVE(entry_set_rdev, archive_entry_set_rdev);
    COVE_RESOLVE(write_new, archive_write_new);
    COVE_RESOLVE(set_format_pax_restricted, archive_write_set_format_pax_restricted);
    COVE_RESOLVE(set_bytes_in_last_block, archive_write_set_bytes_in_last_block);
    COVE_RESOLVE(write_open, archive_write_open);
    COVE_RESOLVE(write_header, archive_write_header);
    COVE_RESOLVE(write_data, archive_write_data);
    COVE_RESOLVE(write_close, archive_write_close);
    COVE_RESOLVE(write_free, archive_write_free);
    COVE_RESOLVE(error_string, archive_error_string);
    return api;
  }();
  return instance;
}

#undef COVE_RESOLVE

la_ssize_t write_callback(::archive*, void* self, const void* data, std::size_t size) {
  try {
    static_cast<TarWriter*>(self)->append(data, size);
    return static_cast<la_ssize_t>(size);
  } catch (const util::Error&) {
    return -1; // libarchive reports the failed write; errno is kept for the message
  }
}

} // namespace

TarWriter::TarWriter(const std::filesystem::path& tmp_dir) {
  m_tmp.emplace(tmp_dir, "layer-");
  m_name = m_tmp->path().string();
  m_fd = util::UniqueFd(::open(m_tmp->path().c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (!m_fd)
    util::throw_errno(util::cat("create ", util::quote(m_name)));
  m_out = m_fd.get();
  open_archive();
}

TarWriter::TarWriter(Stream out) : m_out(out.fd), m_name("the tar stream") { open_archive(); }

void TarWriter::open_archive() {
  const auto& api = write_api();
  m_archive = api.write_new();
  if (m_archive == nullptr)
    throw util::Error("archive_write_new: out of memory");
  api.set_format_pax_restricted(m_archive);
  api.set_bytes_in_last_block(m_archive, 1);
  if (api.write_open(m_archive, this, nullptr, write_callback, nullptr) != ARCHIVE_OK)
    throw util::Error(util::cat("open tar: ", api.error_string(m_archive)));
}

TarWriter::~TarWriter() {
  if (m_archive != nullptr)
    write_api().write_free(m_archive);
}

void TarWriter::append(const void* data, std::size_t size) {
  m_hash.update(data, size);
  const char* p = static_cast<const char*>(data);
  while (size > 0) {
    ssize_t n = ::write(m_out, p, size);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      util::throw_errno(util::cat("write ", m_tmp ? util::quote(m_name) : m_name));
    p += n;
    size -= static_cast<std::size_t>(n);
    m_size += n;
  }
}

void TarWriter::header(const std::string& path, unsigned type, std::int64_t size, const EntryMeta& meta,
                       const std::string& link, bool hardlink, dev_t rdev) {
  const auto& api = write_api();
  ::archive_entry* e = api.entry_new();
  api.entry_set_pathname(e, path.c_str());
  api.entry_set_filetype(e, type);
  api.entry_set_perm(e, static_cast<mode_t>(meta.mode & 07777));
  api.entry_set_uid(e, meta.uid);
  api.entry_set_gid(e, meta.gid);
  api.entry_set_size(e, size);
  api.entry_set_mtime(e, meta.mtime, 0);
  if (hardlink)
    api.entry_set_hardlink(e, link.c_str());
  else if (!link.empty())
    api.entry_set_symlink(e, link.c_str());
  if (rdev != 0)
    api.entry_set_rdev(e, rdev);
  int rc = api.write_header(m_archive, e);
  api.entry_free(e);
  if (rc != ARCHIVE_OK)
    throw util::Error(util::cat("write tar header ", util::quote(path), ": ", api.error_string(m_archive)));
}

void TarWriter::data(const void* bytes, std::size_t size) {
  if (size > 0 && write_api().write_data(m_archive, bytes, size) < 0)
    throw util::Error(util::cat("write tar: ", write_api().error_string(m_archive)));
}

void TarWriter::add_dir(const std::string& path, const EntryMeta& meta) { header(path + "/", AE_IFDIR, 0, meta); }

void TarWriter::add_symlink(const std::string& path, const std::string& target, const EntryMeta& meta) {
  header(path, AE_IFLNK, 0, meta, target);
}

void TarWriter::add_hardlink(const std::string& path, const std::string& target, const EntryMeta& meta) {
  header(path, AE_IFREG, 0, meta, target, true);
}

void TarWriter::add_node(const std::string& path, unsigned type, dev_t rdev, const EntryMeta& meta) {
  header(path, type, 0, meta, {}, false, rdev);
}

void TarWriter::add_bytes(const std::string& path, std::string_view bytes, const EntryMeta& meta) {
  header(path, AE_IFREG, static_cast<std::int64_t>(bytes.size()), meta);
  data(bytes.data(), bytes.size());
}

void TarWriter::add_file(const std::string& path, int source, std::int64_t size, const EntryMeta& meta) {
  header(path, AE_IFREG, size, meta);
  std::vector<char> buf(256 * 1024);
  std::int64_t left = size;
  while (left > 0) {
    ssize_t n = ::read(source, buf.data(), static_cast<std::size_t>(std::min<std::int64_t>(left, buf.size())));
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      util::throw_errno(util::cat("read ", util::quote(path)));
    if (n == 0)
      throw util::Error(util::cat("read ", util::quote(path), ": file shrank while being copied"));
    data(buf.data(), static_cast<std::size_t>(n));
    left -= n;
  }
}

void HashSink::entry(char type, const std::string& path, const EntryMeta& meta) {
  m_hash.update(util::cat(type, ' ', path, ' ', meta.uid, ':', meta.gid, ' ', meta.mode, '\n'));
}

void HashSink::add_dir(const std::string& path, const EntryMeta& meta) { entry('d', path, meta); }

void HashSink::add_symlink(const std::string& path, const std::string& target, const EntryMeta& meta) {
  entry('l', path, meta);
  m_hash.update(target + "\n");
}

void HashSink::add_bytes(const std::string& path, std::string_view bytes, const EntryMeta& meta) {
  entry('f', path, meta);
  m_hash.update(util::cat(bytes.size(), '\n'));
  m_hash.update(bytes);
}

void HashSink::add_file(const std::string& path, int source, std::int64_t size, const EntryMeta& meta) {
  entry('f', path, meta);
  m_hash.update(util::cat(size, '\n'));
  std::vector<char> buf(256 * 1024);
  for (std::int64_t left = size; left > 0;) {
    ssize_t n = ::read(source, buf.data(), static_cast<std::size_t>(std::min<std::int64_t>(left, buf.size())));
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      util::throw_errno(n == 0 ? EIO : errno, util::cat("read ", util::quote(path)));
    m_hash.update(buf.data(), static_cast<std::size_t>(n));
    left -= n;
  }
}

TarResult TarWriter::close() {
  const auto& api = write_api();
  if (api.write_close(m_archive) != ARCHIVE_OK)
    throw util::Error(util::cat("close tar: ", api.error_string(m_archive)));
  api.write_free(m_archive);
  m_archive = nullptr;
  return TarResult{image::Digest::from_hex(m_hash.finish_hex()), m_size};
}

TarResult TarWriter::finish(const BlobStore& blobs) {
  if (!m_tmp)
    throw util::Error("finish: a tar stream is not a layer (use close)");
  TarResult result = close();
  if (blobs.has(result.digest))
    return result;
  // Stream the finished file into the blob store, which verifies and renames it into place.
  util::UniqueFd in(::open(m_name.c_str(), O_RDONLY | O_CLOEXEC));
  if (!in)
    util::throw_errno(util::cat("open ", util::quote(m_name)));
  auto writer = blobs.begin(result.digest, result.size);
  std::vector<char> buf(256 * 1024);
  while (true) {
    ssize_t n = ::read(in.get(), buf.data(), buf.size());
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      util::throw_errno(util::cat("read ", util::quote(m_name)));
    if (n == 0)
      break;
    writer.write(buf.data(), static_cast<std::size_t>(n));
  }
  writer.commit();
  return result;
}

} // namespace storage
