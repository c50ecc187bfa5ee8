// cp's argument and destination rules, the copy engine's confinement, and diff's reading of an
// upper dir.
#include "runtime/container_changes.hpp"
#include "runtime/container_copy.hpp"
#include "runtime/copy_changes.hpp"
#include "runtime/copy_plan.hpp"

#include "util/error.hpp"
#include "util/temp_dir.hpp"

#include <doctest/doctest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;
using runtime::ChangeKind;
using runtime::CopyPlan;
using runtime::PathKind;

TEST_SUITE_BEGIN("runtime");

namespace {

void write(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path) << text;
}

std::string read(const fs::path& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

int open_dir(const fs::path& path) {
  int fd = ::open(path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  REQUIRE(fd >= 0);
  return fd;
}

bool same(const CopyPlan& plan, const std::string& dir, const std::string& name) {
  return plan.dest_dir == dir && plan.top_name == name;
}

} // namespace

TEST_CASE("cp arguments: CONTAINER:PATH, host paths and the stream") {
  auto arg = runtime::parse_copy_arg("web:/etc/passwd");
  CHECK(arg.container == "web");
  CHECK(arg.path == "/etc/passwd");
  CHECK(runtime::parse_copy_arg("./a:b").container == std::nullopt);
  CHECK(runtime::parse_copy_arg("/tmp/a:b").container == std::nullopt);
  CHECK(runtime::parse_copy_arg("dir/a:b").container == std::nullopt);
  CHECK(runtime::parse_copy_arg("file").container == std::nullopt);
  CHECK(runtime::parse_copy_arg("-").stream());
  CHECK_FALSE(runtime::parse_copy_arg("web:-").stream());
  CHECK_THROWS_AS(runtime::parse_copy_arg("web:"), util::Error);
  CHECK_THROWS_AS(runtime::parse_copy_arg(":/x"), util::Error);
}

TEST_CASE("cp destinations follow Docker's rules") {
  using K = PathKind;
  SUBCASE("a file") {
    CHECK(same(runtime::plan_copy("/etc/passwd", K::file, "/tmp", K::directory), "/tmp", "passwd"));
    CHECK(same(runtime::plan_copy("/etc/passwd", K::file, "/tmp/x", K::file), "/tmp", "x"));
    CHECK(same(runtime::plan_copy("/etc/passwd", K::file, "/tmp/new", K::missing), "/tmp", "new"));
    CHECK(same(runtime::plan_copy("passwd", K::file, "new", K::missing), ".", "new"));
    CHECK_THROWS_WITH_AS(runtime::plan_copy("/etc/passwd", K::file, "/tmp/new/", K::missing),
                         doctest::Contains("must exist"), util::Error);
    CHECK_THROWS_WITH_AS(runtime::plan_copy("/etc/passwd/", K::file, "/tmp", K::directory),
                         doctest::Contains("not a directory"), util::Error);
  }
  SUBCASE("a directory") {
    CHECK(same(runtime::plan_copy("/etc", K::directory, "/tmp", K::directory), "/tmp", "etc"));
    CHECK(same(runtime::plan_copy("/etc/", K::directory, "/tmp/", K::directory), "/tmp", "etc"));
    CHECK(same(runtime::plan_copy("/etc/.", K::directory, "/tmp", K::directory), "/tmp", ""));
    CHECK(same(runtime::plan_copy("/", K::directory, "/tmp", K::directory), "/tmp", ""));
    CHECK(same(runtime::plan_copy("/etc", K::directory, "/tmp/copy", K::missing), "/tmp", "copy"));
    CHECK(same(runtime::plan_copy("/etc/.", K::directory, "/tmp/copy", K::missing), "/tmp", "copy"));
    CHECK_THROWS_WITH_AS(runtime::plan_copy("/etc", K::directory, "/tmp/file", K::file),
                         doctest::Contains("cannot copy a directory to a file"), util::Error);
  }
}

TEST_CASE("container paths are absolute and clean") {
  CHECK(runtime::container_path("etc/passwd") == "/etc/passwd");
  CHECK(runtime::container_path("/etc/./passwd/") == "/etc/passwd");
  CHECK(runtime::container_path("/") == "/");
  CHECK(runtime::container_path(".") == "/");
}

TEST_CASE("copies into a root stay inside it whatever its symlinks say") {
  util::TempDir root(fs::current_path(), "root-");
  util::TempDir outside(fs::current_path(), "outside-");
  util::TempDir host(fs::current_path(), "host-");
  fs::create_symlink("/", root.path() / "escape");
  fs::create_symlink("../../../../../..", root.path() / "up");
  fs::create_directories(root.path() / "tmp");
  fs::create_symlink(outside.path(), root.path() / "tmp" / "out");
  write(host.path() / "src" / "file", "data");
  fs::create_symlink("file", host.path() / "src" / "link");
  int root_fd = open_dir(root.path());
  int host_fd = open_dir("/");
  runtime::CopyOptions options;
  auto in_root = [&](const std::string& path) { return runtime::CopyLocation{root_fd, path, "root"}; };
  auto on_host = [&](const fs::path& path) { return runtime::CopyLocation{host_fd, path.string(), "host"}; };

  SUBCASE("a directory copied through \"..\" and absolute links lands in the root") {
    runtime::copy_path(on_host(host.path() / "src"), in_root("/up/tmp"), options);
    CHECK(read(root.path() / "tmp" / "src" / "file") == "data");
    CHECK(fs::read_symlink(root.path() / "tmp" / "src" / "link") == "file");
    // /tmp/out names the host directory `outside`, which inside the root does not exist.
    CHECK_THROWS_AS(runtime::copy_path(on_host(host.path() / "src" / "file"),
                                       in_root("/escape/tmp/out/x"), options),
                    util::Error);
    CHECK_FALSE(fs::exists(outside.path() / "x"));
  }
  SUBCASE("a source path through a link to / reads the root's files, not the host's") {
    write(root.path() / "marker", "inside");
    runtime::copy_path(in_root("/escape/marker"), on_host(host.path() / "got"), options);
    CHECK(read(host.path() / "got") == "inside");
  }
  SUBCASE("a symlink is copied as a link, its target with -L") {
    fs::create_symlink("/etc/passwd", root.path() / "pw");
    runtime::copy_path(in_root("/pw"), on_host(host.path() / "pw"), options);
    CHECK(fs::read_symlink(host.path() / "pw") == "/etc/passwd");
    write(root.path() / "etc" / "passwd", "root:x:0:0::/root:/bin/sh\n");
    options.follow_link = true;
    runtime::copy_path(in_root("/pw"), on_host(host.path() / "pw2"), options);
    CHECK(read(host.path() / "pw2") == "root:x:0:0::/root:/bin/sh\n");
  }
  SUBCASE("dir/. copies the contents into an existing directory") {
    fs::create_directories(root.path() / "dest");
    runtime::copy_path(on_host(host.path() / "src" / "."), in_root("/dest"), options);
    CHECK(read(root.path() / "dest" / "file") == "data");
  }
  SUBCASE("a file over an existing file replaces it; a missing parent is an error") {
    write(root.path() / "f", "old");
    runtime::copy_path(on_host(host.path() / "src" / "file"), in_root("/f"), options);
    CHECK(read(root.path() / "f") == "data");
    CHECK_THROWS_AS(runtime::copy_path(on_host(host.path() / "src" / "file"), in_root("/no/such/x"), options),
                    util::Error);
  }
  ::close(root_fd);
  ::close(host_fd);
}

TEST_CASE("a tree goes through a tar stream and back") {
  util::TempDir work(fs::current_path(), "tar-");
  write(work.path() / "src" / "a" / "b", "bee");
  fs::create_symlink("a/b", work.path() / "src" / "l");
  fs::create_hard_link(work.path() / "src" / "a" / "b", work.path() / "src" / "hard");
  fs::create_directories(work.path() / "dest");
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  int host_fd = open_dir("/");
  runtime::copy_to_stream({host_fd, (work.path() / "src").string(), "host"}, fds[1], {});
  ::close(fds[1]);
  runtime::copy_from_stream(fds[0], {host_fd, (work.path() / "dest").string(), "host"}, {});
  ::close(fds[0]);
  ::close(host_fd);
  CHECK(read(work.path() / "dest" / "src" / "a" / "b") == "bee");
  CHECK(fs::read_symlink(work.path() / "dest" / "src" / "l") == "a/b");
  CHECK(fs::hard_link_count(work.path() / "dest" / "src" / "hard") == 2);
}

TEST_CASE("diff reads an upper dir against the lower layers") {
  util::TempDir work(fs::current_path(), "diff-");
  fs::path lower = work.path() / "lower", upper = work.path() / "upper";
  write(lower / "etc" / "passwd", "x");
  write(lower / "etc" / "group", "x");
  write(lower / "bin" / "sh", "x");
  write(upper / "etc" / "passwd", "changed");
  write(upper / "new" / "file", "added");
  write(upper / "etc" / "hosts", ""); // a mount point the runtime made: not a change
  fs::create_directories(upper / "proc");
  // fuse-overlayfs's fallback whiteout (a real overlay whiteout needs mknod of 0/0).
  write(upper / "bin" / ".wh.sh", "");
  std::vector<fs::path> layers{lower};
  auto changes = runtime::upper_changes(upper, [&](const std::string& rel) {
    return runtime::layers_have(layers, rel);
  });
  std::vector<runtime::Change> expected{{ChangeKind::changed, "/bin"},
                                        {ChangeKind::deleted, "/bin/sh"},
                                        {ChangeKind::changed, "/etc"},
                                        {ChangeKind::changed, "/etc/passwd"},
                                        {ChangeKind::added, "/new"},
                                        {ChangeKind::added, "/new/file"}};
  CHECK(changes == expected);
}

TEST_CASE("layers_have honours whiteouts and opaque directories of upper layers") {
  util::TempDir work(fs::current_path(), "layers-");
  fs::path bottom = work.path() / "bottom", top = work.path() / "top";
  write(bottom / "a" / "x", "x");
  write(bottom / "f" / "y", "y");
  fs::create_directories(top);
  write(top / "f", "a file over a directory");
  std::vector<fs::path> layers{top, bottom};
  CHECK(runtime::layers_have(layers, "a/x"));
  CHECK(runtime::layers_have(layers, "f"));
  CHECK_FALSE(runtime::layers_have(layers, "f/y"));
  CHECK_FALSE(runtime::layers_have(layers, "nothing"));
  if (::mknod((top / "a").c_str(), S_IFCHR | 0, makedev(0, 0)) == 0) {
    CHECK_FALSE(runtime::layers_have(layers, "a"));
    CHECK_FALSE(runtime::layers_have(layers, "a/x"));
  }
}

TEST_CASE("the copy driver's changes come from comparing its rootfs with the layers") {
  util::TempDir work(fs::current_path(), "copy-");
  fs::path lower = work.path() / "lower", rootfs = work.path() / "rootfs";
  write(lower / "etc" / "passwd", "x");
  write(lower / "etc" / "group", "x");
  write(lower / "bin" / "sh", "x");
  fs::create_directories(lower / "proc");
  fs::copy(lower, rootfs, fs::copy_options::recursive);
  // Same metadata as the layer, as the copy driver leaves it.
  for (const char* rel : {"etc/passwd", "etc/group", "bin/sh", "etc", "bin", "proc"}) {
    struct stat st {};
    REQUIRE(::lstat((lower / rel).c_str(), &st) == 0);
    const timespec times[2] = {st.st_atim, st.st_mtim};
    REQUIRE(::utimensat(AT_FDCWD, (rootfs / rel).c_str(), times, AT_SYMLINK_NOFOLLOW) == 0);
  }
  std::vector<fs::path> layers{lower};
  CHECK(runtime::rootfs_changes(rootfs, layers).empty());
  write(rootfs / "etc" / "passwd", "changed");
  fs::remove(rootfs / "bin" / "sh");
  write(rootfs / "new" / "file", "added");
  write(rootfs / "etc" / "hosts", ""); // a mount point the runtime made
  std::vector<runtime::Change> expected{{ChangeKind::changed, "/bin"},
                                        {ChangeKind::deleted, "/bin/sh"},
                                        {ChangeKind::changed, "/etc"},
                                        {ChangeKind::changed, "/etc/passwd"},
                                        {ChangeKind::added, "/new"},
                                        {ChangeKind::added, "/new/file"}};
  CHECK(runtime::rootfs_changes(rootfs, layers) == expected);
}

TEST_SUITE_END();
