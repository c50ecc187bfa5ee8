// Pre-parse pass over argv for what CLI11 2.1 cannot express: commands whose first positional
// starts the container's own argv, and options whose value is optional.
#pragma once

#include <CLI/CLI.hpp>

#include <map>
#include <set>
#include <string>
#include <vector>

namespace cli {

// An option that may be given bare ("--pull" means "--pull=always") or with a value, either as
// "--pull=never" or "--pull never" when the next word is one of `values`.
struct OptionalValue {
  std::string implicit;
  std::set<std::string> values;
};

// Rules for split_command_args.
struct ScanRules {
  // Subcommands (by their full path, e.g. "run") whose first positional begins IMAGE CMD...:
  // nothing from there on is parsed as a cove option.
  std::set<std::string> command_takers;
  // Options with an optional value, by long name ("--pull"), applying to any subcommand.
  std::map<std::string, OptionalValue> optional_values;
};

// argv split in two: what CLI11 parses, and the words it must never see.
struct SplitArgs {
  std::vector<std::string> options; // cove's own words, to parse
  std::vector<std::string> command; // IMAGE CMD... for a command taker (may be empty)
};

// Walks `args` (without argv[0]) the way CLI11 will, descending into subcommands. For a command
// taker, everything from its first positional (or after its "--") goes to `command`: CLI11 2.1
// would otherwise parse cove flags after IMAGE (prefix_command() falls through to the parent).
// Rewrites bare optional-value options to "--name=implicit". Pure: reads only the option table.
SplitArgs split_command_args(const CLI::App& app, std::vector<std::string> args,
                             const ScanRules& rules);

// Adds a repeatable option taking exactly one value per occurrence ("-e A -e B"): CLI11 2.1's
// vector options are otherwise greedy and would swallow IMAGE and CMD.
void add_list_option(CLI::App& cmd, const std::string& names, std::vector<std::string>& into,
                     const std::string& help);

// "run", "image ls": the chain of subcommand names from the root (excluded) to `app`.
std::string command_path(const CLI::App& app);

} // namespace cli
