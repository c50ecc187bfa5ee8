#include "cli/time_filter.hpp"

#include "util/error.hpp"
#include "util/strings.hpp"

#include <cctype>
#include <ctime>

namespace cli {

namespace {

constexpr std::int64_t nanos_per_second = 1'000'000'000;

// Reads exactly `width` digits from the front of `text`.
std::optional<int> take_digits(std::string_view& text, size_t width) {
  if (text.size() < width)
    return std::nullopt;
  int value = 0;
  for (size_t i = 0; i < width; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(text[i])))
      return std::nullopt;
    value = value * 10 + (text[i] - '0');
  }
  text.remove_prefix(width);
  return value;
}

bool take_char(std::string_view& text, char c) {
  if (text.empty() || text.front() != c)
    return false;
  text.remove_prefix(1);
  return true;
}

// ".123" -> 123000000 ns; reads digits after the dot (at most 9 count).
std::optional<std::int64_t> take_fraction(std::string_view& text) {
  size_t n = 0;
  while (n < text.size() && std::isdigit(static_cast<unsigned char>(text[n])))
    ++n;
  if (n == 0)
    return std::nullopt;
  std::int64_t nanos = 0;
  for (size_t i = 0; i < 9; ++i)
    nanos = nanos * 10 + (i < n ? text[i] - '0' : 0);
  text.remove_prefix(n);
  return nanos;
}

// Days since 1970-01-01 of a civil date (proleptic Gregorian), without the C library's zone.
std::int64_t days_from_civil(int y, int m, int d) {
  y -= m <= 2 ? 1 : 0;
  const int era = (y >= 0 ? y : y - 399) / 400;
  const int yoe = y - era * 400;
  const int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return static_cast<std::int64_t>(era) * 146097 + doe - 719468;
}

// "Z" -> 0, "+07:00" -> 25200 s; nullopt when malformed or absent text remains.
std::optional<int> take_zone(std::string_view& text) {
  if (take_char(text, 'Z') || take_char(text, 'z'))
    return 0;
  int sign = take_char(text, '+') ? 1 : take_char(text, '-') ? -1 : 0;
  if (sign == 0)
    return std::nullopt;
  auto hours = take_digits(text, 2);
  if (!hours || !take_char(text, ':'))
    return std::nullopt;
  auto minutes = take_digits(text, 2);
  if (!minutes)
    return std::nullopt;
  return sign * (*hours * 3600 + *minutes * 60);
}

// "1700000000" or "1700000000.25" (Docker's Unix timestamp form).
std::optional<UnixNanos> parse_unix_timestamp(std::string_view text) {
  std::string_view whole = text.substr(0, text.find('.'));
  if (whole.empty() || whole.size() > 12 ||
      whole.find_first_not_of("0123456789") != std::string_view::npos)
    return std::nullopt;
  std::int64_t seconds = std::stoll(std::string(whole));
  std::int64_t nanos = 0;
  if (whole.size() < text.size()) {
    std::string_view fraction = text.substr(whole.size() + 1);
    auto parsed = take_fraction(fraction);
    if (!parsed || !fraction.empty())
      return std::nullopt;
    nanos = *parsed;
  }
  return seconds * nanos_per_second + nanos;
}

} // namespace

std::optional<std::int64_t> parse_go_duration(std::string_view text) {
  int sign = take_char(text, '-') ? -1 : (take_char(text, '+'), 1);
  if (text == "0")
    return 0;
  if (text.empty())
    return std::nullopt;
  static constexpr std::pair<std::string_view, std::int64_t> units[] = {
      {"ns", 1},           {"us", 1000},        {"\xC2\xB5s", 1000}, {"\xCE\xBCs", 1000},
      {"ms", 1'000'000},   {"s", nanos_per_second}, {"m", 60 * nanos_per_second},
      {"h", 3600 * nanos_per_second}};
  double total = 0;
  while (!text.empty()) {
    size_t n = 0;
    while (n < text.size() && (std::isdigit(static_cast<unsigned char>(text[n])) || text[n] == '.'))
      ++n;
    std::string number(text.substr(0, n));
    if (number.empty() || number == "." || number.find('.') != number.rfind('.'))
      return std::nullopt;
    text.remove_prefix(n);
    const std::pair<std::string_view, std::int64_t>* unit = nullptr;
    for (const auto& candidate : units)
      if (text.substr(0, candidate.first.size()) == candidate.first &&
          (!unit || candidate.first.size() > unit->first.size()))
        unit = &candidate;
    if (!unit)
      return std::nullopt;
    text.remove_prefix(unit->first.size());
    total += std::stod(number) * static_cast<double>(unit->second);
  }
  if (total > 9.2e18)
    return std::nullopt;
  return sign * static_cast<std::int64_t>(total);
}

std::optional<UnixNanos> parse_rfc3339(std::string_view text) {
  auto year = take_digits(text, 4);
  if (!year || !take_char(text, '-'))
    return std::nullopt;
  auto month = take_digits(text, 2);
  if (!month || !take_char(text, '-'))
    return std::nullopt;
  auto day = take_digits(text, 2);
  if (!day || *month < 1 || *month > 12 || *day < 1 || *day > 31)
    return std::nullopt;
  int hour = 0, minute = 0, second = 0;
  std::int64_t nanos = 0;
  if (take_char(text, 'T') || take_char(text, 't')) {
    auto h = take_digits(text, 2);
    if (!h)
      return std::nullopt;
    hour = *h;
    if (take_char(text, ':')) {
      auto m = take_digits(text, 2);
      if (!m)
        return std::nullopt;
      minute = *m;
      if (take_char(text, ':')) {
        auto s = take_digits(text, 2);
        if (!s)
          return std::nullopt;
        second = *s;
        if (take_char(text, '.')) {
          auto fraction = take_fraction(text);
          if (!fraction)
            return std::nullopt;
          nanos = *fraction;
        }
      }
    }
  }
  if (hour > 23 || minute > 59 || second > 60)
    return std::nullopt;
  std::int64_t seconds;
  if (text.empty()) { // no zone: local time, as Docker reads it
    std::tm local{};
    local.tm_year = *year - 1900;
    local.tm_mon = *month - 1;
    local.tm_mday = *day;
    local.tm_hour = hour;
    local.tm_min = minute;
    local.tm_sec = second;
    local.tm_isdst = -1;
    seconds = static_cast<std::int64_t>(std::mktime(&local));
  } else {
    auto offset = take_zone(text);
    if (!offset || !text.empty())
      return std::nullopt;
    seconds = days_from_civil(*year, *month, *day) * 86400 + hour * 3600 + minute * 60 + second -
              *offset;
  }
  return seconds * nanos_per_second + nanos;
}

UnixNanos parse_time_argument(std::string_view text, UnixNanos now, std::string_view flag) {
  // Docker's order: a duration (but "0" is the epoch), then a time, then a Unix timestamp;
  // a duration counts back from now in whole seconds.
  if (text != "0")
    if (auto duration = parse_go_duration(text))
      return (now - *duration) / nanos_per_second * nanos_per_second;
  if (auto time = parse_rfc3339(text))
    return *time;
  if (auto timestamp = parse_unix_timestamp(text))
    return *timestamp;
  throw util::Error(util::cat("invalid value for ", flag, ": ", util::quote(text),
                              ": not a time (RFC 3339 or Unix timestamp) or duration (10m, 1h30m)"));
}

UnixNanos unix_nanos_now() {
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<UnixNanos>(ts.tv_sec) * nanos_per_second + ts.tv_nsec;
}

} // namespace cli
