#include "storage/volume_store.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"

#include <doctest/doctest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using storage::VolumeKind;
using storage::VolumeStore;

namespace {

fs::path fresh_root() {
  static int counter = 0;
  return fs::absolute(fs::path("volumes-" + std::to_string(counter++)));
}

size_t count_entries(const fs::path& dir) {
  size_t n = 0;
  for ([[maybe_unused]] const auto& entry : fs::directory_iterator(dir))
    ++n;
  return n;
}

} // namespace

TEST_SUITE_BEGIN("storage");

TEST_CASE("volumes: create, lookup, list, remove") {
  VolumeStore volumes(fresh_root());
  util::FileLock lock = volumes.lock();
  auto data = volumes.create(lock, "data", {{"app", "web"}}, VolumeKind::named);
  CHECK(data.name == "data");
  CHECK(data.labels.at("app") == "web");
  CHECK_FALSE(data.anonymous);
  CHECK_FALSE(data.created.empty());
  CHECK(fs::is_directory(volumes.data_dir("data")));
  CHECK((fs::status(volumes.data_dir("data")).permissions() & fs::perms::all) ==
        (fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
         fs::perms::others_read | fs::perms::others_exec));
  CHECK(volumes.lookup("data") == data);

  auto anonymous = volumes.create(lock, "", {}, VolumeKind::anonymous);
  CHECK(anonymous.name.size() == 64);
  CHECK(anonymous.anonymous);
  auto all = volumes.list();
  REQUIRE(all.size() == 2);
  CHECK(std::is_sorted(all.begin(), all.end(),
                       [](const auto& a, const auto& b) { return a.name < b.name; }));

  util::write_file_atomic(volumes.data_dir("data") / "f", "content");
  volumes.remove(lock, "data");
  CHECK_FALSE(volumes.lookup("data"));
  CHECK_FALSE(fs::exists(volumes.dir("data")));
  CHECK(volumes.list().size() == 1);
  // Nothing is left behind in tmp/ but lock files of finished entries (none).
  CHECK(count_entries(volumes.dir("x").parent_path().parent_path() / "tmp") == 0);
  CHECK_THROWS_WITH_AS(volumes.remove(lock, "data"), doctest::Contains("no such volume"),
                       util::Error);
}

TEST_CASE("volumes: creating an existing name returns it unchanged, as Docker does") {
  VolumeStore volumes(fresh_root());
  util::FileLock lock = volumes.lock();
  auto first = volumes.create(lock, "data", {{"a", "1"}}, VolumeKind::named);
  util::write_file_atomic(volumes.data_dir("data") / "keep", "x");
  auto again = volumes.create(lock, "data", {}, VolumeKind::named);
  CHECK(again == first);
  CHECK(fs::exists(volumes.data_dir("data") / "keep"));
}

TEST_CASE("volumes: names are validated") {
  VolumeStore volumes(fresh_root());
  util::FileLock lock = volumes.lock();
  for (const char* bad : {"a", "-data", ".data", "da/ta", "da ta", "data:x", "..", "_x"}) {
    CAPTURE(bad);
    CHECK_THROWS_WITH_AS(volumes.create(lock, bad, {}, VolumeKind::named),
                         doctest::Contains("invalid volume name"), util::Error);
  }
  for (const char* good : {"ab", "my-data_1.0", "0data"})
    CHECK_NOTHROW(storage::validate_volume_name(good));
  CHECK_FALSE(volumes.lookup("../x"));
  CHECK_FALSE(volumes.lookup(".lock"));
  CHECK_FALSE(volumes.lookup(""));
}

TEST_CASE("volumes: a directory without a record is not a volume") {
  VolumeStore volumes(fresh_root());
  fs::create_directories(volumes.dir("half") / "_data");
  CHECK_FALSE(volumes.lookup("half"));
  CHECK(volumes.list().empty());
}

TEST_CASE("volumes: concurrent creators of one name end with one volume") {
  fs::path root = fresh_root();
  VolumeStore volumes(root);
  std::vector<pid_t> children;
  for (int i = 0; i < 6; ++i) {
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      try {
        VolumeStore mine(root);
        util::FileLock lock = mine.lock();
        mine.create(lock, "shared", {{"by", std::to_string(i)}}, VolumeKind::named);
        ::_exit(0);
      } catch (...) {
        ::_exit(1);
      }
    }
    children.push_back(pid);
  }
  for (pid_t pid : children) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
  }
  auto all = volumes.list();
  REQUIRE(all.size() == 1);
  CHECK(all[0].name == "shared");
}

TEST_SUITE_END();
