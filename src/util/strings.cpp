#include "util/strings.hpp"

#include "util/error.hpp"

#include <cctype>
#include <charconv>
#include <cstdio>

namespace util {

std::vector<std::string> split(std::string_view text, char sep) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    size_t pos = text.find(sep, start);
    if (pos == std::string_view::npos) {
      parts.emplace_back(text.substr(start));
      return parts;
    }
    parts.emplace_back(text.substr(start, pos - start));
    start = pos + 1;
  }
}

std::string join(const std::vector<std::string>& parts, std::string_view sep) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i > 0)
      out += sep;
    out += parts[i];
  }
  return out;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front())))
    text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())))
    text.remove_suffix(1);
  return text;
}

std::string to_lower(std::string_view text) {
  std::string out(text);
  for (char& c : out)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string quote(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20 || u == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", u);
      out += buf;
    } else {
      out += c;
    }
  }
  out += '"';
  return out;
}

unsigned long long parse_unsigned(std::string_view text, std::string_view what) {
  unsigned long long value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || ptr != text.data() + text.size())
    throw Error(cat("invalid ", what, ' ', quote(text), ": expected a non-negative integer"));
  return value;
}

std::string human_size(unsigned long long bytes) {
  static const char* const units[] = {"B", "kB", "MB", "GB", "TB", "PB"};
  double value = static_cast<double>(bytes);
  size_t unit = 0;
  while (value >= 1000.0 && unit + 1 < std::size(units)) {
    value /= 1000.0;
    ++unit;
  }
  char buf[32];
  if (unit == 0)
    std::snprintf(buf, sizeof buf, "%lluB", bytes);
  else
    std::snprintf(buf, sizeof buf, "%.3g%s", value, units[unit]);
  return buf;
}

std::string human_duration(long long seconds) {
  if (seconds < 1)
    return "Less than a second ago";
  auto unit = [](long long n, const char* one, const char* many) {
    return n == 1 ? cat(one, " ago") : cat(n, ' ', many, " ago");
  };
  if (seconds < 60)
    return unit(seconds, "1 second", "seconds");
  if (seconds < 3600)
    return unit(seconds / 60, "About a minute", "minutes");
  if (seconds < 48 * 3600)
    return unit(seconds / 3600, "About an hour", "hours");
  if (seconds < 14 * 86400)
    return unit(seconds / 86400, "1 day", "days");
  if (seconds < 60 * 86400)
    return unit(seconds / (7 * 86400), "1 week", "weeks");
  if (seconds < 365 * 86400)
    return unit(seconds / (30 * 86400), "1 month", "months");
  return unit(seconds / (365 * 86400), "1 year", "years");
}

} // namespace util
