// /etc/subuid and /etc/subgid parsing (pure; files are read by the caller).
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>
#include <vector>

namespace userns {

struct SubIdRange {
  unsigned long start;
  unsigned long count;
  friend bool operator==(const SubIdRange&, const SubIdRange&) = default;
};

// Ranges for a user given by name or numeric id ("alice:100000:65536" or "1000:100000:65536"),
// in file order; comments and malformed lines are skipped.
std::vector<SubIdRange> parse_subid(std::string_view text, std::string_view user, uid_t id);

} // namespace userns
