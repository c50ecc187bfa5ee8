#include "runtime/confined.hpp"

#include "util/temp_dir.hpp"

#include <doctest/doctest.h>

#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;

TEST_SUITE_BEGIN("runtime");

namespace {

// A fake rootfs whose symlinks try to leave it; `outside` is the host directory they aim at.
struct EscapingRoot {
  util::TempDir root{fs::current_path(), "root-"};
  util::TempDir outside{fs::current_path(), "outside-"};
  int fd = -1;

  EscapingRoot() {
    fs::create_symlink(outside.path(), root.path() / "etc");          // absolute escape
    fs::create_symlink("../../../../../../..", root.path() / "up");    // ".." escape
    fd = ::open(root.path().c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    REQUIRE(fd >= 0);
  }
  ~EscapingRoot() { ::close(fd); }
};

} // namespace

TEST_CASE("make_file_in_root follows image symlinks inside the rootfs only") {
  EscapingRoot r;
  fs::path rerooted = r.root.path() / r.outside.path().relative_path();
  SUBCASE("a link to a directory missing in the rootfs fails, creating nothing on the host") {
    CHECK(runtime::make_file_in_root(r.fd, "/etc/hosts") == -ENOENT);
    CHECK_FALSE(fs::exists(r.outside.path() / "hosts"));
  }
  SUBCASE("the absolute link target is re-rooted: <root>/<outside path>/hosts") {
    fs::create_directories(rerooted);
    CHECK(runtime::make_file_in_root(r.fd, "/etc/hosts") == 0);
    CHECK(fs::exists(rerooted / "hosts"));
    CHECK_FALSE(fs::exists(r.outside.path() / "hosts"));
  }
}

TEST_CASE("make_dirs_in_root keeps '..' symlinks at the rootfs top") {
  EscapingRoot r;
  CHECK(runtime::make_dirs_in_root(r.fd, "/up/newdir", 0755) == 0);
  CHECK(fs::is_directory(r.root.path() / "newdir"));
}

TEST_CASE("open_in_root and read_file_in_root") {
  EscapingRoot r;
  std::ofstream(r.root.path() / "passwd") << "root:x:0:0::/root:/bin/sh\n";
  CHECK(runtime::read_file_in_root(r.root.path(), "/passwd") == "root:x:0:0::/root:/bin/sh\n");
  CHECK_FALSE(runtime::read_file_in_root(r.root.path(), "/etc/passwd").has_value());
  CHECK(runtime::open_in_root(r.fd, "/missing", O_RDONLY) == -ENOENT);
}

TEST_SUITE_END();
