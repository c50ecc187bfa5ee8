// RUN's own flags as value types (pure): `--mount=type=cache|secret|ssh|bind|tmpfs,...` after the
// builder expanded ARG/ENV in them, and `--network=default|none|host`.
#pragma once
#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace build {

// What a RUN mount exposes.
enum class RunMountType {
  bind,   // the build context, or another stage's or image's rootfs
  cache,  // a directory kept under the storage root between builds, never in a layer
  tmpfs,  // an empty tmpfs for the step
  secret, // a `cove build --secret` value as a read-only file on a tmpfs
  ssh,    // a `cove build --ssh` agent socket, reached through a socket of the build's own
};

// How concurrent builds share one cache mount (BuildKit's names).
enum class CacheSharing {
  shared,   // everyone uses the same directory at once
  private_, // a builder finding it in use gets another instance of its own
  locked,   // one builder at a time; the others wait
};

// One parsed --mount value.
struct RunMount {
  RunMountType type = RunMountType::bind;
  std::string target;   // absolute and clean, never "/"
  std::string source;   // bind, cache: relative path inside `from` (or the context); "" = its root
  std::string from;     // bind, cache: stage name or index, or image; "" = the context (bind)
                        // or an empty directory (cache)
  std::string id;       // cache: defaults to target; secret: defaults to target's base name;
                        // ssh: "default"
  bool read_only = false; // bind: true unless rw; cache: false unless ro
  bool required = false;  // secret, ssh: fail when the build was given no such secret or agent
  CacheSharing sharing = CacheSharing::shared;
  unsigned mode = 0755;   // cache: its root directory's mode when created; secret: the file's
                          // (0400); ssh: the socket's (0600)
  uid_t uid = 0;          // cache root / secret file / ssh socket owner inside the container
  gid_t gid = 0;
  std::optional<unsigned long long> size; // tmpfs: bytes
  friend bool operator==(const RunMount&, const RunMount&) = default;
};

// Parses one --mount value (CSV of key=value fields, as BuildKit reads it). A relative target is
// taken from `workdir`, as BuildKit does. Throws util::Error quoting the value and the field.
RunMount parse_run_mount(std::string_view text, std::string_view workdir = "/");

// Gives ssh mounts without a target BuildKit's /run/buildkit/ssh_agent.N (N: the mount's place
// among the RUN's ssh mounts), then checks the mounts of one RUN together: no two on the same
// target. Throws util::Error.
void check_run_mounts(std::vector<RunMount>& mounts);

// The socket path SSH_AUTH_SOCK names for a RUN: the first ssh mount's target; "" without one.
std::string ssh_auth_sock(const std::vector<RunMount>& mounts);

// The `from=` values of unexpanded --mount texts, so the builder can build those stages first.
std::vector<std::string> mount_from_names(const std::vector<std::string>& texts);

// Validates RUN --network: "default" (or empty), "none" or "host". Throws util::Error.
void check_run_network(std::string_view value);

// The network mode of one RUN step: its own --network, or the build's for "" and "default".
std::string run_network(std::string_view value, const std::string& build_network);

} // namespace build
