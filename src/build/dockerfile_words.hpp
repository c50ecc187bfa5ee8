// Internal to the Dockerfile parser: instruction flags (`--from=x`).
#pragma once
#include "build/dockerfile.hpp"

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace build::detail {

// Moves the leading `--flag[=value]` words (quotes removed) into `flags`; returns the rest.
std::string_view extract_flags(std::string_view text, std::vector<std::string>& flags);

// An instruction's flags, checked against the ones it accepts.
class Flags {
public:
  // Throws "unknown flag: --x" for a flag not in `allowed`.
  Flags(const std::vector<std::string>& words, std::initializer_list<std::string_view> allowed);
  // The last value given for `name`, or "" when absent.
  std::string value(std::string_view name) const;
  // Every value given for a repeatable flag.
  std::vector<std::string> values(std::string_view name) const;
  // A boolean flag: `--link`, `--link=true`, `--link=false`.
  bool boolean(std::string_view name) const;
  // True when no flag was given.
  bool empty() const { return m_values.empty(); }

private:
  std::vector<std::pair<std::string, std::optional<std::string>>> m_values;
};

} // namespace build::detail
