// Resolving "-u name[:group]" against the container's /etc/passwd and /etc/group (pure).
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>
#include <vector>

namespace runtime {

struct ResolvedUser {
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups; // supplementary groups from /etc/group membership
  std::string home = "/";    // from passwd, for HOME when the image does not set it
  friend bool operator==(const ResolvedUser&, const ResolvedUser&) = default;
};

// Docker's rules: "" -> root; "name" or "uid" looked up in passwd (a numeric uid not in passwd
// is allowed, gid then 0); ":group" or ":gid" overrides the primary group. Unknown names throw
// util::Error("unable to find user NAME: no matching entries in passwd file").
ResolvedUser resolve_user(std::string_view spec, std::string_view passwd_text,
                          std::string_view group_text);

} // namespace runtime
