#include "registry/pull.hpp"
#include "util/error.hpp"

#include <doctest/doctest.h>

using namespace registry;

TEST_SUITE_BEGIN("registry");

TEST_CASE("parse_pull_policy accepts podman's and Docker's spellings") {
  CHECK(parse_pull_policy("always") == PullPolicy::always);
  CHECK(parse_pull_policy("true") == PullPolicy::always);
  CHECK(parse_pull_policy("missing") == PullPolicy::missing);
  CHECK(parse_pull_policy("false") == PullPolicy::missing);
  CHECK(parse_pull_policy("ifmissing") == PullPolicy::missing);
  CHECK(parse_pull_policy("never") == PullPolicy::never);
  CHECK(parse_pull_policy("Newer") == PullPolicy::newer);
  CHECK(parse_pull_policy("ifnewer") == PullPolicy::newer);
  CHECK_THROWS_WITH_AS(parse_pull_policy("sometimes"),
                       doctest::Contains("invalid pull policy \"sometimes\""), util::Error);
}

TEST_SUITE_END();
