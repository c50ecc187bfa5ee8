#include "runtime/copy_plan.hpp"

#include "util/error.hpp"
#include "util/strings.hpp"

#include <vector>

namespace runtime {
namespace {

// The path without trailing "/" and "/." ("a/b/." -> "a/b", "/" -> "/").
std::string_view strip_tail(std::string_view path) {
  while (path.size() > 1) {
    if (path.back() == '/')
      path.remove_suffix(1);
    else if (path.size() >= 2 && path.substr(path.size() - 2) == "/.")
      path.remove_suffix(1);
    else
      break;
  }
  return path;
}

std::string_view base_name(std::string_view path) {
  path = strip_tail(path);
  size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

std::string dir_name(std::string_view path) {
  path = strip_tail(path);
  size_t slash = path.rfind('/');
  if (slash == std::string_view::npos)
    return ".";
  if (slash == 0)
    return "/";
  return std::string(path.substr(0, slash));
}

} // namespace

CopyArg parse_copy_arg(std::string_view text) {
  if (text.empty())
    throw util::Error("cp: empty path");
  CopyArg arg;
  size_t colon = text.find(':');
  bool local = text[0] == '/' || text[0] == '.' || colon == std::string_view::npos ||
               text.find('/') < colon;
  if (local) {
    arg.path = std::string(text);
    return arg;
  }
  if (colon == 0)
    throw util::Error(util::cat("cp: ", util::quote(text), ": no container before ':'"));
  arg.container = std::string(text.substr(0, colon));
  arg.path = std::string(text.substr(colon + 1));
  if (arg.path.empty())
    throw util::Error(util::cat("cp: ", util::quote(text), ": no path after ':'"));
  return arg;
}

bool names_directory(std::string_view path) {
  return path == "." || path.ends_with("/") || path.ends_with("/.");
}

bool names_contents(std::string_view path) { return path == "." || path.ends_with("/."); }

CopyPlan plan_copy(std::string_view src, PathKind src_kind, std::string_view dst, PathKind dst_kind) {
  if (src_kind == PathKind::file && names_directory(src))
    throw util::Error(util::cat(util::quote(src), ": not a directory"));
  if (src_kind == PathKind::directory && dst_kind == PathKind::file)
    throw util::Error(util::cat("cannot copy a directory to a file: ", util::quote(dst)));
  if (dst_kind == PathKind::file && names_directory(dst))
    throw util::Error(util::cat(util::quote(dst), ": not a directory"));
  if (dst_kind == PathKind::missing && src_kind == PathKind::file && names_directory(dst))
    throw util::Error(util::cat("destination directory ", util::quote(dst), " must exist"));
  if (dst_kind == PathKind::directory) {
    std::string_view name = base_name(src);
    // "/" or "dir/." copies the contents; so does a source with no name of its own.
    if (src_kind == PathKind::directory && (names_contents(src) || name == "/" || name == "." || name == ".."))
      return {std::string(strip_tail(dst)), ""};
    return {std::string(strip_tail(dst)), std::string(name)};
  }
  // A new name (or a file replaced) in the destination's parent directory.
  return {dir_name(dst), std::string(base_name(dst))};
}

std::string container_path(std::string_view path) {
  std::string out;
  for (const std::string& part : util::split(std::string(path), '/')) {
    if (part.empty() || part == ".")
      continue;
    out += "/" + part;
  }
  return out.empty() ? "/" : out;
}

} // namespace runtime
