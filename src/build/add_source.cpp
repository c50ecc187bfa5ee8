#include "build/add_source.hpp"

#include "registry/http.hpp"
#include "util/dynlib.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/sha256.hpp"
#include "util/strings.hpp"

#include <archive.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <ctime>
#include <memory>
#include <vector>

namespace build {
namespace {

// The libarchive read functions for decompressing a whole file, resolved on first use. The layer
// reader (storage/archive_api) only parses tar; here the filters do the decompression.
struct RawReadApi {
  decltype(&::archive_read_new) read_new;
  decltype(&::archive_read_support_filter_gzip) filter_gzip;
  decltype(&::archive_read_support_filter_bzip2) filter_bzip2;
  decltype(&::archive_read_support_filter_xz) filter_xz;
  decltype(&::archive_read_support_filter_zstd) filter_zstd;
  decltype(&::archive_read_support_format_raw) format_raw;
  decltype(&::archive_read_open_fd) open_fd;
  decltype(&::archive_read_next_header) next_header;
  decltype(&::archive_read_data_block) data_block;
  decltype(&::archive_read_free) read_free;
  decltype(&::archive_error_string) error_string;
};

#define COVE_RESOLVE(field, symbol) api.field = library.function<decltype(api.field)>(#symbol)

const RawReadApi& raw_api() {
  static const RawReadApi instance = [] {
    static const util::DynamicLibrary library("libarchive.so.13", "libarchive13");
    RawReadApi api{};
    COVE_RESOLVE(read_new, archive_read_new);
    COVE_RESOLVE(filter_gzip, archive_read_support_filter_gzip);
    COVE_RESOLVE(filter_bzip2, archive_read_support_filter_bzip2);
    COVE_RESOLVE(filter_xz, archive_read_support_filter_xz);
    COVE_RESOLVE(filter_zstd, archive_read_support_filter_zstd);
    COVE_RESOLVE(format_raw, archive_read_support_format_raw);
    COVE_RESOLVE(open_fd, archive_read_open_fd);
    COVE_RESOLVE(next_header, archive_read_next_header);
    COVE_RESOLVE(data_block, archive_read_data_block);
    COVE_RESOLVE(read_free, archive_read_free);
    COVE_RESOLVE(error_string, archive_error_string);
    return api;
  }();
  return instance;
}

#undef COVE_RESOLVE

struct ArchiveFree {
  void operator()(::archive* a) const noexcept { raw_api().read_free(a); }
};

// The bytes of a file after gzip, bzip2, xz or zstd decompression (Docker's set), or as they are.
class DecompressedFile final : public storage::ChunkSource {
public:
  explicit DecompressedFile(const std::filesystem::path& path) : m_path(path.string()) {
    m_fd = util::UniqueFd(::open(m_path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!m_fd)
      util::throw_errno(util::cat("open ", util::quote(m_path)));
    const auto& api = raw_api();
    m_archive.reset(api.read_new());
    if (!m_archive)
      throw util::Error("archive_read_new: out of memory");
    api.filter_gzip(m_archive.get());
    api.filter_bzip2(m_archive.get());
    api.filter_xz(m_archive.get());
    api.filter_zstd(m_archive.get());
    api.format_raw(m_archive.get());
    ::archive_entry* entry = nullptr;
    if (api.open_fd(m_archive.get(), m_fd.get(), 64 * 1024) != ARCHIVE_OK)
      fail("open");
    int rc = api.next_header(m_archive.get(), &entry);
    if (rc == ARCHIVE_EOF)
      m_done = true;
    else if (rc != ARCHIVE_OK)
      fail("read");
  }

  std::span<const std::byte> next() override {
    if (m_done)
      return {};
    const void* data = nullptr;
    size_t size = 0;
    la_int64_t offset = 0;
    int rc = raw_api().data_block(m_archive.get(), &data, &size, &offset);
    if (rc == ARCHIVE_EOF) {
      m_done = true;
      return {};
    }
    if (rc != ARCHIVE_OK)
      fail("decompress");
    return {static_cast<const std::byte*>(data), size};
  }

private:
  [[noreturn]] void fail(const char* what) const {
    const char* message = raw_api().error_string(m_archive.get());
    throw util::Error(util::cat(what, " ", util::quote(m_path), ": ", message ? message : "unknown error"));
  }

  std::string m_path;
  util::UniqueFd m_fd;
  std::unique_ptr<::archive, ArchiveFree> m_archive;
  bool m_done = false;
};

// A tar header block whose checksum field matches its bytes (signed or unsigned sum, as both
// exist in the wild) and whose name is not empty.
bool valid_tar_header(const unsigned char* block) {
  if (block[0] == 0)
    return false;
  unsigned long unsigned_sum = 0;
  long signed_sum = 0;
  for (int i = 0; i < 512; ++i) {
    unsigned char c = i >= 148 && i < 156 ? ' ' : block[i];
    unsigned_sum += c;
    signed_sum += static_cast<signed char>(c);
  }
  std::string field(reinterpret_cast<const char*>(block + 148), 8);
  field = std::string(util::trim(field.substr(0, field.find('\0'))));
  if (field.empty() || field.find_first_not_of("01234567") != std::string::npos)
    return false;
  long stored = std::stol(field, nullptr, 8);
  return stored == static_cast<long>(unsigned_sum) || stored == signed_sum;
}

bool is_hex(std::string_view s) { return s.find_first_not_of("0123456789abcdef") == std::string_view::npos; }

} // namespace

bool is_tar_archive(const std::filesystem::path& path) {
  unsigned char block[512];
  size_t have = 0;
  try {
    DecompressedFile file(path);
    while (have < sizeof block) {
      auto chunk = file.next();
      if (chunk.empty())
        break;
      size_t n = std::min(chunk.size(), sizeof block - have);
      std::memcpy(block + have, chunk.data(), n);
      have += n;
    }
  } catch (const util::SystemError&) {
    throw;
  } catch (const util::Error&) {
    return false; // a corrupt compressed stream is copied as a file, as Docker does
  }
  return have == sizeof block && valid_tar_header(block);
}

storage::UnpackStats extract_archive(const std::filesystem::path& path, const std::filesystem::path& dest) {
  try {
    DecompressedFile file(path);
    auto stats = storage::unpack_tar(file, dest);
    while (!file.next().empty()) {
      // the tar's end marker was reached; padding after it is read and ignored
    }
    return stats;
  } catch (const util::Error&) {
    util::rethrow_with_context(util::cat("extract ", util::quote(path.filename().string())));
  }
}

bool is_url_source(std::string_view source) {
  auto lower = util::to_lower(source.substr(0, 8));
  return lower.rfind("http://", 0) == 0 || lower.rfind("https://", 0) == 0;
}

std::string url_file_name(std::string_view url) {
  auto path = url.substr(url.find("://") + 3);
  path = path.substr(0, path.find_first_of("?#"));
  auto slash = path.find('/');
  std::string_view name = slash == std::string_view::npos ? std::string_view() : path.substr(slash);
  while (!name.empty() && name.back() == '/')
    name.remove_suffix(1);
  name = name.substr(name.rfind('/') + 1);
  if (name.empty() || name == "." || name == "..")
    throw util::Error(util::cat("ADD ", url, ": cannot determine a file name from the URL; "
                                "give the destination as a file path"));
  return std::string(name);
}

std::string parse_checksum(std::string_view text) {
  constexpr std::string_view prefix = "sha256:";
  if (text.rfind(prefix, 0) != 0 || text.size() != prefix.size() + 64 || !is_hex(text.substr(prefix.size())))
    throw util::Error(util::cat("--checksum=", text, ": expected sha256:<64 lower-case hex digits>"));
  return std::string(text.substr(prefix.size()));
}

std::optional<std::int64_t> parse_http_date(std::string_view text) {
  std::string copy(util::trim(text));
  struct tm tm {};
  const char* end = ::strptime(copy.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (end == nullptr || *end != '\0')
    return std::nullopt;
  return static_cast<std::int64_t>(::timegm(&tm));
}

Download download(const std::string& url, const std::filesystem::path& tmp_dir,
                  const std::optional<std::string>& checksum_hex, bool tls_verify) {
  Download out{storage::TmpEntry(tmp_dir, "add-url-"), {}, 0, 0};
  util::UniqueFd fd(::open(out.file.path().c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (!fd)
    util::throw_errno(util::cat("create ", util::quote(out.file.path().string())));
  util::Sha256 hash;
  registry::HttpClient client(tls_verify ? registry::TlsVerify::yes : registry::TlsVerify::no);
  auto response = client.get_stream(registry::Request{url, {}, std::nullopt}, [&](const char* data, size_t size) {
    hash.update(data, size);
    out.size += static_cast<std::int64_t>(size);
    for (size_t done = 0; done < size;) {
      ssize_t n = ::write(fd.get(), data + done, size - done);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        util::throw_errno(util::cat("write ", util::quote(out.file.path().string())));
      done += static_cast<size_t>(n);
    }
  });
  if (response.status < 200 || response.status > 299)
    throw util::Error(util::cat("GET ", url, ": HTTP status ", response.status));
  out.sha256 = hash.finish_hex();
  if (checksum_hex && *checksum_hex != out.sha256)
    throw util::Error(util::cat("ADD ", url, ": checksum mismatch: expected sha256:", *checksum_hex,
                                ", got sha256:", out.sha256));
  if (auto modified = response.headers.get("Last-Modified"))
    out.mtime = parse_http_date(*modified).value_or(0);
  return out;
}

} // namespace build
