#include "runtime/volume_content.hpp"
#include "runtime/volumes.hpp"
#include "storage/store.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"

#include <doctest/doctest.h>

#include <sys/stat.h>

#include <filesystem>
#include <string>

namespace fs = std::filesystem;
using image::Digest;

namespace {

fs::path fresh_root(const char* prefix) {
  static int counter = 0;
  return fs::absolute(fs::path(std::string(prefix) + std::to_string(counter++)));
}

// A container record whose spec mounts these volumes.
storage::ContainerRecord container_with(storage::Store& store, storage::VolumeStore& volumes,
                                        std::vector<runtime::Mount> mounts) {
  runtime::ContainerSpec spec;
  spec.args = {"sh"};
  spec.mounts = std::move(mounts);
  util::FileLock lock = volumes.lock();
  runtime::attach_volumes(volumes, lock, spec);
  return store.containers().create("", "busybox", Digest::sha256_of("img"), spec.to_json());
}

runtime::Mount volume_at(std::string name, std::string destination) {
  runtime::Mount m;
  m.type = runtime::MountType::volume;
  m.source = std::move(name);
  m.destination = std::move(destination);
  m.anonymous = m.source.empty();
  return m;
}

} // namespace

TEST_SUITE_BEGIN("runtime");

TEST_CASE("volumes: attached on creation, in use while a record names them") {
  storage::Store store(fresh_root("rt-volumes-"));
  storage::VolumeStore volumes(store.root());
  auto a = container_with(store, volumes, {volume_at("data", "/d"), volume_at("", "/anon")});
  auto spec = runtime::ContainerSpec::from_json(a.spec);
  REQUIRE(spec.mounts.size() == 2);
  CHECK(spec.mounts[0].host_path == volumes.data_dir("data").string());
  std::string anonymous = spec.mounts[1].source;
  CHECK(anonymous.size() == 64);
  CHECK(volumes.lookup(anonymous)->anonymous);
  CHECK(runtime::volume_users(store.containers(), "data") == std::vector<std::string>{a.name});

  CHECK_THROWS_WITH_AS(runtime::remove_volume(volumes, store.containers(), "data",
                                              runtime::InUse::refuse),
                       doctest::Contains(("in use by container(s) " + a.name).c_str()), util::Error);
  {
    util::FileLock lock = volumes.lock();
    volumes.create(lock, "spare", {}, storage::VolumeKind::named);
  }
  CHECK(runtime::prune_volumes(volumes, store.containers(), [](const auto&) { return true; }) == std::vector<std::string>{"spare"});
  CHECK(volumes.lookup("data"));

  // rm -v: the anonymous volume goes, the named one stays.
  store.containers().remove(a);
  runtime::remove_anonymous_volumes(volumes, store.containers(), a);
  CHECK_FALSE(volumes.lookup(anonymous));
  CHECK(volumes.lookup("data"));
  runtime::remove_volume(volumes, store.containers(), "data", runtime::InUse::refuse);
  CHECK_FALSE(volumes.lookup("data"));
}

TEST_CASE("volumes: an anonymous volume another container mounts is kept") {
  storage::Store store(fresh_root("rt-volumes-"));
  storage::VolumeStore volumes(store.root());
  auto a = container_with(store, volumes, {volume_at("", "/anon")});
  std::string name = runtime::ContainerSpec::from_json(a.spec).mounts[0].source;
  runtime::Mount shared = volume_at(name, "/x");
  auto b = container_with(store, volumes, {shared});
  store.containers().remove(a);
  runtime::remove_anonymous_volumes(volumes, store.containers(), a);
  CHECK(volumes.lookup(name));
  CHECK_THROWS_AS(runtime::remove_volume(volumes, store.containers(), name, runtime::InUse::refuse),
                  util::Error);
  runtime::remove_volume(volumes, store.containers(), name, runtime::InUse::remove);
  CHECK_FALSE(volumes.lookup(name));
  (void)b;
}

TEST_CASE("volume content: the image's directory is copied, confined to the rootfs") {
  fs::path base = fresh_root("rt-content-");
  fs::path rootfs = base / "rootfs";
  fs::create_directories(rootfs / "srv/data/sub");
  util::write_file_atomic(rootfs / "srv/data/file", "hello", 0640);
  util::write_file_atomic(rootfs / "srv/data/sub/deep", "deep");
  fs::create_symlink("/etc/passwd", rootfs / "srv/data/link");
  ::chmod((rootfs / "srv/data").c_str(), 0751);
  // An absolute symlink in the image must resolve inside the rootfs, not on the host.
  fs::create_directories(rootfs / "opt");
  fs::create_directory_symlink("/srv/data", rootfs / "opt/alias");
  fs::path volume = base / "volume";
  fs::create_directories(volume);
  CHECK(runtime::dir_is_empty(volume));
  runtime::copy_into_volume(rootfs, "/opt/alias", volume);
  CHECK_FALSE(runtime::dir_is_empty(volume));
  CHECK(util::read_file(volume / "file") == "hello");
  CHECK(util::read_file(volume / "sub/deep") == "deep");
  CHECK(fs::read_symlink(volume / "link") == "/etc/passwd");
  CHECK((fs::status(volume / "file").permissions() & fs::perms::all) ==
        (fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read));
  struct stat st {};
  REQUIRE(::stat(volume.c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0751);

  fs::path other = base / "other";
  fs::create_directories(other);
  runtime::copy_into_volume(rootfs, "/missing", other);
  CHECK(runtime::dir_is_empty(other));
  runtime::copy_into_volume(rootfs, "/srv/data/file", other); // not a directory: nothing
  CHECK(runtime::dir_is_empty(other));
}

TEST_SUITE_END();
