#include "image/manifest.hpp"
#include "image/media_types.hpp"
#include "image/reference.hpp"
#include "storage/image_remove.hpp"
#include "storage/store.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <string>

namespace fs = std::filesystem;
using image::Digest;
using image::ImageRef;

namespace {

fs::path fresh_root() {
  static int counter = 0;
  return fs::absolute(fs::path("images-" + std::to_string(counter++)));
}

storage::ImageRecord record(const std::string& seed, std::vector<Digest> layers = {}) {
  storage::ImageRecord r{Digest::sha256_of("config " + seed), Digest::sha256_of("manifest " + seed),
                         {}, {}, std::move(layers), "2026-01-0" + seed + "T00:00:00Z", "", 0};
  return r;
}

// Stores an image whose layers exist on disk, with manifest and config blobs, as a pull would.
storage::ImageRecord stored_image(storage::Store& store, const std::string& seed,
                                  const std::vector<std::string>& layer_seeds,
                                  const std::string& name) {
  std::string config = "config " + seed;
  image::Manifest m{std::string(image::media::oci_manifest),
                    {std::string(image::media::oci_config), store.blobs().put(config),
                     static_cast<std::int64_t>(config.size()), std::nullopt, {}, {}},
                    {},
                    {}};
  std::vector<Digest> diff_ids;
  for (const std::string& l : layer_seeds) {
    Digest diff = Digest::sha256_of("diff " + l);
    Digest blob = store.blobs().put("blob " + l);
    m.layers.push_back({std::string(image::media::oci_layer_gzip), blob, 6, std::nullopt, {}, {}});
    fs::create_directories(store.layers().diff_dir(diff));
    diff_ids.push_back(diff);
  }
  storage::ImageRecord r{m.config.digest, store.blobs().put(image::to_json(m)), {}, {},
                         diff_ids, "2026-01-01T00:00:00Z", "", 0};
  return store.images().add(r, ImageRef::parse(name));
}

} // namespace

TEST_SUITE_BEGIN("storage");

TEST_CASE("ImageIndex lookup by name, id and id prefix") {
  storage::Store store(fresh_root());
  auto a = store.images().add(record("1"), ImageRef::parse("busybox"));
  store.images().add(record("2"), ImageRef::parse("localhost:5000/app:v1"));
  CHECK(a.names == std::vector<std::string>{"docker.io/library/busybox:latest"});
  CHECK(store.images().lookup("busybox")->id == a.id);
  CHECK(store.images().lookup("docker.io/library/busybox:latest")->id == a.id);
  CHECK(store.images().lookup(a.id.str())->id == a.id);
  CHECK(store.images().lookup(a.id.hex())->id == a.id);
  CHECK(store.images().lookup(a.id.short_hex())->id == a.id);
  CHECK(store.images().lookup("sha256:" + a.id.hex().substr(0, 8))->id == a.id);
  CHECK_FALSE(store.images().lookup("alpine"));
  CHECK_FALSE(store.images().lookup("localhost:5000/app")); // :latest is not v1
  CHECK(store.images().find(ImageRef::parse("localhost:5000/app:v1")));
  CHECK(store.images().list().front().created == "2026-01-02T00:00:00Z"); // newest first
}

TEST_CASE("ImageIndex rejects an ambiguous id prefix") {
  storage::Store store(fresh_root());
  // Find two seeds whose ids share the first three hex digits (the shortest id prefix).
  std::string first = record("1").id.hex().substr(0, 3);
  int other = 2;
  while (record(std::to_string(other)).id.hex().substr(0, 3) != first)
    ++other;
  store.images().add(record("1"), std::nullopt);
  store.images().add(record(std::to_string(other)), std::nullopt);
  CHECK_THROWS_WITH_AS(store.images().lookup(first), doctest::Contains("ambiguous"), util::Error);
}

