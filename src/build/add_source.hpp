// What ADD does beyond COPY: local tar archives (plain, gzip, bzip2, xz or zstd, recognised by
// their content as Docker does, not by their name) are unpacked into the destination, and
// http(s) URLs are downloaded (optionally checked against --checksum) and copied as files.
#pragma once
#include "storage/tmp_entry.hpp"
#include "storage/unpack.hpp"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace build {

// True when the file at `path` is a tar archive, maybe compressed: its (decompressed) first
// block is a valid tar header. A compressed file that is not a tar is not an archive.
bool is_tar_archive(const std::filesystem::path& path);

// Unpacks the archive at `path` into the existing directory `dest` with the layer unpacker's
// confinement (no entry reaches outside `dest` through "..", absolute names or symlinks).
storage::UnpackStats extract_archive(const std::filesystem::path& path, const std::filesystem::path& dest);

// True for the sources ADD downloads: "http://..." and "https://...".
bool is_url_source(std::string_view source);

// The file name ADD gives a URL's download when the destination is a directory: the last
// component of the URL's path ("https://h/a/b.txt?x=1" -> "b.txt"); throws util::Error if none.
std::string url_file_name(std::string_view url);

// "sha256:<64 hex>" from --checksum, validated; returns the hex. Throws util::Error otherwise.
std::string parse_checksum(std::string_view text);

// An RFC 7231 date ("Sun, 06 Nov 1994 08:49:37 GMT") as seconds since the epoch; nullopt if it
// does not parse.
std::optional<std::int64_t> parse_http_date(std::string_view text);

// An ADD URL source downloaded into the store's tmp/.
struct Download {
  storage::TmpEntry file;
  std::string sha256;      // hex of the content
  std::int64_t size = 0;
  std::int64_t mtime = 0;  // Last-Modified, or 0 when the server sent none
};

// Downloads `url` into `tmp_dir`. With `checksum_hex`, a different content is an error naming
// both digests. `tls_verify` false skips certificate checks (--tls-verify=false).
Download download(const std::string& url, const std::filesystem::path& tmp_dir,
                  const std::optional<std::string>& checksum_hex, bool tls_verify);

} // namespace build
