#include "runtime/rootfs.hpp"
#include "util/error.hpp"

#include <doctest/doctest.h>

using runtime::RootfsDriver;

TEST_SUITE_BEGIN("runtime");

TEST_CASE("driver names round-trip, vfs is copy") {
  for (RootfsDriver d : {RootfsDriver::overlay, RootfsDriver::fuse_overlayfs, RootfsDriver::copy})
    CHECK(runtime::parse_driver(runtime::to_string(d)) == d);
  CHECK(runtime::parse_driver("vfs") == RootfsDriver::copy);
  CHECK(runtime::parse_driver("overlayfs") == RootfsDriver::overlay);
  CHECK_THROWS_WITH_AS(runtime::parse_driver("btrfs"), doctest::Contains("\"btrfs\""), util::Error);
}

TEST_CASE("overlay mount data lists lower dirs top first, then upper and work") {
  CHECK(runtime::overlay_mount_data({"/s/l/TOP", "/s/l/MID", "/s/l/BASE"}, "/c/upper", "/c/work",
                                    true) ==
        "lowerdir=/s/l/TOP:/s/l/MID:/s/l/BASE,upperdir=/c/upper,workdir=/c/work,userxattr");
  CHECK(runtime::overlay_mount_data({"/a"}, "/u", "/w", false) ==
        "lowerdir=/a,upperdir=/u,workdir=/w");
}

TEST_CASE("a read-only stack has no upper or work dir") {
  CHECK(runtime::overlay_mount_data({"/a", "/b"}, "", "", true) == "lowerdir=/a:/b,userxattr");
}

TEST_CASE("separators in paths are escaped") {
  CHECK(runtime::escape_overlay_path("/plain/path") == "/plain/path");
  CHECK(runtime::escape_overlay_path("/a:b,c\\d") == "/a\\:b\\,c\\\\d");
  CHECK(runtime::overlay_mount_data({"/x:y"}, "/u,1", "/w", false) ==
        "lowerdir=/x\\:y,upperdir=/u\\,1,workdir=/w");
}

TEST_SUITE_END();
