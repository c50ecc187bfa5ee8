#include "storage/unpack.hpp"
#include "storage/whiteout.hpp"
#include "test_storage_tar.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"

#include <doctest/doctest.h>

#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <filesystem>
#include <string>

namespace fs = std::filesystem;
using storage_test::TarBuilder;

namespace {

// A scratch area with the layer directory and a sibling that must stay empty.
struct Area {
  fs::path base = fs::absolute(fs::path("unpack-" + std::to_string(counter++)));
  fs::path layer = base / "layer";
  fs::path outside = base / "outside";
  Area() {
    fs::create_directories(layer);
    fs::create_directories(outside);
  }
  storage::UnpackStats unpack(const std::string& tar) const {
    storage::BufferSource source(storage_test::bytes(tar));
    return storage::unpack_tar(source, layer);
  }
  bool outside_empty() const { return fs::is_empty(outside) && !fs::exists(base / "escaped"); }
  static inline int counter = 0;
};

struct stat lstat_of(const fs::path& p) {
  struct stat st{};
  REQUIRE(::lstat(p.c_str(), &st) == 0);
  return st;
}

std::string xattr_of(const fs::path& p, const char* name) {
  char buf[64];
  ssize_t n = ::getxattr(p.c_str(), name, buf, sizeof buf);
  return n < 0 ? std::string() : std::string(buf, static_cast<size_t>(n));
}

} // namespace

TEST_SUITE_BEGIN("storage");

TEST_CASE("unpack extracts files, dirs, symlinks, hardlinks with metadata") {
  Area area;
  std::string tar = TarBuilder()
                        .dir("./", 0755)
                        .dir("etc", 0755)
                        .file("etc/hostname", "box\n", 0644)
                        .file("bin/tool", "#!/bin/sh\n", 04755, 1000, 1001)
                        .dir("ro", 0555)
                        .file("ro/inside", "x")
                        .symlink("bin/sh", "/bin/busybox")
                        .hardlink("bin/tool2", "bin/tool")
                        .xattr_file("attr", "user.comment", "hi")
                        .xattr_file("capped", "security.capability", "junk")
                        .node("dev/null", AE_IFCHR, 1, 3)
                        .node("fifo", AE_IFIFO, 0, 0)
                        .finish();
  storage::UnpackStats stats = area.unpack(tar);
  CHECK(stats.entries == 12);
  CHECK(S_ISFIFO(lstat_of(area.layer / "fifo").st_mode));
  // Inside a user namespace mknod of devices is refused and skipped; as real root it works.
  if (stats.devices_skipped)
    CHECK_FALSE(fs::exists(area.layer / "dev/null"));
  else
    CHECK(lstat_of(area.layer / "dev/null").st_rdev == makedev(1, 3));
  CHECK(util::read_file(area.layer / "etc/hostname") == "box\n");
  struct stat tool = lstat_of(area.layer / "bin/tool");
  CHECK((tool.st_mode & 07777) == 04755);
  // With a single-id user namespace other owners cannot exist: they stay ours (0:0).
  CHECK(tool.st_uid == (stats.ownership_squashed ? ::geteuid() : 1000));
  CHECK(tool.st_gid == (stats.ownership_squashed ? ::getegid() : 1001));
  CHECK(tool.st_mtime == 1000000000);
  CHECK(tool.st_nlink == 2);
  CHECK(lstat_of(area.layer / "bin/tool2").st_ino == tool.st_ino);
  CHECK((lstat_of(area.layer / "bin").st_mode & 0777) == 0755); // implicit parent
  CHECK(fs::read_symlink(area.layer / "bin/sh") == "/bin/busybox");
  struct stat ro = lstat_of(area.layer / "ro");
  CHECK((ro.st_mode & 0777) == 0555);
  CHECK(ro.st_mtime == 1000000000); // set after its entries were created
  CHECK(xattr_of(area.layer / "attr", "user.comment") == "hi");
  CHECK(xattr_of(area.layer / "capped", "security.capability").empty());
}

TEST_CASE("unpack stores whiteouts and opaque directories in overlay form") {
  Area area;
  std::string tar = TarBuilder()
                        .dir("d")
                        .file("d/.wh..wh..opq", "")
                        .file(".wh.gone", "")
                        .file("d/.wh.old", "")
                        .finish();
  area.unpack(tar);
  struct stat gone = lstat_of(area.layer / "gone");
  CHECK(S_ISCHR(gone.st_mode));
  CHECK(gone.st_rdev == makedev(0, 0));
  CHECK(S_ISCHR(lstat_of(area.layer / "d/old").st_mode));
  CHECK_FALSE(fs::exists(area.layer / ".wh.gone"));
  CHECK_FALSE(fs::exists(area.layer / "d/.wh..wh..opq"));
  CHECK(xattr_of(area.layer / "d", storage::overlay_opaque_xattr) == "y");
  CHECK(xattr_of(area.layer / "d", storage::fuse_overlay_opaque_xattr) == "y");
}

