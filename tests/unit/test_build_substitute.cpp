#include "build/substitute.hpp"
#include "util/error.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

TEST_SUITE_BEGIN("build");

using build::expand_word;
using build::expand_words;
using build::Vars;

namespace {
const Vars vars{{"A", "alpha"}, {"EMPTY", ""}, {"SP", "x y"}, {"P", "dir/file.tar.gz"}, {"_u1", "under"}};
}

TEST_CASE("substitute: plain references") {
  CHECK(expand_word("$A", vars) == "alpha");
  CHECK(expand_word("${A}", vars) == "alpha");
  CHECK(expand_word("pre-${A}-post", vars) == "pre-alpha-post");
  CHECK(expand_word("$A.txt", vars) == "alpha.txt");
  CHECK(expand_word("$_u1", vars) == "under");
  CHECK(expand_word("$UNSET", vars) == "");
  CHECK(expand_word("${UNSET}x", vars) == "x");
  CHECK(expand_word("a$", vars) == "a$");
  CHECK(expand_word("$/x", vars) == "$/x");
  CHECK(expand_word("no refs", vars) == "no refs");
}

TEST_CASE("substitute: modifiers with and without colon") {
  CHECK(expand_word("${UNSET:-def}", vars) == "def");
  CHECK(expand_word("${EMPTY:-def}", vars) == "def");
  CHECK(expand_word("${EMPTY-def}", vars) == "");
  CHECK(expand_word("${A:-def}", vars) == "alpha");
  CHECK(expand_word("${A:+alt}", vars) == "alt");
  CHECK(expand_word("${EMPTY:+alt}", vars) == "");
  CHECK(expand_word("${EMPTY+alt}", vars) == "alt");
  CHECK(expand_word("${UNSET+alt}", vars) == "");
  CHECK(expand_word("${UNSET:-$A}", vars) == "alpha");
  CHECK(expand_word("${UNSET:-${EMPTY:-deep}}", vars) == "deep");
  CHECK(expand_word("${A:?must}", vars) == "alpha");
  CHECK_THROWS_WITH_AS(expand_word("${UNSET:?must be set}", vars), "expand \"${UNSET:?must be set}\": UNSET: must be set",
                       util::Error);
  CHECK_THROWS_WITH_AS(expand_word("${EMPTY:?}", vars), doctest::Contains("EMPTY: is not allowed to be empty"),
                       util::Error);
  CHECK(expand_word("${EMPTY?}", vars) == "");
}

TEST_CASE("substitute: prefix and suffix removal") {
  CHECK(expand_word("${P#*/}", vars) == "file.tar.gz");
  CHECK(expand_word("${P%.*}", vars) == "dir/file.tar");
  CHECK(expand_word("${P%%.*}", vars) == "dir/file");
  CHECK(expand_word("${P##*.}", vars) == "gz");
  CHECK(expand_word("${P#nomatch}", vars) == "dir/file.tar.gz");
  CHECK_THROWS_AS(expand_word("${P:#x}", vars), util::Error);
  CHECK_THROWS_WITH_AS(expand_word("${P/a/b}", vars), doctest::Contains("unsupported modifier (/)"), util::Error);
}

TEST_CASE("substitute: quotes and escapes") {
  CHECK(expand_word("'$A'", vars) == "$A");
  CHECK(expand_word("\"$A\"", vars) == "alpha");
  CHECK(expand_word("\"a b\"", vars) == "a b");
  CHECK(expand_word("\\$A", vars) == "$A");
  CHECK(expand_word("\"\\$A\"", vars) == "$A");
  CHECK(expand_word("\"\\n\"", vars) == "\\n"); // only \" \$ \\ are escapes inside double quotes
  CHECK(expand_word("'\\n'", vars) == "\\n");
  CHECK(expand_word("\"it's\"", vars) == "it's");
  CHECK(expand_word("a\\ b", vars) == "a b");
  CHECK(expand_word("`$A", vars, '`') == "$A");
  CHECK(expand_word("C:\\dir", vars, '`') == "C:\\dir");
}

TEST_CASE("substitute: syntax errors") {
  CHECK_THROWS_WITH_AS(expand_word("${A", vars), doctest::Contains("missing '}'"), util::Error);
  CHECK_THROWS_WITH_AS(expand_word("${}", vars), doctest::Contains("bad substitution"), util::Error);
  CHECK_THROWS_WITH_AS(expand_word("'open", vars), doctest::Contains("matching single-quote"), util::Error);
  CHECK_THROWS_WITH_AS(expand_word("\"open", vars), doctest::Contains("matching double-quote"), util::Error);
}

TEST_CASE("substitute: word splitting") {
  CHECK(expand_words("a b  c", vars) == std::vector<std::string>{"a", "b", "c"});
  CHECK(expand_words("$SP z", vars) == std::vector<std::string>{"x", "y", "z"});
  CHECK(expand_words("\"$SP\" z", vars) == std::vector<std::string>{"x y", "z"});
  CHECK(expand_words("'' z", vars) == std::vector<std::string>{"", "z"});
  CHECK(expand_words("a\\ b", vars) == std::vector<std::string>{"a b"});
  CHECK(expand_words("$UNSET", vars).empty());
}

TEST_SUITE_END();
