#include "storage/whiteout.hpp"

#include "storage/tar_path.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"

namespace storage {

namespace {
std::string join_path(std::string_view parent, std::string_view base) {
  std::string out(parent);
  if (!out.empty())
    out += '/';
  out += base;
  return out;
}
} // namespace

Whiteout classify_whiteout(std::string_view sanitized_path) {
  SplitPath split = split_entry_path(sanitized_path);
  if (split.base.substr(0, whiteout_prefix.size()) != whiteout_prefix)
    return {};
  if (split.base == opaque_marker)
    return {WhiteoutKind::opaque, std::string(split.parent)};
  std::string_view name = split.base.substr(whiteout_prefix.size());
  if (name.substr(0, whiteout_prefix.size()) == whiteout_prefix)
    return {WhiteoutKind::meta, std::string(sanitized_path)};
  if (name.empty() || name == "." || name == "..")
    throw util::Error(util::cat("entry ", util::quote(sanitized_path), ": invalid whiteout name"));
  return {WhiteoutKind::file, join_path(split.parent, name)};
}

std::string whiteout_entry_name(std::string_view path) {
  SplitPath split = split_entry_path(path);
  return join_path(split.parent, util::cat(whiteout_prefix, split.base));
}

std::string opaque_entry_name(std::string_view dir) {
  return join_path(dir, opaque_marker);
}

} // namespace storage
