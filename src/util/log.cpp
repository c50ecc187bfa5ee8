#include "util/log.hpp"

#include "util/error.hpp"

#include <unistd.h>

#include <atomic>

namespace util::log {

namespace {
std::atomic<Level> g_level{Level::warning};

const char* level_name(Level level) {
  switch (level) {
  case Level::error:
    return "error";
  case Level::warning:
    return "warning";
  case Level::info:
    return "info";
  case Level::debug:
    return "debug";
  }
  return "?";
}
} // namespace

void set_level(Level level) {
  g_level = level;
}

Level parse_level(std::string_view text) {
  if (text == "error" || text == "fatal" || text == "panic")
    return Level::error;
  if (text == "warn" || text == "warning")
    return Level::warning;
  if (text == "info")
    return Level::info;
  if (text == "debug" || text == "trace")
    return Level::debug;
  throw Error(cat("invalid log level ", quote(text), ": use error, warn, info or debug"));
}

bool enabled(Level level) noexcept {
  return level <= g_level.load(std::memory_order_relaxed);
}

void write(Level level, std::string_view message) noexcept {
  try {
    // One write() per line so concurrent threads and processes do not interleave.
    std::string line = cat("cove: ", level_name(level), ": ", message, '\n');
    ssize_t unused = ::write(STDERR_FILENO, line.data(), line.size());
    (void)unused;
  } catch (...) {
    // Logging must never throw.
  }
}

} // namespace util::log
