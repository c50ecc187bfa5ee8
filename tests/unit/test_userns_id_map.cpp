#include "userns/id_map.hpp"
#include "util/error.hpp"

#include <doctest/doctest.h>

using userns::IdMap;
using userns::IdMapping;

TEST_SUITE_BEGIN("userns");

TEST_CASE("default_rootless maps 0 to the user and 1.. to the subordinate ranges") {
  IdMapping m = IdMapping::default_rootless(1001, 1002, {{100000, 65536}, {300000, 10}},
                                            {{200000, 65536}});
  CHECK(m.uids == std::vector<IdMap>{{0, 1001, 1}, {1, 100000, 65536}, {65537, 300000, 10}});
  CHECK(m.gids == std::vector<IdMap>{{0, 1002, 1}, {1, 200000, 65536}});
  CHECK(m.uid_count() == 65547);
  CHECK(m.host_uid(0) == 1001);
  CHECK(m.host_uid(1) == 100000);
  CHECK(m.host_uid(65536) == 165535);
  CHECK(m.host_uid(65537) == 300000);
  CHECK(m.host_uid(65547) == -1);
  CHECK(m.host_gid(0) == 1002);
  CHECK(m.host_gid(100) == 200099);
  CHECK(m.host_gid(65537) == -1);
}

TEST_CASE("single maps only root") {
  IdMapping m = IdMapping::single(1001, 1002);
  CHECK(m.uid_count() == 1);
  CHECK(m.host_uid(0) == 1001);
  CHECK(m.host_gid(0) == 1002);
  CHECK(m.host_uid(1) == -1);
}

TEST_CASE("proc format and newidmap arguments") {
  std::vector<IdMap> maps{{0, 1001, 1}, {1, 100000, 65536}};
  CHECK(userns::to_proc_format(maps) == "0 1001 1\n1 100000 65536\n");
  CHECK(userns::to_newidmap_args(maps) ==
        std::vector<std::string>{"0", "1001", "1", "1", "100000", "65536"});
}

TEST_CASE("parse_proc_map reads the kernel's padded columns") {
  auto maps = userns::parse_proc_map("         0       1001          1\n"
                                     "         1     100000      65536\n");
  CHECK(maps == std::vector<IdMap>{{0, 1001, 1}, {1, 100000, 65536}});
  CHECK(userns::parse_proc_map("0 0 4294967295\n") == std::vector<IdMap>{{0, 0, 4294967295UL}});
  CHECK(userns::parse_proc_map(userns::to_proc_format(maps)) == maps);
  CHECK_THROWS_WITH_AS(userns::parse_proc_map("0 1\n"), doctest::Contains("\"0 1\""), util::Error);
  CHECK_THROWS_AS(userns::parse_proc_map("0 1 2 3\n"), util::Error);
}

TEST_SUITE_END();