TEST_CASE("ImageIndex tag moves names; untag reports the last one") {
  storage::Store store(fresh_root());
  auto a = store.images().add(record("1"), ImageRef::parse("app:1"));
  auto b = store.images().add(record("2"), ImageRef::parse("app:2"));
  store.images().tag(b.id, ImageRef::parse("app:1"));
  CHECK(store.images().lookup("app:1")->id == b.id);
  CHECK(store.images().lookup(a.id.hex())->names.empty()); // dangling, still listed
  CHECK(store.images().list().size() == 2);
  CHECK_FALSE(store.images().untag(ImageRef::parse("app:1")));
  auto last = store.images().untag(ImageRef::parse("app:2"));
  REQUIRE(last);
  CHECK(last->id == b.id);
  CHECK_THROWS_AS(store.images().untag(ImageRef::parse("app:2")), util::Error);
  store.images().add(record("1"), ImageRef::parse("app:3")); // re-add merges by id
  CHECK(store.images().list().size() == 2);
  store.images().remove(a.id);
  CHECK(store.images().list().size() == 1);
}

TEST_CASE("ContainerStore names are unique; lookups by name, id and prefix") {
  storage::Store store(fresh_root());
  Digest image_id = Digest::sha256_of("img");
  auto web = store.containers().create("web", "busybox", image_id, nlohmann::json::object());
  CHECK_THROWS_WITH_AS(store.containers().create("web", "busybox", image_id, {}),
                       doctest::Contains(("the container name \"web\" is already in use by " + web.id).c_str()),
                       util::Error);
  CHECK_THROWS_AS(store.containers().create("bad/name", "busybox", image_id, {}), util::Error);
  auto anon = store.containers().create("", "busybox", image_id, {});
  CHECK(anon.name.find('_') != std::string::npos);
  CHECK(fs::is_directory(store.containers().dir(web.id) / "upper"));
  CHECK(store.containers().lookup("web")->id == web.id);
  CHECK(store.containers().lookup(web.id)->name == "web");
  CHECK(store.containers().lookup(web.id.substr(0, 12))->id == web.id);
  CHECK(store.containers().lookup(anon.name)->id == anon.id);
  CHECK_FALSE(store.containers().lookup("nope"));
  CHECK(store.containers().list().size() == 2);
  CHECK(store.containers().image_in_use(image_id));
  web.state = {{"status", "exited"}};
  store.containers().save(web);
  CHECK(store.containers().lookup("web")->state["status"] == "exited");
  store.containers().remove(web);
  CHECK_FALSE(store.containers().lookup("web"));
  store.containers().create("web", "busybox", image_id, {}); // the name is free again
}

TEST_CASE("remove_image untags, deletes and collects unshared content") {
  storage::Store store(fresh_root());
  auto a = stored_image(store, "a", {"base", "top-a"}, "app:a");
  auto b = stored_image(store, "b", {"base", "top-b"}, "app:b");
  store.images().tag(a.id, ImageRef::parse("app:alias"));

  CHECK_THROWS_WITH_AS(storage::remove_image(store, a.id.short_hex(), false),
                       doctest::Contains("more than one tag"), util::Error);
  auto r = storage::remove_image(store, "app:alias", false);
  CHECK(r.untagged == std::vector<std::string>{"docker.io/library/app:alias"});
  CHECK(r.deleted.empty());

  auto user = store.containers().create("", "app:a", a.id, {});
  CHECK_THROWS_WITH_AS(storage::remove_image(store, "app:a", false),
                       doctest::Contains("image used by container"), util::Error);
  store.containers().remove(user);

  r = storage::remove_image(store, "app:a", false);
  CHECK(r.deleted == std::vector<std::string>{a.id.str()});
  CHECK_FALSE(store.blobs().has(a.manifest_digest));
  CHECK_FALSE(store.blobs().has(a.id));
  CHECK(store.layers().has(Digest::sha256_of("diff base"))); // shared with b
  CHECK(store.blobs().has(Digest::sha256_of("blob base")));
  CHECK_FALSE(store.layers().has(Digest::sha256_of("diff top-a")));
  CHECK_FALSE(store.blobs().has(Digest::sha256_of("blob top-a")));

  {
    auto lease = store.layers().lease(Digest::sha256_of("diff base"));
    r = storage::remove_image(store, b.id.hex(), false);
    CHECK(r.deleted.size() == 1);
    CHECK(store.layers().has(Digest::sha256_of("diff base"))); // leased: kept
  }
  CHECK_FALSE(store.layers().has(Digest::sha256_of("diff top-b")));
  CHECK_THROWS_WITH_AS(storage::remove_image(store, "app:b", false),
                       doctest::Contains("image not known"), util::Error);
}

TEST_SUITE_END();
