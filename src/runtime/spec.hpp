// ContainerSpec: everything needed to start one container process, computed purely from the
// image config and the user's request (no I/O), then serialized into the container record.
#pragma once

#include "image/config.hpp"
#include "net/network_options.hpp"
#include "runtime/run.hpp"
#include "runtime/ulimit.hpp"

#include <nlohmann/json.hpp>

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace runtime {

struct ContainerSpec {
  std::vector<std::string> args; // argv; args[0] resolved on PATH inside the container
  std::vector<std::string> env;  // "K=V", no duplicates, later wins
  std::string cwd = "/";
  std::string user;              // "name|uid[:group|gid]" as requested or from the image; "" = root
  std::string hostname;
  std::string network;           // a net::NetworkMode text: "none", "host", "slirp4netns[:...]"
  net::NetworkOptions network_options; // -p, -P, --dns*, --add-host
  std::vector<Mount> mounts;     // -v, --mount, --tmpfs and the image's VOLUMEs, by depth
  bool tty = false;
  bool stdin_open = false;
  bool read_only = false;
  std::vector<Ulimit> ulimits;   // --ulimit; others as cove's own (see util/open_file_limit)

  nlohmann::json to_json() const;
  static ContainerSpec from_json(const nlohmann::json& json);
};

// Looks up a variable in the caller's environment (for "-e NAME" without a value).
using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;

// Builds the spec with Docker's rules:
//  * args: --entrypoint (a single string; "" clears) else image Entrypoint, followed by the
//    request command if given else image Cmd (image Cmd is dropped when --entrypoint is given);
//    empty result -> util::Error("no command specified").
//  * env: PATH default "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" unless the
//    image sets it, then image Env, then HOSTNAME, then TERM=xterm with -t, then env files
//    (contents given in order, "K=V" lines, '#' comments, "K" alone taken from `lookup`), then -e.
//  * cwd: -w else image WorkingDir else "/"; must be absolute.
//  * user: -u else image User.
//  * hostname: --hostname else the first 12 characters of container_id.
//  * network: request value, default "host" (the CLI resolves the rootless default); options
//    checked against it.
//  * mounts: the request's (one per destination), then an anonymous volume for each image
//    VOLUME no request mount covers; sorted so a parent directory is mounted before its children.
ContainerSpec make_spec(const image::ImageConfig& config, const RunRequest& request,
                        const std::string& container_id,
                        const std::vector<std::string>& env_file_contents, const EnvLookup& lookup);

// The entries of env file number `index` (0-based, for messages) in the format above, for
// `exec --env-file`: "K=V" as written, "K" from `lookup` (dropped when unset there).
std::vector<std::string> env_file_entries(std::string_view content, const EnvLookup& lookup,
                                          size_t index);

} // namespace runtime
