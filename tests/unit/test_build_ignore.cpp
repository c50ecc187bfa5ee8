#include "build/ignore.hpp"
#include "util/error.hpp"

#include <doctest/doctest.h>

#include <string>

TEST_SUITE_BEGIN("build");

using build::IgnoreMatcher;

namespace {
struct Case {
  const char* patterns;
  const char* path;
  bool ignored;
};
} // namespace

TEST_CASE("ignore: Docker's documented behaviour") {
  const Case cases[] = {
      // Docker docs: "*/temp*", "*/*/temp*", "temp?"
      {"*/temp*", "somedir/temporary.txt", true},
      {"*/temp*", "somedir/temp", true},
      {"*/temp*", "temp.txt", false},
      {"*/temp*", "a/b/temp.txt", false},
      {"*/*/temp*", "a/b/temporary", true},
      {"*/*/temp*", "a/temporary", false},
      {"temp?", "tempa", true},
      {"temp?", "temp", false},
      {"temp?", "tempab", false},
      // ** matches any number of directories, including none
      {"**/*.go", "main.go", true},
      {"**/*.go", "a/b/c/main.go", true},
      {"**/*.go", "a/main.goo", false},
      {"a/**/b", "a/b", true},
      {"a/**/b", "a/x/y/b", true},
      {"a/**", "a/x/y", true},
      {"**", "anything/at/all", true},
      // a matching directory takes its contents with it
      {"build", "build/out/bin", true},
      {"build", "src/build", false},
      {"*.md", "docs/x.md", false},
      // leading slash and ./ are dropped, paths cleaned
      {"/secret", "secret", true},
      {"./secret", "secret", true},
      {"a/../b", "b", true},
      // comments and blank lines
      {"# build\n\n", "build", false},
      {"  spaced  ", "spaced", true},
      // character classes and escapes
      {"file[0-9]", "file7", true},
      {"file[0-9]", "filex", false},
      {"file[^0-9]", "filex", true},
      {"\\*star", "*star", true},
      {"\\*star", "xstar", false},
      // exceptions: the last match wins
      {"*.md\n!README.md", "README.md", false},
      {"*.md\n!README.md", "CHANGES.md", true},
      {"*.md\n!README*.md\nREADME-secret.md", "README-secret.md", true},
      {"*.md\n!README*.md\nREADME-secret.md", "README-public.md", false},
      {"docs\n!docs/keep.txt", "docs/keep.txt", false},
      {"docs\n!docs/keep.txt", "docs/other.txt", true},
      {"!keep", "keep", false},
  };
  for (const auto& c : cases) {
    CAPTURE(c.patterns);
    CAPTURE(c.path);
    CHECK(IgnoreMatcher(c.patterns).ignored(c.path) == c.ignored);
  }
}

TEST_CASE("ignore: exceptions are reported so walks descend") {
  CHECK_FALSE(IgnoreMatcher("a\nb").has_exceptions());
  CHECK(IgnoreMatcher("a\n!a/b").has_exceptions());
  CHECK(IgnoreMatcher("").empty());
  CHECK_FALSE(IgnoreMatcher("").ignored("x"));
}

TEST_CASE("ignore: bad patterns") {
  CHECK_THROWS_WITH_AS(IgnoreMatcher("!"), "illegal exclusion pattern: \"!\"", util::Error);
  CHECK_THROWS_WITH_AS(IgnoreMatcher("a[b"), doctest::Contains("syntax error in pattern \"a[b\""), util::Error);
}

TEST_CASE("ignore: clean_path") {
  CHECK(build::clean_path("./a//b/../c/") == "a/c");
  CHECK(build::clean_path("") == ".");
  CHECK(build::clean_path("..") == "..");
  CHECK(build::clean_path("/..") == "/");
  CHECK(build::clean_path("/a/./b") == "/a/b");
}

TEST_SUITE_END();
