#include "storage/store.hpp"
#include "util/fs.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <string>

namespace fs = std::filesystem;
using image::Digest;

namespace {

fs::path fresh_root() {
  static int counter = 0;
  return fs::absolute(fs::path("container-store-" + std::to_string(counter++)));
}

storage::ContainerRecord make(storage::Store& store, const std::string& name,
                              util::Durability durability = util::Durability::crash_safe) {
  storage::ContainerRecord draft{std::string(), name,          "busybox",
                                 Digest::sha256_of("img"), std::string(), std::string(),
                                 nlohmann::json::object(), nlohmann::json::object(), false,
                                 std::string(),  false};
  return store.containers().create(draft, durability);
}

} // namespace

TEST_SUITE_BEGIN("storage");

TEST_CASE("container store: a record created without fsync reads back whole") {
  storage::Store store(fresh_root());
  storage::ContainerRecord record = make(store, "quick", util::Durability::process_safe);
  std::optional<storage::ContainerRecord> found = store.containers().lookup("quick");
  REQUIRE(found);
  CHECK(found->id == record.id);
  CHECK(store.containers().incomplete().empty());
  CHECK_FALSE(store.containers().find_incomplete(record.id));
}

TEST_CASE("container store: an empty, garbled or missing record is an incomplete container") {
  storage::Store store(fresh_root());
  storage::ContainerRecord whole = make(store, "whole");
  storage::ContainerRecord empty = make(store, "empty", util::Durability::process_safe);
  storage::ContainerRecord garbled = make(store, "garbled", util::Durability::process_safe);
  storage::ContainerRecord missing = make(store, "missing", util::Durability::process_safe);
  // What a crash can leave of a record that was not synced yet.
  util::write_file_atomic(store.containers().dir(empty.id) / "container.json", "");
  util::write_file_atomic(store.containers().dir(garbled.id) / "container.json",
                          std::string("\0\0\0{\"id\":", 9));
  fs::remove(store.containers().dir(missing.id) / "container.json");

  std::vector<storage::ContainerRecord> listed = store.containers().list();
  REQUIRE(listed.size() == 1);
  CHECK(listed.front().id == whole.id);
  for (const auto* record : {&empty, &garbled, &missing}) {
    CHECK_FALSE(store.containers().lookup(record->id));
    CHECK_FALSE(store.containers().lookup(record->name));
    CHECK(store.containers().find_incomplete(record->id) == record->id);
    CHECK(store.containers().find_incomplete(record->id.substr(0, 12)) == record->id);
  }
  std::vector<std::string> incomplete = store.containers().incomplete();
  CHECK(incomplete.size() == 3);
  CHECK_FALSE(store.containers().find_incomplete(whole.id));
  CHECK_FALSE(store.containers().find_incomplete("empty")); // names do not find them
  CHECK_FALSE(store.containers().find_incomplete(""));

  store.containers().remove_incomplete(empty.id);
  CHECK_FALSE(fs::exists(store.containers().dir(empty.id)));
  CHECK(store.containers().incomplete().size() == 2);
  // Its name link is stale now: a new container may take the name.
  storage::ContainerRecord again = make(store, "empty");
  CHECK(store.containers().lookup("empty")->id == again.id);
}

TEST_CASE("container store: sync makes a record written without fsync durable") {
  storage::Store store(fresh_root());
  storage::ContainerRecord record = make(store, "later", util::Durability::process_safe);
  CHECK_NOTHROW(store.containers().sync(record));
}

TEST_SUITE_END();
