#include "build/step_image.hpp"
#include "storage/store.hpp"
#include "util/temp_dir.hpp"

#include <doctest/doctest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <optional>

TEST_SUITE_BEGIN("build");

using build::detail::StepImage;

namespace {
storage::ImageRecord record(const std::string& seed) {
  return storage::ImageRecord{image::Digest::sha256_of("config " + seed), image::Digest::sha256_of("manifest " + seed),
                              {}, {}, {}, "2026-01-01T00:00:00Z", "", 0};
}

bool recorded(storage::Store& store, const storage::ImageRecord& r) {
  return store.images().lookup(r.id.str()).has_value();
}
} // namespace

TEST_CASE("step image: builds sharing one record keep it until the last one is done") {
  util::TempDir dir(std::filesystem::temp_directory_path(), "cove-unit-step-image");
  storage::Store store(dir.path() / "root");
  auto r = record("shared");
  std::optional<StepImage> first, second;
  first.emplace(store, r);
  CHECK(recorded(store, r));
  second.emplace(store, r); // another build whose stage has the same config
  first.reset();
  CHECK(recorded(store, r)); // the first build is done; the second still runs on it
  second.reset();
  CHECK_FALSE(recorded(store, r));
  // Only the guard's lock file is left.
  for (const auto& entry : std::filesystem::directory_iterator(dir.path() / "root" / "build-images"))
    CHECK(entry.path().filename() == ".lock");
  // A record made again after the last one left is removed again.
  {
    StepImage again(store, r);
    CHECK(recorded(store, r));
  }
  CHECK_FALSE(recorded(store, r));
}

TEST_CASE("step image: an image recorded before is never removed") {
  util::TempDir dir(std::filesystem::temp_directory_path(), "cove-unit-step-image");
  storage::Store store(dir.path() / "root");
  auto r = record("kept");
  store.images().add(r, std::nullopt);
  {
    StepImage a(store, r);
    StepImage b(store, r);
  }
  CHECK(recorded(store, r));
}

TEST_CASE("step image: builds in other processes joining and leaving at once never lose the record in use") {
  util::TempDir dir(std::filesystem::temp_directory_path(), "cove-unit-step-image");
  storage::Store store(dir.path() / "root");
  auto r = record("raced");
  std::vector<pid_t> children;
  for (int i = 0; i < 4; ++i) {
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      int status = 0;
      try {
        storage::Store own(dir.path() / "root");
        for (int round = 0; round < 25 && status == 0; ++round) {
          StepImage step(own, r);
          if (!recorded(own, r))
            status = 1; // another process removed it while this one runs on it
        }
      } catch (...) {
        status = 2;
      }
      ::_exit(status);
    }
    children.push_back(pid);
  }
  for (pid_t pid : children) {
    int status = -1;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
  }
  CHECK_FALSE(recorded(store, r));
}
