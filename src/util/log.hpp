// Logging to stderr as "cove: <level>: message". Log decisions, not loops.
#pragma once

#include "util/strings.hpp"

#include <string_view>

namespace util::log {

enum class Level { error = 0, warning = 1, info = 2, debug = 3 };

// Sets the threshold (from --log-level); default is warning.
void set_level(Level level);
// Parses "error|warn|warning|info|debug"; throws util::Error for anything else.
Level parse_level(std::string_view text);
// True when messages at `level` are printed.
bool enabled(Level level) noexcept;
// Prints one line if enabled.
void write(Level level, std::string_view message) noexcept;

template <typename... Args> void error(const Args&... args) {
  write(Level::error, cat(args...));
}
template <typename... Args> void warning(const Args&... args) {
  if (enabled(Level::warning))
    write(Level::warning, cat(args...));
}
template <typename... Args> void info(const Args&... args) {
  if (enabled(Level::info))
    write(Level::info, cat(args...));
}

} // namespace util::log

// Builds the message only when debug logging is on.
#define LOG_DEBUG(...)                                                                             \
  do {                                                                                             \
    if (::util::log::enabled(::util::log::Level::debug))                                           \
      ::util::log::write(::util::log::Level::debug, ::util::cat(__VA_ARGS__));                     \
  } while (0)
