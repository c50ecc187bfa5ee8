#include "userns/subid.hpp"

#include <doctest/doctest.h>

using userns::SubIdRange;

TEST_SUITE_BEGIN("userns");

TEST_CASE("parse_subid matches by name and by numeric uid, in file order") {
  const char* text = "# comment\n"
                     "alice:100000:65536\n"
                     "bob:200000:65536\n"
                     "1000:300000:1000\n"
                     "  alice:400000:10  \n";
  auto ranges = userns::parse_subid(text, "alice", 1000);
  REQUIRE(ranges.size() == 3);
  CHECK(ranges[0] == SubIdRange{100000, 65536});
  CHECK(ranges[1] == SubIdRange{300000, 1000});
  CHECK(ranges[2] == SubIdRange{400000, 10});
  CHECK(userns::parse_subid(text, "bob", 1001) == std::vector<SubIdRange>{{200000, 65536}});
}

TEST_CASE("parse_subid skips malformed lines and unknown users") {
  const char* text = "carol:abc:65536\n"
                     "carol:100000\n"
                     "carol:100000:0\n"
                     "carol:-5:10\n"
                     "carol:1:2:3\n"
                     "carol:500000:65536";
  CHECK(userns::parse_subid(text, "carol", 1002) == std::vector<SubIdRange>{{500000, 65536}});
  CHECK(userns::parse_subid(text, "dave", 1003).empty());
  CHECK(userns::parse_subid("", "dave", 1003).empty());
}

TEST_CASE("parse_subid by numeric id when the user has no name") {
  CHECK(userns::parse_subid("4242:100000:5\n", "", 4242) == std::vector<SubIdRange>{{100000, 5}});
  CHECK(userns::parse_subid(":100000:5\n", "", 4242).empty());
}

TEST_SUITE_END();
