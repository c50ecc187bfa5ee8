#include "runtime/detach_keys.hpp"

#include "util/error.hpp"

#include <doctest/doctest.h>

TEST_SUITE("runtime.detach_keys") {
  TEST_CASE("plain input passes") {
    runtime::DetachScanner keys;
    CHECK(keys.feed("hello\n") == "hello\n");
    CHECK_FALSE(keys.detached());
  }

  TEST_CASE("Ctrl-P Ctrl-Q detaches and drops what follows") {
    runtime::DetachScanner keys;
    CHECK(keys.feed("ab\x10\x11" "cd") == "ab");
    CHECK(keys.detached());
    CHECK(keys.feed("more").empty());
  }

  TEST_CASE("the sequence may be split across reads") {
    runtime::DetachScanner keys;
    CHECK(keys.feed("x\x10") == "x");
    CHECK(keys.feed("\x11").empty());
    CHECK(keys.detached());
  }

  TEST_CASE("a held Ctrl-P goes on when the next key is not Ctrl-Q") {
    runtime::DetachScanner keys;
    CHECK(keys.feed("\x10").empty());
    CHECK(keys.feed("a") == "\x10" "a");
    CHECK(keys.feed("\x10\x10") == "\x10");
    CHECK(keys.feed("\x11").empty());
    CHECK(keys.detached());
  }

  TEST_CASE("parse: Docker's key names") {
    CHECK(runtime::DetachKeys().sequence() == "\x10\x11");
    CHECK(runtime::DetachKeys::parse("ctrl-p,ctrl-q").sequence() == "\x10\x11");
    CHECK(runtime::DetachKeys::parse("ctrl-x").sequence() == "\x18");
    CHECK(runtime::DetachKeys::parse("a,b").sequence() == "ab");
    CHECK(runtime::DetachKeys::parse("ctrl-@,ctrl-a,ctrl-z,ctrl-[,ctrl-\\,ctrl-],ctrl-^,ctrl-_")
              .sequence() == std::string("\x00\x01\x1a\x1b\x1c\x1d\x1e\x1f", 8));
  }

  TEST_CASE("parse: an empty spec disables detaching") {
    runtime::DetachKeys none = runtime::DetachKeys::parse("");
    CHECK_FALSE(none.enabled());
    runtime::DetachScanner keys(none);
    CHECK(keys.feed("a\x10\x11" "b") == "a\x10\x11" "b");
    CHECK_FALSE(keys.detached());
  }

  TEST_CASE("parse: bad keys are refused, quoted") {
    for (const char* bad : {"ctrl-", "ctrl-pp", "ctrl-P", "ctrl-1", "ab", "a,,b", ",", "ctrl-p,"}) {
      CAPTURE(bad);
      CHECK_THROWS_AS(runtime::DetachKeys::parse(bad), util::Error);
    }
    CHECK_THROWS_WITH(runtime::DetachKeys::parse("ctrl-p,ctrl-qq"),
                      doctest::Contains("\"ctrl-qq\""));
  }

  TEST_CASE("custom sequences, and a partial match that restarts inside itself") {
    runtime::DetachScanner x(runtime::DetachKeys::parse("ctrl-x"));
    CHECK(x.feed("ab\x18" "c") == "ab");
    CHECK(x.detached());
    runtime::DetachScanner aab(runtime::DetachKeys::parse("a,a,b"));
    CHECK(aab.feed("xaaa") == "xa");
    CHECK(aab.feed("b").empty());
    CHECK(aab.detached());
    runtime::DetachScanner ab(runtime::DetachKeys::parse("a,b"));
    CHECK(ab.feed("aac") == "aac");
    CHECK_FALSE(ab.detached());
  }
}
