// Filesystem helpers that report errors as util::SystemError naming the path.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace util {

namespace fs = std::filesystem;

// Whole file as a string; throws SystemError (ENOENT etc.).
std::string read_file(const fs::path& path);
// Whole file, or nullopt if it does not exist.
std::optional<std::string> read_file_if_exists(const fs::path& path);

// Whether a write must survive a system crash (fsync before rename) or only a process crash.
enum class Durability { crash_safe, process_safe };

// Writes `data` to a temp file beside `path`, fsyncs (crash_safe), renames over `path`. Readers
// see the old or the new content, never a mix.
void write_file_atomic(const fs::path& path, std::string_view data, unsigned mode = 0644,
                       Durability durability = Durability::crash_safe);

// mkdir -p with the given mode for created directories.
void make_dirs(const fs::path& path, unsigned mode = 0755);

// rm -rf that also copes with read-only directories inside the tree (chmod u+rwx first).
// A missing path is not an error.
void remove_tree(const fs::path& path);

// fsync a directory (after rename into it).
void sync_dir(const fs::path& dir);

// Random lower-case hex string of `bytes` bytes (2*bytes characters), from getrandom(2).
std::string random_hex(size_t bytes);

} // namespace util
