// Sanitizing tar entry names and hardlink targets before anything touches the disk (pure).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace storage {

// Longest accepted entry path and component (Linux PATH_MAX / NAME_MAX).
inline constexpr std::size_t max_entry_path = 4095;
inline constexpr std::size_t max_entry_component = 255;

// Normalizes a tar entry name or hardlink target to a clean relative path inside the layer:
// "./a//b/" -> "a/b", "/etc/passwd" -> "etc/passwd" (absolute names are confined to the layer,
// as Docker and podman do), "a/../b" -> "b". The layer root itself ("./", "/") gives "".
// Throws util::Error(`entry "<name>": <reason>`) for names that climb above the root ("..",
// "a/../../b"), contain NUL, are empty, or are longer than the limits above.
std::string sanitize_entry_path(std::string_view name);

// Splits a sanitized path into parent ("" for the root) and last component.
struct SplitPath {
  std::string_view parent;
  std::string_view base;
};
SplitPath split_entry_path(std::string_view sanitized);

} // namespace storage
