#include "build/add_source.hpp"
#include "build/copy_layer.hpp"
#include "build/onbuild.hpp"
#include "test_storage_tar.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/temp_dir.hpp"

#include <doctest/doctest.h>

#include <sys/stat.h>

#include <filesystem>
#include <string>

TEST_SUITE_BEGIN("build");

using namespace build;
namespace fs = std::filesystem;

namespace {
fs::path write(const fs::path& path, const std::string& bytes) {
  util::write_file_atomic(path, bytes, 0644, util::Durability::process_safe);
  return path;
}
} // namespace

TEST_CASE("ADD recognises tar archives by content, not by name") {
  util::TempDir dir(fs::temp_directory_path(), "cove-test-add-");
  auto tar = storage_test::TarBuilder().file("a.txt", "hello").finish();
  auto gz = storage_test::TarBuilder(true).file("a.txt", "hello").finish();
  CHECK(is_tar_archive(write(dir.path() / "plain.bin", tar)));
  CHECK(is_tar_archive(write(dir.path() / "compressed.txt", gz)));
  CHECK_FALSE(is_tar_archive(write(dir.path() / "x.tar", "just text, long enough? no\n")));
  CHECK_FALSE(is_tar_archive(write(dir.path() / "empty.tar", "")));
  CHECK_FALSE(is_tar_archive(write(dir.path() / "zeros.tar", std::string(1024, '\0'))));
  // A gzip stream that is not a tar is copied as a file.
  auto header_only = gz.substr(0, 10);
  CHECK_FALSE(is_tar_archive(write(dir.path() / "broken.tar.gz", header_only)));
}

TEST_CASE("ADD unpacks with the layer unpacker's confinement") {
  util::TempDir dir(fs::temp_directory_path(), "cove-test-add-");
  auto good = write(dir.path() / "good.tgz", storage_test::TarBuilder(true)
                                                 .dir("d", 0750)
                                                 .file("d/f.txt", "content", 0600)
                                                 .symlink("d/l", "f.txt")
                                                 .finish());
  fs::create_directory(dir.path() / "out");
  extract_archive(good, dir.path() / "out");
  CHECK(util::read_file(dir.path() / "out/d/f.txt") == "content");
  struct stat st {};
  REQUIRE(::stat((dir.path() / "out/d/f.txt").c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0600);
  CHECK(fs::read_symlink(dir.path() / "out/d/l") == "f.txt");

  auto escape = write(dir.path() / "escape.tar", storage_test::TarBuilder().file("../up.txt", "x").finish());
  fs::create_directory(dir.path() / "out2");
  CHECK_THROWS_WITH_AS(extract_archive(escape, dir.path() / "out2"), doctest::Contains("escape.tar"), util::Error);
  CHECK_FALSE(fs::exists(dir.path() / "up.txt"));
}

TEST_CASE("ADD URL helpers: file names, checksums, Last-Modified") {
  CHECK(url_file_name("https://example.com/a/b.txt") == "b.txt");
  CHECK(url_file_name("http://h:8080/dir/file.tgz?x=1#frag") == "file.tgz");
  CHECK(url_file_name("http://h/dir/") == "dir");
  CHECK_THROWS_AS(url_file_name("http://h/"), util::Error);
  CHECK_THROWS_AS(url_file_name("http://h"), util::Error);
  CHECK(is_url_source("https://x/y"));
  CHECK(is_url_source("HTTP://x/y"));
  CHECK_FALSE(is_url_source("file.txt"));
  CHECK_FALSE(is_url_source("git@github.com:a/b.git"));
  std::string hex(64, 'a');
  CHECK(parse_checksum("sha256:" + hex) == hex);
  CHECK_THROWS_AS(parse_checksum("sha256:" + hex.substr(1)), util::Error);
  CHECK_THROWS_AS(parse_checksum("sha512:" + hex), util::Error);
  CHECK_THROWS_AS(parse_checksum("sha256:" + std::string(64, 'A')), util::Error);
  CHECK(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT") == 784111777);
  CHECK(parse_http_date("Sun, 02 Feb 2020 02:02:02 GMT") == 1580608922);
  CHECK_FALSE(parse_http_date("yesterday").has_value());
}

TEST_CASE("--chown: numbers, and names from the stage's passwd and group") {
  const std::string passwd = "root:x:0:0::/root:/bin/sh\napp:x:1000:1001::/home/app:/bin/sh\n";
  const std::string group = "root:x:0:\napp:x:1001:\nstaff:x:50:app\n";
  CHECK(parse_chown("10") == std::pair<uid_t, gid_t>{10, 10});
  CHECK(parse_chown("10:11") == std::pair<uid_t, gid_t>{10, 11});
  CHECK(parse_chown("app", passwd, group) == std::pair<uid_t, gid_t>{1000, 1001});
  CHECK(parse_chown("app:staff", passwd, group) == std::pair<uid_t, gid_t>{1000, 50});
  CHECK(parse_chown("1000:staff", passwd, group) == std::pair<uid_t, gid_t>{1000, 50});
  CHECK(parse_chown("app:7", passwd, group) == std::pair<uid_t, gid_t>{1000, 7});
  CHECK_THROWS_WITH_AS(parse_chown("nobody", passwd, group), doctest::Contains("unable to find user nobody"), util::Error);
  CHECK_THROWS_WITH_AS(parse_chown("app:nogroup", passwd, group), doctest::Contains("unable to find group nogroup"),
                       util::Error);
  CHECK_THROWS_AS(parse_chown(":5"), util::Error);
  CHECK_THROWS_AS(parse_chown("5:"), util::Error);
  CHECK(chown_has_names("app"));
  CHECK(chown_has_names("1:staff"));
  CHECK_FALSE(chown_has_names("1:2"));
}

TEST_CASE("ONBUILD triggers parse as instructions") {
  auto ins = onbuild_instructions({"RUN echo hi", "COPY --chown=1:2 a /b", "ENV A=1"});
  REQUIRE(ins.size() == 3);
  CHECK(ins[0].keyword == "RUN");
  CHECK(ins[0].original == "RUN echo hi");
  CHECK(std::get<Copy>(ins[1].body).chown == "1:2");
  CHECK(ins[2].keyword == "ENV");
  CHECK_THROWS_WITH_AS(onbuild_instructions({"FROM x"}), doctest::Contains("ONBUILD trigger"), util::Error);
  CHECK_THROWS_AS(onbuild_instructions({"RNU x"}), util::Error);
  CHECK_THROWS_AS(onbuild_instructions({"ONBUILD RUN x"}), util::Error);
}

TEST_SUITE_END();
