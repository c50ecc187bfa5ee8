// `cp` arguments and Docker's rules for where a copy goes (pure: the caller stats the paths).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace runtime {

// One side of `cp`: CONTAINER:PATH, a host path, or "-" (a tar stream on stdin or stdout).
struct CopyArg {
  std::optional<std::string> container; // set for CONTAINER:PATH
  std::string path;                     // as given ("-" for the stream)
  bool stream() const { return !container && path == "-"; }
};

// Docker's split: a path starting with '/' or '.' is local (so "./a:b" names a local file);
// otherwise text before the first ':' is a container. Throws util::Error for an empty path.
CopyArg parse_copy_arg(std::string_view text);

// What a path names, once resolved.
enum class PathKind { missing, file, directory };

// Where the copy goes: entries are created in the existing directory `dest_dir`, the source's
// top entry under the name `top_name`, or, when `top_name` is empty, the source directory's
// contents directly in `dest_dir`.
struct CopyPlan {
  std::string dest_dir;
  std::string top_name;
};

// Docker's rules: a file goes into an existing directory under its own name, over an existing
// file, or to a new name in an existing directory ("dst/" must exist); a directory goes into an
// existing directory under its own name (its contents when the source ends in "/."), or becomes
// a new directory; never onto a file. `src` and `dst` are the paths as given (trailing "/" and
// "/." matter); `src_kind` must not be missing. Throws util::Error with Docker's reasons.
CopyPlan plan_copy(std::string_view src, PathKind src_kind, std::string_view dst, PathKind dst_kind);

// A path inside a container, absolute and without "." or empty components; a trailing "/" or
// "/." of the input is dropped (plan_copy looks at the original). Relative paths start at "/".
std::string container_path(std::string_view path);

// True when `path` ends with "/" or "/." (or is "." or "/"): it can only name a directory.
bool names_directory(std::string_view path);

// True when the source path asks for a directory's contents ("dir/.").
bool names_contents(std::string_view path);

} // namespace runtime
