// `cove build -`: stdin holds either a tar archive (plain or compressed), which becomes the
// build context, or a Dockerfile, which is built with no context at all, as `docker build -`.
#pragma once
#include "storage/tmp_entry.hpp"

#include <filesystem>
#include <optional>
#include <string>

namespace build {

// What came on stdin: exactly one of the two is set.
struct StdinContext {
  std::optional<storage::TmpEntry> dir;  // the unpacked context directory
  std::optional<std::string> dockerfile; // the Dockerfile text
};

// Spools `fd` into `tmp_dir`, then unpacks it (confined) when it is an archive.
StdinContext read_stdin_context(const std::filesystem::path& tmp_dir, int fd);

} // namespace build
