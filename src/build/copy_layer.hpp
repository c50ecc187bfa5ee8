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
  // ADD URL sources, already downloaded: name in the destination, file, mtime (mode 0600).
  struct Fetched {
    std::string name;
    std::filesystem::path path;
    std::int64_t mtime = 0;
  };
  std::vector<Fetched> fetched;
  bool extract_archives = false;  // ADD: local tar archives are unpacked into the destination
  std::filesystem::path tmp_dir;  // where archives are unpacked (the store's tmp/)
  bool keep_owners = false;       // entries keep their owner on disk (an unpacked archive)
  bool from_rootfs = false; // COPY --from: sources are absolute paths in another image's tree
  // True when the image below already has this path ("usr/local"): such parent directories are
  // left out of the layer so their mode and owner (e.g. /tmp's 1777) show through.
  std::function<bool(const std::string&)> lower_has;
};

// Writes the layer for `plan` into `tar` (a TarWriter, or a HashSink for the cache key).
void write_copy_layer(const Context& ctx, const CopyPlan& plan, LayerSink& tar);

// Resolves --chown "user[:group]" with Docker's rules: a numeric user alone is also the group, a
// user name gives its passwd uid and primary gid, a group name is looked up in /etc/group.
// `passwd` and `group` are the stage's files (empty when it has none).
std::pair<uid_t, gid_t> parse_chown(std::string_view text, std::string_view passwd = {}, std::string_view group = {});

// True when --chown names a user or group (so the stage's /etc/passwd and /etc/group are needed).
bool chown_has_names(std::string_view text);

} // namespace build
