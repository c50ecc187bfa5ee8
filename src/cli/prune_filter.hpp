// What the prune commands share: podman's `--filter label=KEY[=VALUE]` / `label!=KEY[=VALUE]`
// (parsed, pure) and the confirmation asked before removing without -f.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace cli {

// One label filter: the key, optionally a value, possibly negated.
struct LabelFilter {
  std::string key;
  std::string value;
  bool has_value = false; // "label=K" matches any value of K
  bool negated = false;   // "label!=...": the object must not match

  // Parses "label=K", "label=K=V", "label!=K", "label!=K=V"; throws util::Error quoting the
  // text for another key, a missing "=" or an empty label key.
  static LabelFilter parse(std::string_view text);

  // Whether `labels` pass this filter.
  bool matches(const std::map<std::string, std::string>& labels) const;
};

// Parses every --filter; throws on the first bad one.
std::vector<LabelFilter> parse_label_filters(const std::vector<std::string>& texts);

// True when `labels` pass every filter (Docker and podman: filters all apply).
bool matches_all(const std::vector<LabelFilter>& filters,
                 const std::map<std::string, std::string>& labels);

// Without -f, as podman: when stdin is a terminal, prints `warning` (and `listing`, one per
// line, when not empty) and "Are you sure you want to continue? [y/N] ", and returns true only
// for an answer starting with y or Y. When stdin is not a terminal (a script) it returns true
// without asking.
bool confirm_prune(std::string_view warning, const std::vector<std::string>& listing);

} // namespace cli
