#include "util/resident.hpp"

#include "util/fs.hpp"

#include <doctest/doctest.h>

#include <string>

namespace {

const char* const sample =
    "55f5cdeb0000-55f5cdecc000 r--p 00000000 fe:00 10952727                   /tmp/cove\n"
    "Size:                112 kB\n"
    "Anonymous:             0 kB\n"
    "55f5cdecc000-55f5ce231000 r-xp 0001c000 fe:00 10952727                   /tmp/cove\n"
    "Anonymous:             0 kB\n"
    "55f5ce231000-55f5ce2d1000 r--p 00381000 fe:00 10952727                   /tmp/cove\n"
    "Anonymous:            84 kB\n"
    "55f5ce2d1000-55f5ce2d5000 rw-p 00421000 fe:00 10952727                   /tmp/cove\n"
    "Anonymous:            16 kB\n"
    "55f5e2584000-55f5e25b8000 rw-p 00000000 00:00 0                          [heap]\n"
    "Anonymous:           128 kB\n"
    "7ffc73fd0000-7ffc73fd2000 r-xp 00000000 00:00 0                          [vdso]\n"
    "Anonymous:             0 kB\n"
    "7f0000000000-7f0000001000 r--p 00000000 fe:00 77    /opt/with space/lib.so\n"
    "Anonymous:             0 kB\n";

} // namespace

TEST_CASE("parse_smaps: headers, paths with spaces, anonymous sizes") {
  std::vector<util::Mapping> maps = util::parse_smaps(sample);
  REQUIRE(maps.size() == 7);
  CHECK(maps[0].start == 0x55f5cdeb0000UL);
  CHECK(maps[0].end == 0x55f5cdecc000UL);
  CHECK(maps[1].perms == "r-xp");
  CHECK(maps[1].path == "/tmp/cove");
  CHECK(maps[2].anonymous_kb == 84);
  CHECK(maps[4].path == "[heap]");
  CHECK(maps[6].path == "/opt/with space/lib.so");
}

TEST_CASE("only_file_pages: read-only file mappings without copy-on-write pages") {
  std::vector<util::Mapping> maps = util::parse_smaps(sample);
  CHECK(util::only_file_pages(maps[0]));       // headers, read-only data
  CHECK(util::only_file_pages(maps[1]));       // code
  CHECK_FALSE(util::only_file_pages(maps[2])); // RELRO: relocated (anonymous) pages
  CHECK_FALSE(util::only_file_pages(maps[3])); // writable data
  CHECK_FALSE(util::only_file_pages(maps[4])); // heap
  CHECK_FALSE(util::only_file_pages(maps[5])); // vdso
  CHECK(util::only_file_pages(maps[6]));
}

TEST_CASE("release_file_pages: the process keeps running and its code still works") {
  util::release_file_pages();
  std::vector<util::Mapping> own = util::parse_smaps(util::read_file("/proc/self/smaps"));
  CHECK_FALSE(own.empty());
  util::release_file_pages();
}
