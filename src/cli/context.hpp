// What every command gets from the top level: the global flags and the original argv (needed to
// re-execute cove inside its user namespace). Passed down explicitly; there is no global state.
#pragma once

#include "runtime/run.hpp"

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace storage {
class Store;
}

namespace cli {

// Global flags, as podman's persistent flags.
struct GlobalOptions {
  std::string root;           // --root (empty: default storage root)
  std::string runroot;        // --runroot (empty: default runtime root)
  std::string log_level;      // --log-level (empty: warning)
  std::string storage_driver; // --storage-driver / COVE_STORAGE_DRIVER (empty: probe)
  bool version = false;       // -v/--version
};

// One invocation of cove: the parsed global options, argv, and the command chosen by parsing.
struct Invocation {
  int argc = 0;
  char** argv = nullptr;
  GlobalOptions global;
  // IMAGE CMD... of a command taker (run), split off before CLI11 parses (see arg_scan.hpp).
  std::vector<std::string> command_words;
  // Set by the chosen subcommand's parse callback; run after parsing succeeded.
  std::function<int()> action;
};

// Re-executes cove inside its user namespace unless already there (see userns::ensure_in_userns).
// Every command that touches storage calls it once, after parsing succeeded.
void enter_userns(const Invocation& inv);

// The storage root from --root or the per-user default.
std::filesystem::path storage_root(const GlobalOptions& global);

// The runtime root from --runroot or the per-user default (not created).
std::filesystem::path runtime_root(const GlobalOptions& global);

// The driver forced by --storage-driver or COVE_STORAGE_DRIVER, if any.
std::optional<runtime::RootfsDriver> driver_override(const GlobalOptions& global);

// Enters the user namespace and opens the store at the storage root.
std::unique_ptr<storage::Store> open_store(const Invocation& inv);

// Runtime options for run: creates the private runtime root.
runtime::RuntimeOptions make_runtime_options(const GlobalOptions& global);

} // namespace cli
