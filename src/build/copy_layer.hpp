// COPY/ADD from the build context: resolves sources inside the context (never outside it) and
// writes the layer tar directly, without a container.
#pragma once
#include "build/ignore.hpp"
#include "build/tar_writer.hpp"

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace build {

// The build context directory with its ignore rules.
struct Context {
  std::filesystem::path dir; // canonical
  IgnoreMatcher ignore;

  // Opens `dir` and reads .dockerignore (or .containerignore).
  static Context open(const std::filesystem::path& dir);
};

// One resolved COPY: expanded sources (relative to the context), destination inside the image.
struct CopyPlan {
  std::vector<std::string> sources;
  std::string dest;                   // absolute, as expanded
  std::optional<uid_t> uid;           // --chown
  std::optional<gid_t> gid;
  std::optional<unsigned> mode;       // --chmod
  std::vector<std::pair<std::string, std::string>> inline_files; // heredoc name -> content
  bool from_rootfs = false; // COPY --from: sources are absolute paths in another image's tree
  // True when the image below already has this path ("usr/local"): such parent directories are
  // left out of the layer so their mode and owner (e.g. /tmp's 1777) show through.
  std::function<bool(const std::string&)> lower_has;
};

// Writes the layer for `plan` into `tar` (a TarWriter, or a HashSink for the cache key).
void write_copy_layer(const Context& ctx, const CopyPlan& plan, LayerSink& tar);

// Parses --chown "uid[:gid]" (numeric); names are refused with a clear error.
std::pair<uid_t, gid_t> parse_chown(std::string_view text);

} // namespace build
