#include "runtime/user.hpp"

#include "util/error.hpp"
#include "util/strings.hpp"

#include <algorithm>
#include <charconv>
#include <optional>

namespace runtime {

namespace {

// Largest id Docker and runc accept (ids are signed 32-bit there).
constexpr unsigned long long max_id = 2147483647ULL;

struct PasswdEntry {
  std::string name;
  uid_t uid = 0;
  gid_t gid = 0;
  std::string home;
};

struct GroupEntry {
  std::string name;
  gid_t gid = 0;
  std::vector<std::string> members;
};

std::optional<unsigned long long> parse_id(std::string_view text) {
  unsigned long long value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || ptr != text.data() + text.size())
    return std::nullopt;
  return value;
}

// Fields of each usable line: comments, blank lines and lines with too few fields are skipped,
// as libc and runc do.
std::vector<std::vector<std::string>> records(std::string_view text, size_t min_fields) {
  std::vector<std::vector<std::string>> out;
  for (const auto& raw : util::split(text, '\n')) {
    std::string_view line = util::trim(raw);
    if (line.empty() || line.front() == '#')
      continue;
    auto fields = util::split(line, ':');
    if (fields.size() >= min_fields)
      out.push_back(std::move(fields));
  }
  return out;
}

std::vector<PasswdEntry> parse_passwd(std::string_view text) {
  std::vector<PasswdEntry> out;
  for (auto& f : records(text, 4)) {
    auto uid = parse_id(f[2]);
    auto gid = parse_id(f[3]);
    if (!uid || !gid || *uid > max_id || *gid > max_id)
      continue;
    out.push_back({f[0], static_cast<uid_t>(*uid), static_cast<gid_t>(*gid),
                   f.size() > 5 ? f[5] : std::string()});
  }
  return out;
}

std::vector<GroupEntry> parse_group(std::string_view text) {
  std::vector<GroupEntry> out;
  for (auto& f : records(text, 3)) {
    auto gid = parse_id(f[2]);
    if (!gid || *gid > max_id)
      continue;
    GroupEntry entry{f[0], static_cast<gid_t>(*gid), {}};
    if (f.size() > 3 && !f[3].empty()) {
      for (const auto& member : util::split(f[3], ','))
        entry.members.emplace_back(util::trim(member));
    }
    out.push_back(std::move(entry));
  }
  return out;
}

// A numeric id given by the user, range-checked; nullopt when `text` is not a number.
std::optional<unsigned> numeric_id(std::string_view text, std::string_view what) {
  auto id = parse_id(text);
  if (!id)
    return std::nullopt;
  if (*id > max_id)
    throw util::Error(
        util::cat("invalid ", what, ' ', util::quote(text), ": ids must be in range 0-", max_id));
  return static_cast<unsigned>(*id);
}

gid_t resolve_group(std::string_view spec, const std::vector<GroupEntry>& groups) {
  // A name wins over a number that happens to match it, as in runc.
  for (const auto& g : groups) {
    if (g.name == spec)
      return g.gid;
  }
  if (auto gid = numeric_id(spec, "group"))
    return *gid;
  throw util::Error(
      util::cat("unable to find group ", spec, ": no matching entries in group file"));
}

} // namespace

ResolvedUser resolve_user(std::string_view spec, std::string_view passwd_text,
                          std::string_view group_text) {
  size_t colon = spec.find(':');
  std::string_view user_part = spec.substr(0, colon);
  std::optional<std::string_view> group_part;
  if (colon != std::string_view::npos)
    group_part = spec.substr(colon + 1);

  auto users = parse_passwd(passwd_text);
  ResolvedUser result;
  std::string name;
  if (user_part.empty())
    user_part = "0";
  auto by_name = std::find_if(users.begin(), users.end(),
                              [&](const PasswdEntry& u) { return u.name == user_part; });
  auto numeric = numeric_id(user_part, "user");
  if (by_name == users.end() && numeric)
    by_name = std::find_if(users.begin(), users.end(),
                           [&](const PasswdEntry& u) { return u.uid == *numeric; });
  if (by_name != users.end()) {
    result.uid = by_name->uid;
    result.gid = by_name->gid;
    name = by_name->name;
    if (!by_name->home.empty())
      result.home = by_name->home;
  } else if (numeric) {
    result.uid = *numeric;
  } else {
    throw util::Error(
        util::cat("unable to find user ", user_part, ": no matching entries in passwd file"));
  }

  auto groups = parse_group(group_text);
  if (group_part && !group_part->empty()) {
    result.gid = resolve_group(*group_part, groups);
  } else if (!name.empty()) {
    // Supplementary groups only when no group was forced, as runc's GetExecUser does.
    for (const auto& g : groups) {
      bool member = std::find(g.members.begin(), g.members.end(), name) != g.members.end();
      if (member &&
          std::find(result.groups.begin(), result.groups.end(), g.gid) == result.groups.end())
        result.groups.push_back(g.gid);
    }
  }
  return result;
}

} // namespace runtime
