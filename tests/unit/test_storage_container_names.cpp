#include "storage/container_names.hpp"
#include "storage/store.hpp"
#include "util/error.hpp"

#include <doctest/doctest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using image::Digest;

namespace {

fs::path fresh_root() {
  static int counter = 0;
  return fs::absolute(fs::path("names-" + std::to_string(counter++)));
}

} // namespace

TEST_SUITE_BEGIN("storage");

TEST_CASE("container names: a link to a missing container is reclaimed") {
  storage::Store store(fresh_root());
  fs::path names = store.root() / "names";
  fs::create_directory_symlink(std::string(64, 'a'), names / "ghost");
  auto record = store.containers().create("ghost", "busybox", Digest::sha256_of("img"), {});
  CHECK(fs::read_symlink(names / "ghost").string() == record.id);
}

TEST_CASE("container names: removing a container leaves a name someone else reclaimed") {
  storage::Store store(fresh_root());
  Digest image_id = Digest::sha256_of("img");
  auto first = store.containers().create("web", "busybox", image_id, {});
  // A removal in progress: the directory is already gone, the name not yet unlinked.
  fs::rename(store.containers().dir(first.id), store.root() / "tmp" / "doomed");
  auto second = store.containers().create("web", "busybox", image_id, {});
  store.containers().remove(first);
  CHECK(store.containers().lookup("web")->id == second.id);
}

TEST_CASE("container names: concurrent creators of one name, exactly one wins") {
  storage::Store store(fresh_root());
  std::vector<pid_t> children;
  for (int i = 0; i < 8; ++i) {
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      int code = 0;
      try {
        storage::Store mine(store.root());
        mine.containers().create("same", "busybox", Digest::sha256_of("img"), {});
      } catch (const util::Error&) {
        code = 1;
      }
      ::_exit(code);
    }
    children.push_back(pid);
  }
  int winners = 0;
  for (pid_t pid : children) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    REQUIRE(WIFEXITED(status));
    winners += WEXITSTATUS(status) == 0 ? 1 : 0;
  }
  CHECK(winners == 1);
  CHECK(store.containers().list().size() == 1);
}

TEST_CASE("container names: validation follows Docker's rule") {
  CHECK_NOTHROW(storage::validate_container_name("a.b-c_1"));
  CHECK_THROWS_AS(storage::validate_container_name(".lock"), util::Error);
  CHECK_THROWS_AS(storage::validate_container_name("-x"), util::Error);
  CHECK_THROWS_AS(storage::validate_container_name(""), util::Error);
}

TEST_SUITE_END();
