#include "util/error.hpp"
#include "util/strings.hpp"

#include <doctest/doctest.h>

TEST_SUITE_BEGIN("util");

TEST_CASE("split keeps empty fields") {
  CHECK(util::split("a::b", ':') == std::vector<std::string>{"a", "", "b"});
  CHECK(util::split("", ':') == std::vector<std::string>{""});
}

TEST_CASE("quote escapes quotes and control characters") {
  CHECK(util::quote("a\"b") == "\"a\\\"b\"");
  CHECK(util::quote(std::string("x\n", 2)) == "\"x\\x0a\"");
}

TEST_CASE("parse_unsigned rejects junk with the input quoted") {
  CHECK(util::parse_unsigned("42", "port") == 42);
  CHECK_THROWS_WITH_AS(util::parse_unsigned("4x", "port"), doctest::Contains("invalid port \"4x\""),
                       util::Error);
  CHECK_THROWS_AS(util::parse_unsigned("", "port"), util::Error);
}

TEST_CASE("human_size uses Docker's SI units") {
  CHECK(util::human_size(512) == "512B");
  CHECK(util::human_size(4261000) == "4.26MB");
  CHECK(util::human_size(1200000000) == "1.2GB");
}

TEST_CASE("human_duration") {
  CHECK(util::human_duration(5) == "5 seconds ago");
  CHECK(util::human_duration(90) == "About a minute ago");
  CHECK(util::human_duration(7200) == "2 hours ago");
  CHECK(util::human_duration(3 * 86400) == "3 days ago");
}

TEST_SUITE_END();
