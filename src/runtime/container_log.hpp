// A detached container's log file, in podman's k8s-file format: one record per line,
//   <RFC 3339 time with nanoseconds> stdout|stderr F|P <text>
// where F ends a line and P is a part of a longer one (or a last line without a newline).
#pragma once

#include "util/fd.hpp"

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace runtime {

enum class LogStream { out, err };

// One parsed record.
struct LogRecord {
  std::string time;
  LogStream stream = LogStream::out;
  bool partial = false; // P: no newline after `text`
  std::string text;
};

// "2026-11-22T15:40:54.123456789Z" for the current time.
std::string rfc3339_nano_now();

// Parses one line of the file (without its newline); nullopt for a malformed line.
std::optional<LogRecord> parse_log_line(std::string_view line);

// Formats one record as a line of the file, newline included.
std::string format_log_line(const LogRecord& record);

// Splits a stream's output into records and appends them to the log file. Bytes without a
// newline wait for the rest of their line, up to a limit after which they become a P record.
class LogWriter {
public:
  // Opens (creates, appends) `path`, mode 0600.
  explicit LogWriter(const std::filesystem::path& path);

  // Appends `data` read from `stream`.
  void append(LogStream stream, std::string_view data);
  // Writes what is pending as P records (at the container's exit).
  void flush();

private:
  void write_record(LogStream stream, bool partial, std::string_view text);
  util::UniqueFd m_fd;
  std::string m_pending[2];
};

} // namespace runtime
