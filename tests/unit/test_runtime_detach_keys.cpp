#include "runtime/detach_keys.hpp"

#include <doctest/doctest.h>

TEST_SUITE("runtime.detach_keys") {
  TEST_CASE("plain input passes") {
    runtime::DetachKeys keys;
    CHECK(keys.feed("hello\n") == "hello\n");
    CHECK_FALSE(keys.detached());
  }

  TEST_CASE("Ctrl-P Ctrl-Q detaches and drops what follows") {
    runtime::DetachKeys keys;
    CHECK(keys.feed("ab\x10\x11" "cd") == "ab");
    CHECK(keys.detached());
    CHECK(keys.feed("more").empty());
  }

  TEST_CASE("the sequence may be split across reads") {
    runtime::DetachKeys keys;
    CHECK(keys.feed("x\x10") == "x");
    CHECK(keys.feed("\x11").empty());
    CHECK(keys.detached());
  }

  TEST_CASE("a held Ctrl-P goes on when the next key is not Ctrl-Q") {
    runtime::DetachKeys keys;
    CHECK(keys.feed("\x10").empty());
    CHECK(keys.feed("a") == "\x10" "a");
    CHECK(keys.feed("\x10\x10") == "\x10");
    CHECK(keys.feed("\x11").empty());
    CHECK(keys.detached());
  }
}
