// --ulimit values (runtime/ulimit) and their place in the stored spec.
#include "runtime/spec.hpp"
#include "runtime/ulimit.hpp"
#include "util/error.hpp"

#include <doctest/doctest.h>

TEST_CASE("ulimit: NAME=SOFT[:HARD] as Docker takes it") {
  runtime::Ulimit one = runtime::Ulimit::parse("nofile=1024");
  CHECK(one.resource == RLIMIT_NOFILE);
  CHECK(one.soft == 1024);
  CHECK(one.hard == 1024);
  runtime::Ulimit two = runtime::Ulimit::parse("nproc=100:200");
  CHECK(two.resource == RLIMIT_NPROC);
  CHECK(two.soft == 100);
  CHECK(two.hard == 200);
  runtime::Ulimit unlimited = runtime::Ulimit::parse("core=-1");
  CHECK(unlimited.soft == RLIM_INFINITY);
  CHECK(unlimited.hard == RLIM_INFINITY);
  CHECK(runtime::Ulimit::parse("memlock=64:-1").hard == RLIM_INFINITY);
  CHECK(two.str() == "nproc=100:200");
  CHECK(unlimited.str() == "core=-1:-1");
}

TEST_CASE("ulimit: bad values are refused with the text") {
  CHECK_THROWS_WITH_AS(runtime::Ulimit::parse("nofile"), doctest::Contains("NAME=SOFT[:HARD]"),
                       util::Error);
  CHECK_THROWS_WITH_AS(runtime::Ulimit::parse("files=1"), doctest::Contains("unknown resource"),
                       util::Error);
  CHECK_THROWS_WITH_AS(runtime::Ulimit::parse("nofile=lots"), doctest::Contains("not a number"),
                       util::Error);
  CHECK_THROWS_WITH_AS(runtime::Ulimit::parse("nofile=1:"), doctest::Contains("not a number"),
                       util::Error);
  CHECK_THROWS_WITH_AS(runtime::Ulimit::parse("nofile=2048:1024"),
                       doctest::Contains("soft limit 2048 is above the hard limit 1024"),
                       util::Error);
  CHECK_THROWS_WITH_AS(runtime::Ulimit::parse("nofile=-1:1024"),
                       doctest::Contains("soft limit -1 is above"), util::Error);
}

TEST_CASE("ulimit: a later limit on the same resource wins") {
  std::vector<runtime::Ulimit> limits =
      runtime::parse_ulimits({"nofile=10", "nproc=5", "nofile=20:30"});
  REQUIRE(limits.size() == 2);
  CHECK(limits[0].name == "nproc");
  CHECK(limits[1].str() == "nofile=20:30");
}

TEST_CASE("ulimit: kept in the stored spec") {
  runtime::ContainerSpec spec;
  spec.args = {"true"};
  spec.ulimits = runtime::parse_ulimits({"nofile=10:20", "core=-1"});
  runtime::ContainerSpec back = runtime::ContainerSpec::from_json(spec.to_json());
  REQUIRE(back.ulimits.size() == 2);
  CHECK(back.ulimits[0].str() == "nofile=10:20");
  CHECK(back.ulimits[1].str() == "core=-1:-1");
  nlohmann::json old = spec.to_json();
  old.erase("ulimits"); // a record from before --ulimit
  CHECK(runtime::ContainerSpec::from_json(old).ulimits.empty());
}
