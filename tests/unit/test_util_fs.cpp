#include "util/error.hpp"
#include "util/file_lock.hpp"
#include "util/fs.hpp"
#include "util/sha256.hpp"
#include "util/subprocess.hpp"
#include "util/temp_dir.hpp"

#include <doctest/doctest.h>

#include <sys/stat.h>
#include <sys/wait.h>

TEST_SUITE_BEGIN("util");

TEST_CASE("write_file_atomic replaces content and leaves no temp file") {
  util::TempDir dir(".", "fs-");
  auto file = dir.path() / "f";
  util::write_file_atomic(file, "one");
  util::write_file_atomic(file, "two");
  CHECK(util::read_file(file) == "two");
  CHECK(std::distance(std::filesystem::directory_iterator(dir.path()), {}) == 1);
  CHECK_FALSE(util::read_file_if_exists(dir.path() / "missing"));
}

TEST_CASE("remove_tree copes with read-only directories") {
  auto root = std::filesystem::path("ro-tree");
  util::make_dirs(root / "a" / "b");
  util::write_file_atomic(root / "a" / "b" / "f", "x");
  ::chmod((root / "a").c_str(), 0500);
  util::remove_tree(root);
  CHECK_FALSE(std::filesystem::exists(root));
}

TEST_CASE("remove_tree removes files, links and nested directories, and never follows a link") {
  auto outside = std::filesystem::path("rt-outside");
  util::make_dirs(outside / "keep");
  util::write_file_atomic(outside / "keep" / "f", "kept");
  auto root = std::filesystem::path("rt-tree");
  util::make_dirs(root / "a" / "b" / "c");
  util::write_file_atomic(root / "a" / "b" / "c" / "f", "x");
  util::write_file_atomic(root / "top", "x");
  std::filesystem::create_directory_symlink(std::filesystem::absolute(outside), root / "a" / "dirlink");
  std::filesystem::create_symlink(std::filesystem::absolute(outside / "keep" / "f"), root / "filelink");
  ::chmod((root / "a" / "b" / "c").c_str(), 0);
  util::remove_tree(root.string() + "/"); // a trailing slash names the same directory
  CHECK_FALSE(std::filesystem::exists(std::filesystem::symlink_status(root)));
  CHECK(util::read_file(outside / "keep" / "f") == "kept");
  util::remove_tree(outside);
  util::remove_tree(outside); // already gone: nothing to do
  CHECK_FALSE(std::filesystem::exists(outside));
  util::write_file_atomic("rt-file", "x");
  util::remove_tree("rt-file");
  CHECK_FALSE(std::filesystem::exists("rt-file"));
}

TEST_CASE("sha256 known vectors") {
  CHECK(util::Sha256::hex_of("") ==
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(util::Sha256::hex_of("abc") ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_CASE("try_lock sees a held exclusive lock") {
  util::FileLock held("lockfile", util::LockMode::exclusive);
  // flock locks belong to the open file description, so a second open conflicts.
  CHECK_FALSE(util::FileLock::try_lock("lockfile", util::LockMode::shared).has_value());
  held.unlock();
  CHECK(util::FileLock::try_lock("lockfile", util::LockMode::shared).has_value());
}

TEST_CASE("run_checked returns stdout and reports failures with stderr") {
  CHECK(util::run_checked({"sh", "-c", "echo hi"}) == "hi\n");
  CHECK_THROWS_WITH_AS(util::run_checked({"sh", "-c", "echo boom >&2; exit 3"}),
                       doctest::Contains("exited with status 3: boom"), util::Error);
  CHECK_THROWS_WITH_AS(util::run_checked({"no-such-program-cove"}), doctest::Contains("not found"),
                       util::Error);
}

TEST_SUITE_END();
