#include "runtime/ulimit.hpp"

#include "util/error.hpp"
#include "util/strings.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <utility>

namespace runtime {

namespace {

constexpr std::array<std::pair<std::string_view, int>, 15> names{{
    {"core", RLIMIT_CORE},         {"cpu", RLIMIT_CPU},
    {"data", RLIMIT_DATA},         {"fsize", RLIMIT_FSIZE},
    {"locks", RLIMIT_LOCKS},       {"memlock", RLIMIT_MEMLOCK},
    {"msgqueue", RLIMIT_MSGQUEUE}, {"nice", RLIMIT_NICE},
    {"nofile", RLIMIT_NOFILE},     {"nproc", RLIMIT_NPROC},
    {"rss", RLIMIT_RSS},           {"rtprio", RLIMIT_RTPRIO},
    {"rttime", RLIMIT_RTTIME},     {"sigpending", RLIMIT_SIGPENDING},
    {"stack", RLIMIT_STACK},
}};

util::Error invalid(std::string_view text, std::string_view why) {
  return util::Error(util::cat("invalid ulimit ", util::quote(text), ": ", why));
}

// A limit: a non-negative number, or -1 for unlimited.
rlim_t limit_value(std::string_view text, std::string_view value) {
  if (value == "-1")
    return RLIM_INFINITY;
  unsigned long long n = 0;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
  if (value.empty() || ec != std::errc() || end != value.data() + value.size() ||
      n >= RLIM_INFINITY)
    throw invalid(text, util::cat(util::quote(value), " is not a number (or -1 for unlimited)"));
  return static_cast<rlim_t>(n);
}

std::string value_text(rlim_t value) {
  return value == RLIM_INFINITY ? std::string("-1") : std::to_string(value);
}

Ulimit named(std::string_view text, std::string_view name) {
  auto known = std::find_if(names.begin(), names.end(),
                            [name](const auto& entry) { return entry.first == name; });
  if (known == names.end())
    throw invalid(text, util::cat("unknown resource ", util::quote(name),
                                  " (core, cpu, data, fsize, locks, memlock, msgqueue, nice, "
                                  "nofile, nproc, rss, rtprio, rttime, sigpending, stack)"));
  Ulimit limit;
  limit.name = std::string(name);
  limit.resource = known->second;
  return limit;
}

void check_order(std::string_view text, const Ulimit& limit) {
  if (limit.hard != RLIM_INFINITY && (limit.soft == RLIM_INFINITY || limit.soft > limit.hard))
    throw invalid(text, util::cat("the soft limit ", value_text(limit.soft),
                                  " is above the hard limit ", value_text(limit.hard)));
}

} // namespace

Ulimit Ulimit::parse(std::string_view text) {
  size_t eq = text.find('=');
  if (eq == std::string_view::npos)
    throw invalid(text, "expected NAME=SOFT[:HARD]");
  Ulimit limit = named(text, text.substr(0, eq));
  std::string_view values = text.substr(eq + 1);
  size_t colon = values.find(':');
  limit.soft = limit_value(text, values.substr(0, colon));
  limit.hard = colon == std::string_view::npos ? limit.soft
                                               : limit_value(text, values.substr(colon + 1));
  check_order(text, limit);
  return limit;
}

Ulimit Ulimit::of(std::string_view name, long long soft, long long hard) {
  std::string text = util::cat(name, "=", soft, ":", hard);
  Ulimit limit = named(text, name);
  limit.soft = soft < 0 ? RLIM_INFINITY : static_cast<rlim_t>(soft);
  limit.hard = hard < 0 ? RLIM_INFINITY : static_cast<rlim_t>(hard);
  check_order(text, limit);
  return limit;
}

std::string Ulimit::str() const {
  return util::cat(name, "=", value_text(soft), ":", value_text(hard));
}

std::vector<Ulimit> parse_ulimits(const std::vector<std::string>& texts) {
  std::vector<Ulimit> limits;
  for (const std::string& text : texts) {
    Ulimit limit = Ulimit::parse(text);
    std::erase_if(limits, [&limit](const Ulimit& l) { return l.resource == limit.resource; });
    limits.push_back(std::move(limit));
  }
  return limits;
}

} // namespace runtime
