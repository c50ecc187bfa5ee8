#include "storage/blob_store.hpp"

#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/strings.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

namespace storage {

BlobWriter::BlobWriter(std::filesystem::path tmp_dir, std::filesystem::path final_path,
                       image::Digest expected, std::optional<std::int64_t> expected_size)
    : m_tmp(tmp_dir, "blob-"), m_final_path(std::move(final_path)), m_expected(std::move(expected)),
      m_expected_size(expected_size) {
  m_fd.reset(::open(m_tmp.path().c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
  if (!m_fd)
    util::throw_errno(util::cat("create ", util::quote(m_tmp.path().string())));
}

BlobWriter::BlobWriter(BlobWriter&& other) noexcept = default;

BlobWriter::~BlobWriter() = default; // m_tmp removes the uncommitted file

void BlobWriter::write(const void* data, size_t size) {
  if (m_committed)
    throw util::Error(util::cat("write blob ", m_expected.str(), ": already committed"));
  if (m_expected_size && m_written + static_cast<std::int64_t>(size) > *m_expected_size)
    throw util::Error(util::cat("blob ", m_expected.str(), ": more data than the expected ",
                                *m_expected_size, " bytes"));
  m_hash.update(data, size);
  const char* p = static_cast<const char*>(data);
  size_t left = size;
  while (left > 0) {
    ssize_t n = ::write(m_fd.get(), p, left);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      util::throw_errno(util::cat("write blob ", m_expected.str(), " to ",
                                  util::quote(m_tmp.path().string())));
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  m_written += static_cast<std::int64_t>(size);
}

void BlobWriter::commit() {
  if (m_committed)
    return;
  if (m_expected_size && m_written != *m_expected_size)
    throw util::Error(util::cat("blob ", m_expected.str(), ": size mismatch: expected ",
                                *m_expected_size, " bytes, got ", m_written));
  std::string got = m_hash.finish_hex();
  if (got != m_expected.hex())
    throw util::Error(util::cat("digest mismatch for ", m_expected.str(), ": got sha256:", got));
  // A blob is trusted forever once named by its digest, so its bytes must be durable first.
  if (::fsync(m_fd.get()) < 0)
    util::throw_errno(util::cat("fsync ", util::quote(m_tmp.path().string())));
  m_fd.reset();
  if (::rename(m_tmp.path().c_str(), m_final_path.c_str()) < 0)
    util::throw_errno(util::cat("rename ", util::quote(m_tmp.path().string()), " to ",
                                util::quote(m_final_path.string())));
  m_tmp.release();
  m_committed = true;
}

BlobStore::BlobStore(std::filesystem::path storage_root) : m_root(std::move(storage_root)) {}

std::filesystem::path BlobStore::path(const image::Digest& digest) const {
  return m_root / "blobs" / digest.algorithm() / digest.hex();
}

bool BlobStore::has(const image::Digest& digest) const {
  struct stat st{};
  return ::stat(path(digest).c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

std::string BlobStore::read(const image::Digest& digest) const {
  try {
    return util::read_file(path(digest));
  } catch (...) {
    util::rethrow_with_context(util::cat("read blob ", digest.str()));
  }
}

BlobWriter BlobStore::begin(const image::Digest& expected, std::optional<std::int64_t> size) const {
  return BlobWriter(m_root / "tmp", path(expected), expected, size);
}

image::Digest BlobStore::put(std::string_view bytes) const {
  image::Digest digest = image::Digest::sha256_of(bytes);
  if (!has(digest))
    put_verified(digest, bytes);
  return digest;
}

void BlobStore::put_verified(const image::Digest& expected, std::string_view bytes) const {
  BlobWriter writer = begin(expected, static_cast<std::int64_t>(bytes.size()));
  writer.write(bytes.data(), bytes.size());
  writer.commit();
}

void BlobStore::remove(const image::Digest& digest) const {
  if (::unlink(path(digest).c_str()) < 0 && errno != ENOENT)
    util::throw_errno(util::cat("remove blob ", util::quote(path(digest).string())));
}

} // namespace storage
