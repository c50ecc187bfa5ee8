// Docker's time arguments for `logs --since/--until`: RFC 3339 times (with or without a zone,
// local time when none), Unix timestamps ("1700000000", "1700000000.5") and durations before
// now in Go's syntax ("10m", "1h30m", "1.5h"). Pure, unit-tested.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace cli {

// Nanoseconds since the Unix epoch.
using UnixNanos = std::int64_t;

// A Go duration ("300ms", "-1.5h", "2h45m") in nanoseconds; nullopt when malformed.
std::optional<std::int64_t> parse_go_duration(std::string_view text);

// An RFC 3339 time, also its shorter forms "2006-01-02", "2006-01-02T15", "2006-01-02T15:04"
// and "2006-01-02T15:04:05.999999999", each optionally followed by "Z" or "+07:00"; without a
// zone the time is local. Nullopt when malformed.
std::optional<UnixNanos> parse_rfc3339(std::string_view text);

// A --since/--until value, relative to `now`. Throws util::Error quoting `text` and naming `flag`.
UnixNanos parse_time_argument(std::string_view text, UnixNanos now, std::string_view flag);

// The current time.
UnixNanos unix_nanos_now();

// Which log records `logs` prints: since <= t <= until, each bound optional (Docker keeps both
// ends).
struct TimeWindow {
  std::optional<UnixNanos> since;
  std::optional<UnixNanos> until;

  // True when `t` lies in the window.
  bool contains(UnixNanos t) const {
    return (!since || t >= *since) && (!until || t <= *until);
  }
};

} // namespace cli
