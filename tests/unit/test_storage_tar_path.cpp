#include "storage/tar_path.hpp"
#include "util/error.hpp"

#include <doctest/doctest.h>

#include <string>

using storage::sanitize_entry_path;

TEST_SUITE_BEGIN("storage");

TEST_CASE("sanitize_entry_path normalizes and confines names") {
  struct Case {
    std::string in;
    std::string out;
  };
  const Case cases[] = {
      {"a", "a"},
      {"./a//b/", "a/b"},
      {"a/./b/.", "a/b"},
      {"/etc/passwd", "etc/passwd"},
      {"//abs//x", "abs/x"},
      {"a/../b", "b"},
      {"a/b/../../c", "c"},
      {"./", ""},
      {".", ""},
      {"/", ""},
      {"a/..", ""},
      {"..a/b..", "..a/b.."},
      {std::string(255, 'x'), std::string(255, 'x')},
  };
  for (const Case& c : cases) {
    CAPTURE(c.in);
    CHECK(sanitize_entry_path(c.in) == c.out);
  }
}

TEST_CASE("sanitize_entry_path rejects escapes and malformed names") {
  const std::string escaping[] = {"..", "../x", "../../etc/passwd", "a/../../b", "/../x",
                                  "./../x", "a/b/../../../c", "a/../.."};
  for (const std::string& in : escaping) {
    CAPTURE(in);
    CHECK_THROWS_WITH_AS(sanitize_entry_path(in), doctest::Contains("path escapes the layer"),
                         util::Error);
  }
  CHECK_THROWS_WITH_AS(sanitize_entry_path(""), doctest::Contains("empty name"), util::Error);
  CHECK_THROWS_WITH_AS(sanitize_entry_path(std::string("a\0b", 3)), doctest::Contains("NUL"),
                       util::Error);
  CHECK_THROWS_WITH_AS(sanitize_entry_path(std::string(256, 'x')),
                       doctest::Contains("component too long"), util::Error);
  CHECK_THROWS_WITH_AS(sanitize_entry_path(std::string(5000, 'a')),
                       doctest::Contains("name too long"), util::Error);
  CHECK_THROWS_WITH_AS(sanitize_entry_path("../../etc/passwd"),
                       doctest::Contains("entry \"../../etc/passwd\""), util::Error);
}

TEST_CASE("split_entry_path") {
  CHECK(storage::split_entry_path("a/b/c").parent == "a/b");
  CHECK(storage::split_entry_path("a/b/c").base == "c");
  CHECK(storage::split_entry_path("c").parent.empty());
  CHECK(storage::split_entry_path("c").base == "c");
}

TEST_SUITE_END();
