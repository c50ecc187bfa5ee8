#include "storage/tar_path.hpp"

#include "util/error.hpp"
#include "util/strings.hpp"

#include <vector>

namespace storage {

namespace {
[[noreturn]] void reject(std::string_view name, std::string_view reason) {
  throw util::Error(util::cat("entry ", util::quote(name), ": ", reason));
}
} // namespace

std::string sanitize_entry_path(std::string_view name) {
  if (name.empty())
    reject(name, "empty name");
  if (name.find('\0') != std::string_view::npos)
    reject(name, "name contains a NUL byte");
  if (name.size() > max_entry_path)
    reject(name, "name too long");

  // Lexical resolution against the layer root: ".." may only undo a component seen before it.
  std::vector<std::string_view> parts;
  size_t pos = 0;
  while (pos <= name.size()) {
    size_t slash = name.find('/', pos);
    if (slash == std::string_view::npos)
      slash = name.size();
    std::string_view part = name.substr(pos, slash - pos);
    pos = slash + 1;
    if (part.empty() || part == ".")
      continue;
    if (part.size() > max_entry_component)
      reject(name, "path component too long");
    if (part == "..") {
      if (parts.empty())
        reject(name, "path escapes the layer");
      parts.pop_back();
      continue;
    }
    parts.push_back(part);
  }

  std::string out;
  out.reserve(name.size());
  for (std::string_view part : parts) {
    if (!out.empty())
      out += '/';
    out += part;
  }
  return out;
}

SplitPath split_entry_path(std::string_view sanitized) {
  size_t slash = sanitized.rfind('/');
  if (slash == std::string_view::npos)
    return {std::string_view(), sanitized};
  return {sanitized.substr(0, slash), sanitized.substr(slash + 1)};
}

} // namespace storage
