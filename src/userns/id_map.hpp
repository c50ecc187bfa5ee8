// Id mappings for user namespaces (pure).
#pragma once

#include "userns/subid.hpp"

#include <sys/types.h>

#include <string>
#include <vector>

namespace userns {

struct IdMap {
  unsigned long container_id;
  unsigned long host_id;
  unsigned long size;
  friend bool operator==(const IdMap&, const IdMap&) = default;
};

struct IdMapping {
  std::vector<IdMap> uids;
  std::vector<IdMap> gids;

  // 0 -> uid (size 1), then 1.. -> each subordinate range in order.
  static IdMapping default_rootless(uid_t uid, gid_t gid, const std::vector<SubIdRange>& subuids,
                                    const std::vector<SubIdRange>& subgids);
  // 0 -> uid, 0 -> gid only.
  static IdMapping single(uid_t uid, gid_t gid);

  // Total ids mapped (uids).
  unsigned long uid_count() const;
  // Host id for a container id, or -1 when unmapped.
  long long host_uid(unsigned long container_uid) const;
  long long host_gid(unsigned long container_gid) const;
};

// "0 1000 1\n1 100000 65536\n" as written to /proc/PID/uid_map.
std::string to_proc_format(const std::vector<IdMap>& maps);
// {"0","1000","1","1","100000","65536"} as newuidmap/newgidmap take after the pid.
std::vector<std::string> to_newidmap_args(const std::vector<IdMap>& maps);
// Parses /proc/PID/uid_map text.
std::vector<IdMap> parse_proc_map(const std::string& text);

} // namespace userns