TEST_CASE("unpack replaces entries as tar semantics require") {
  Area area;
  std::string tar = TarBuilder()
                        .file("a", "first")
                        .file("a", "second")
                        .dir("d")
                        .file("d/x", "1")
                        .file("d", "now a file")
                        .symlink("l", "a")
                        .file("l", "replaced the link, not its target")
                        .file("sub/x", "1")
                        .symlink("sub/x", "y")
                        .file("sub/z", "2")
                        .finish();
  area.unpack(tar);
  CHECK(util::read_file(area.layer / "a") == "second");
  CHECK(util::read_file(area.layer / "d") == "now a file");
  CHECK_FALSE(fs::is_symlink(area.layer / "l"));
  CHECK(util::read_file(area.layer / "l") == "replaced the link, not its target");
  CHECK(fs::read_symlink(area.layer / "sub/x") == "y");
  CHECK(util::read_file(area.layer / "sub/z") == "2");
}

TEST_CASE("unpack refuses names that escape the layer") {
  Area area;
  std::string tar = TarBuilder().file("../escaped", "x").finish();
  CHECK_THROWS_WITH_AS(area.unpack(tar),
                       doctest::Contains("entry \"../escaped\": path escapes the layer"),
                       util::Error);
  tar = TarBuilder().file("a/../../../escaped", "x").finish();
  CHECK_THROWS_AS(area.unpack(tar), util::Error);
  CHECK(area.outside_empty());
}

TEST_CASE("unpack confines absolute names to the layer") {
  Area area;
  fs::path absolute = area.outside / "abs";
  std::string tar = TarBuilder().file(absolute.string(), "x").finish();
  area.unpack(tar);
  CHECK(area.outside_empty());
  CHECK(util::read_file(area.layer / absolute.relative_path()) == "x");
}

TEST_CASE("unpack never writes through a symlink out of the layer") {
  SUBCASE("symlink to / then a file through it") {
    Area area;
    fs::path target = area.outside / "pwned";
    std::string tar =
        TarBuilder().symlink("root", "/").file("root" + target.string(), "x").finish();
    area.unpack(tar);
    CHECK(area.outside_empty());
    CHECK(fs::exists(area.layer / target.relative_path()));
  }
  SUBCASE("relative symlink climbing out, then a file through it") {
    Area area;
    std::string tar = TarBuilder().symlink("up", "../outside").file("up/pwned", "x").finish();
    try {
      area.unpack(tar);
    } catch (const util::Error&) {
      // refusing is as good as confining
    }
    CHECK(area.outside_empty());
  }
  SUBCASE("symlink to an outside directory, then a directory and file through it") {
    Area area;
    std::string tar = TarBuilder()
                          .symlink("link", area.outside.string())
                          .dir("link/sub")
                          .file("link/sub/f", "x")
                          .finish();
    // The link dangles inside the layer: creating through it is refused (as mkdir -p would).
    CHECK_THROWS_WITH_AS(area.unpack(tar), doctest::Contains("entry \"link/sub/\""),
                         util::Error);
    CHECK(area.outside_empty());
  }
}

TEST_CASE("unpack confines hardlinks") {
  Area area;
  util::write_file_atomic(area.outside / "secret", "s");
  SUBCASE("absolute target resolves inside the layer, where it is missing") {
    std::string tar = TarBuilder().hardlink("h", (area.outside / "secret").string()).finish();
    CHECK_THROWS_AS(area.unpack(tar), util::Error);
  }
  SUBCASE("target climbing out") {
    std::string tar = TarBuilder().hardlink("h", "../outside/secret").finish();
    CHECK_THROWS_WITH_AS(area.unpack(tar), doctest::Contains("path escapes the layer"),
                         util::Error);
  }
  SUBCASE("target through a symlink pointing out") {
    std::string tar =
        TarBuilder().symlink("s", area.outside.string()).hardlink("h", "s/secret").finish();
    CHECK_THROWS_AS(area.unpack(tar), util::Error);
  }
  CHECK_FALSE(fs::exists(area.layer / "h"));
  CHECK(lstat_of(area.outside / "secret").st_nlink == 1);
}

TEST_CASE("unpack of a hardlink to a missing target is an error") {
  Area area;
  std::string tar = TarBuilder().hardlink("h", "nowhere").finish();
  CHECK_THROWS_WITH_AS(area.unpack(tar), doctest::Contains("entry \"h\""), util::Error);
}

TEST_SUITE_END();
