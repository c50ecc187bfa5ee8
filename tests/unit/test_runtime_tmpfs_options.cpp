#include "runtime/tmpfs_options.hpp"
#include "util/error.hpp"

#include <doctest/doctest.h>

#include <sys/mount.h>

TEST_SUITE_BEGIN("runtime");

TEST_CASE("tmpfs options: Docker's defaults, flags and data") {
  runtime::TmpfsOptions none = runtime::parse_tmpfs_options("");
  CHECK(none.flags == (MS_NOEXEC | MS_NOSUID | MS_NODEV));
  CHECK(none.data.empty());
  auto o = runtime::parse_tmpfs_options("ro,exec,size=64m,mode=1777,uid=1000,gid=1000,nr_inodes=1k");
  CHECK(o.flags == (MS_RDONLY | MS_NOSUID | MS_NODEV));
  CHECK(o.data == "size=64m,mode=1777,uid=1000,gid=1000,nr_inodes=1k");
  CHECK(runtime::parse_tmpfs_options("size=1m,size=2m").data == "size=2m");
  CHECK(runtime::parse_tmpfs_options("ro,rw").flags == (MS_NOEXEC | MS_NOSUID | MS_NODEV));
  CHECK(runtime::parse_tmpfs_options("suid,dev,noatime").flags == (MS_NOEXEC | MS_NOATIME));
  CHECK(runtime::parse_tmpfs_options("size=50%").data == "size=50%");
}

TEST_CASE("tmpfs options: bad ones are quoted") {
  for (const char* bad : {"bogus", "size=", "size=1x", "mode=999", "mode=12345", "uid=-1",
                          "size", "nr_inodes=1%"}) {
    CAPTURE(bad);
    CHECK_THROWS_WITH_AS(runtime::parse_tmpfs_options(bad), doctest::Contains("invalid tmpfs option"),
                         util::Error);
  }
}

TEST_SUITE_END();
