#include "userns/id_map.hpp"

#include "util/error.hpp"
#include "util/strings.hpp"

#include <sstream>

namespace userns {

namespace {

// Container ids 1.. are filled from the subordinate ranges in file order, back to back.
std::vector<IdMap> rootless_maps(unsigned long own, const std::vector<SubIdRange>& ranges) {
  std::vector<IdMap> maps{{0, own, 1}};
  unsigned long next = 1;
  for (const SubIdRange& range : ranges) {
    maps.push_back({next, range.start, range.count});
    next += range.count;
  }
  return maps;
}

long long lookup(const std::vector<IdMap>& maps, unsigned long id) {
  for (const IdMap& map : maps) {
    if (id >= map.container_id && id - map.container_id < map.size)
      return static_cast<long long>(map.host_id + (id - map.container_id));
  }
  return -1;
}

} // namespace

IdMapping IdMapping::default_rootless(uid_t uid, gid_t gid, const std::vector<SubIdRange>& subuids,
                                      const std::vector<SubIdRange>& subgids) {
  return {rootless_maps(uid, subuids), rootless_maps(gid, subgids)};
}

IdMapping IdMapping::single(uid_t uid, gid_t gid) {
  return {{{0, uid, 1}}, {{0, gid, 1}}};
}

unsigned long IdMapping::uid_count() const {
  unsigned long total = 0;
  for (const IdMap& map : uids)
    total += map.size;
  return total;
}

long long IdMapping::host_uid(unsigned long container_uid) const {
  return lookup(uids, container_uid);
}

long long IdMapping::host_gid(unsigned long container_gid) const {
  return lookup(gids, container_gid);
}

std::string to_proc_format(const std::vector<IdMap>& maps) {
  std::string text;
  for (const IdMap& map : maps)
    text += util::cat(map.container_id, ' ', map.host_id, ' ', map.size, '\n');
  return text;
}

std::vector<std::string> to_newidmap_args(const std::vector<IdMap>& maps) {
  std::vector<std::string> args;
  for (const IdMap& map : maps) {
    args.push_back(std::to_string(map.container_id));
    args.push_back(std::to_string(map.host_id));
    args.push_back(std::to_string(map.size));
  }
  return args;
}

std::vector<IdMap> parse_proc_map(const std::string& text) {
  std::vector<IdMap> maps;
  for (const std::string& raw : util::split(text, '\n')) {
    std::string_view line = util::trim(raw);
    if (line.empty())
      continue;
    std::istringstream fields{std::string(line)};
    IdMap map{};
    std::string rest;
    if (!(fields >> map.container_id >> map.host_id >> map.size) || (fields >> rest))
      throw util::Error(util::cat("parse id map line ", util::quote(line)));
    maps.push_back(map);
  }
  return maps;
}

} // namespace userns
