#include "storage/whiteout.hpp"
#include "util/error.hpp"

#include <doctest/doctest.h>

TEST_SUITE_BEGIN("storage");

TEST_CASE("classify_whiteout maps tar markers to overlay actions") {
  using storage::WhiteoutKind;
  auto w = storage::classify_whiteout("a/b/.wh.c");
  CHECK(w.kind == WhiteoutKind::file);
  CHECK(w.target == "a/b/c");
  w = storage::classify_whiteout(".wh.top");
  CHECK(w.kind == WhiteoutKind::file);
  CHECK(w.target == "top");
  w = storage::classify_whiteout("a/.wh..wh..opq");
  CHECK(w.kind == WhiteoutKind::opaque);
  CHECK(w.target == "a");
  w = storage::classify_whiteout(".wh..wh..opq");
  CHECK(w.kind == WhiteoutKind::opaque);
  CHECK(w.target.empty());
  CHECK(storage::classify_whiteout(".wh..wh.plnk/123").kind == WhiteoutKind::none);
  CHECK(storage::classify_whiteout("x/.wh..wh.plnk").kind == WhiteoutKind::meta);
  CHECK(storage::classify_whiteout("a/b").kind == WhiteoutKind::none);
  CHECK(storage::classify_whiteout("a/x.wh.b").kind == WhiteoutKind::none);
  CHECK_THROWS_AS(storage::classify_whiteout("a/.wh."), util::Error);
  CHECK_THROWS_AS(storage::classify_whiteout(".wh.."), util::Error);
}

TEST_CASE("whiteout entry names, the writing direction") {
  CHECK(storage::whiteout_entry_name("a/b") == "a/.wh.b");
  CHECK(storage::whiteout_entry_name("top") == ".wh.top");
  CHECK(storage::opaque_entry_name("a/b") == "a/b/.wh..wh..opq");
  CHECK(storage::opaque_entry_name("") == ".wh..wh..opq");
  auto round = storage::classify_whiteout(storage::whiteout_entry_name("x/y"));
  CHECK(round.target == "x/y");
}

TEST_SUITE_END();
