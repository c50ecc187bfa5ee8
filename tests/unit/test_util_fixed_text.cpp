#include "util/fixed_text.hpp"

#include <doctest/doctest.h>

#include <string>

TEST_CASE("fixed text: text and decimals appended, truncated to the buffer") {
  char buf[16];
  size_t length = util::append_text(buf, 0, sizeof buf, "/proc/");
  length = util::append_decimal(buf, length, sizeof buf, 4242);
  CHECK(std::string(buf) == "/proc/4242");
  CHECK(length == 10);
  CHECK(util::append_decimal(buf, 0, sizeof buf, 0) == 1);
  CHECK(std::string(buf) == "0");
  length = util::append_text(buf, 0, sizeof buf, "0123456789");
  length = util::append_decimal(buf, length, sizeof buf, 18446744073709551615UL);
  CHECK(length == 15);
  CHECK(std::string(buf) == "012345678918446");
  char small[4];
  CHECK(util::append_text(small, 0, sizeof small, "abcdef") == 3);
  CHECK(std::string(small) == "abc");
}
