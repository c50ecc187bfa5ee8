// Build secrets: `cove build --secret id=ID,src=PATH|env=VAR` parsed at the edge, and a secret
// staged for one RUN step as a file on a private tmpfs, so its value never reaches the disk, a
// layer, the history or a cache key.
#pragma once
#include "storage/tmp_entry.hpp"

#include <sys/types.h>

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace build {

// Where one secret's value comes from.
struct SecretSource {
  enum class Kind { file, env };
  std::string id;
  Kind kind = Kind::file;
  std::string location; // the file's path, or the environment variable's name
  friend bool operator==(const SecretSource&, const SecretSource&) = default;
};

// Looks an environment variable up (injectable for tests).
using SecretEnvLookup = std::function<std::optional<std::string>(const std::string&)>;

// The variable from cove's own environment.
std::optional<std::string> process_env(const std::string& name);

// Parses a --secret value as Docker does: `id=ID[,type=file|env][,src=PATH|source=PATH][,env=VAR]`.
// With neither src nor env, the variable named ID is used when it is set, else the file named ID.
// Throws util::Error quoting the value.
SecretSource parse_secret_flag(std::string_view text, const SecretEnvLookup& lookup);

// The secret's value, read now. Throws util::Error naming the secret and its source.
std::string read_secret(const SecretSource& source, const SecretEnvLookup& lookup);

// The source given for `id`, if any (the last one wins, as with Docker).
const SecretSource* find_secret(const std::vector<SecretSource>& secrets, std::string_view id);

// A secret written to a file on a tmpfs mounted (in cove's private mount namespace) on a fresh
// directory of the store's tmp/. The destructor unmounts, which discards the value.
class StagedSecret {
public:
  // Stages `value` as a file with `mode`, owned by `uid`:`gid`. Throws util::Error.
  StagedSecret(const std::filesystem::path& tmp_dir, std::string_view id, std::string_view value, unsigned mode,
               uid_t uid, gid_t gid);

  // The file holding the value.
  std::filesystem::path file() const { return m_dir.path() / "secret"; }

private:
  // The tmpfs; unmounted (MNT_DETACH) on destruction, before the directory is removed.
  struct Tmpfs {
    std::filesystem::path path;
    explicit Tmpfs(std::filesystem::path p) : path(std::move(p)) {}
    Tmpfs(Tmpfs&& other) noexcept : path(std::move(other.path)) { other.path.clear(); }
    Tmpfs& operator=(Tmpfs&&) = delete;
    ~Tmpfs();
  };
  storage::TmpEntry m_dir;
  std::optional<Tmpfs> m_tmpfs;
};

} // namespace build
