// The flags of `cove run`, kept apart from the command so argument splitting is unit-testable.
#pragma once

#include "cli/arg_scan.hpp"
#include "runtime/run.hpp"

#include <CLI/CLI.hpp>

#include <optional>
#include <string>
#include <vector>

namespace cli {

// `run` flags as typed, before any validation.
struct RunFlags {
  std::vector<std::string> env;       // -e/--env K=V or K (repeatable)
  std::vector<std::string> env_files; // --env-file
  std::vector<std::string> volumes;   // -v/--volume
  std::vector<std::string> mounts;    // --mount
  std::vector<std::string> tmpfs;     // --tmpfs
  std::string workdir;                // -w/--workdir
  std::string user;                   // -u/--user
  std::optional<std::string> entrypoint;
  std::string hostname;               // -h/--hostname
  std::string name;                   // --name
  std::vector<std::string> networks;  // --network/--net (several: user-defined networks)
  std::vector<std::string> network_aliases; // --network-alias (user-defined networks)
  net::NetworkOptions net;            // -p, -P, --dns, --dns-search, --dns-option, --add-host
  std::string pull = "missing";       // --pull[=POLICY]; bare --pull means always
  std::string platform;               // --platform
  std::optional<bool> tls_verify;     // --tls-verify[=false]
  bool rm = false;
  bool interactive = false;
  bool tty = false;
  bool read_only = false;
  bool detach = false;                // -d: run in the background, print the id
  std::string restart;                // --restart no|on-failure[:N]|always|unless-stopped
  bool init = false;                  // --init: cove-init as PID 1
  std::vector<std::string> ulimits;   // --ulimit NAME=SOFT[:HARD]
  bool quiet = false;                 // -q: no pull progress
  std::vector<std::string> image_and_command; // IMAGE [CMD ARG...]
};

// Adds the run flags to `cmd` (bound to `flags`, which must outlive parsing).
void add_run_flags(CLI::App& cmd, RunFlags& flags);

// The pre-parse rules for run: IMAGE starts the container's argv; bare --pull means always.
ScanRules run_scan_rules();

// Parses the words after "run" with a standalone parser, as `cove run` does. Throws
// CLI::ParseError for bad flags and util::Error when IMAGE is missing.
RunFlags parse_run_args(const std::vector<std::string>& args);

// Maps flags to the runtime's request (validates --pull, --restart, --platform and the mount
// flags; throws util::Error).
runtime::RunRequest to_run_request(const RunFlags& flags);

} // namespace cli
