#include "userns/subid.hpp"

#include "util/strings.hpp"

#include <charconv>
#include <optional>
#include <string>

namespace userns {

namespace {

// Strict decimal parse; malformed fields make the whole line ignored, as shadow's tools do.
std::optional<unsigned long> parse_number(std::string_view text) {
  unsigned long value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc() || ptr != end)
    return std::nullopt;
  return value;
}

} // namespace

std::vector<SubIdRange> parse_subid(std::string_view text, std::string_view user, uid_t id) {
  const std::string numeric = std::to_string(id);
  std::vector<SubIdRange> ranges;
  for (const std::string& raw : util::split(text, '\n')) {
    std::string_view line = util::trim(raw);
    if (line.empty() || line.front() == '#')
      continue;
    std::vector<std::string> fields = util::split(line, ':');
    if (fields.size() != 3)
      continue;
    if (fields[0] != numeric && (user.empty() || fields[0] != user))
      continue;
    auto start = parse_number(fields[1]);
    auto count = parse_number(fields[2]);
    if (!start || !count || *count == 0)
      continue;
    ranges.push_back({*start, *count});
  }
  return ranges;
}

} // namespace userns
