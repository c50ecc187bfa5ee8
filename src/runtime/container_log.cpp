#include "runtime/container_log.hpp"

#include "util/error.hpp"
#include "util/strings.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <ctime>

namespace runtime {

namespace {

// A line longer than this is written in parts, so one endless line cannot grow the monitor.
constexpr size_t max_pending = 16 * 1024;

std::string_view stream_name(LogStream stream) {
  return stream == LogStream::out ? "stdout" : "stderr";
}

void write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      util::throw_errno("write the container log");
    data.remove_prefix(static_cast<size_t>(n));
  }
}

} // namespace

std::string rfc3339_nano_now() {
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  tm utc{};
  ::gmtime_r(&ts.tv_sec, &utc);
  char buffer[64];
  size_t n = std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%S", &utc);
  std::snprintf(buffer + n, sizeof buffer - n, ".%09ldZ", static_cast<long>(ts.tv_nsec));
  return buffer;
}

std::optional<LogRecord> parse_log_line(std::string_view line) {
  size_t first = line.find(' ');
  if (first == std::string_view::npos)
    return std::nullopt;
  size_t second = line.find(' ', first + 1);
  if (second == std::string_view::npos || second + 2 > line.size())
    return std::nullopt;
  LogRecord record;
  record.time = std::string(line.substr(0, first));
  std::string_view stream = line.substr(first + 1, second - first - 1);
  if (stream == "stdout")
    record.stream = LogStream::out;
  else if (stream == "stderr")
    record.stream = LogStream::err;
  else
    return std::nullopt;
  char tag = line[second + 1];
  if (tag != 'F' && tag != 'P')
    return std::nullopt;
  record.partial = tag == 'P';
  if (second + 2 < line.size()) {
    if (line[second + 2] != ' ')
      return std::nullopt;
    record.text = std::string(line.substr(second + 3));
  }
  return record;
}

std::string format_log_line(const LogRecord& record) {
  return util::cat(record.time, ' ', stream_name(record.stream), ' ', record.partial ? 'P' : 'F',
                   ' ', record.text, '\n');
}

LogWriter::LogWriter(const std::filesystem::path& path)
    : m_fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600)) {
  if (!m_fd)
    util::throw_errno(util::cat("open ", util::quote(path.string())));
}

void LogWriter::write_record(LogStream stream, bool partial, std::string_view text) {
  write_all(m_fd.get(), format_log_line({rfc3339_nano_now(), stream, partial, std::string(text)}));
}

void LogWriter::append(LogStream stream, std::string_view data) {
  std::string& pending = m_pending[stream == LogStream::out ? 0 : 1];
  pending.append(data);
  size_t start = 0;
  for (size_t nl; (nl = pending.find('\n', start)) != std::string::npos; start = nl + 1)
    write_record(stream, false, std::string_view(pending).substr(start, nl - start));
  pending.erase(0, start);
  if (pending.size() >= max_pending) {
    write_record(stream, true, pending);
    pending.clear();
  }
}

void LogWriter::flush() {
  for (LogStream stream : {LogStream::out, LogStream::err}) {
    std::string& pending = m_pending[stream == LogStream::out ? 0 : 1];
    if (!pending.empty())
      write_record(stream, true, pending);
    pending.clear();
  }
}

} // namespace runtime
