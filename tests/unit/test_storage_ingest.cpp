#include "image/digest.hpp"
#include "image/manifest.hpp"
#include "image/media_types.hpp"
#include "storage/blob_store.hpp"
#include "storage/layer_ingest.hpp"
#include "storage/store.hpp"
#include "test_storage_tar.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"

#include <doctest/doctest.h>
#include <zstd.h>

#include <atomic>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

namespace fs = std::filesystem;
using storage_test::TarBuilder;

namespace {

fs::path fresh_root() {
  static int counter = 0;
  return fs::absolute(fs::path("store-" + std::to_string(counter++)));
}

std::string zstd(std::string_view data) {
  std::string out(ZSTD_compressBound(data.size()), '\0');
  size_t n = ZSTD_compress(out.data(), out.size(), data.data(), data.size(), 3);
  REQUIRE(ZSTD_isError(n) == 0);
  out.resize(n);
  return out;
}

// A tar big enough to span several queue blocks, with an incompressible file.
std::string sample_tar() {
  std::string noise(3 * 1024 * 1024, '\0');
  unsigned x = 12345;
  for (char& c : noise) {
    x = x * 1103515245 + 12345;
    c = static_cast<char>(x >> 16);
  }
  return TarBuilder().dir("bin").file("bin/noise", noise).file("etc/motd", "hello\n").finish();
}

image::Descriptor descriptor(std::string_view media_type, const std::string& blob) {
  return image::Descriptor{std::string(media_type), image::Digest::sha256_of(blob),
                           static_cast<std::int64_t>(blob.size()), std::nullopt, {}, {}};
}

storage::LayerLease ingest(const storage::Store& store, const image::Descriptor& desc,
                           const std::string& blob, const image::Digest& diff_id) {
  storage::LayerIngest ingest(store, desc, diff_id);
  for (size_t pos = 0; pos < blob.size(); pos += 16384)
    ingest.write(blob.data() + pos, std::min<size_t>(16384, blob.size() - pos));
  return ingest.finish();
}

bool tmp_is_clean(const storage::Store& store) {
  return fs::is_empty(store.tmp_dir());
}

} // namespace

TEST_SUITE_BEGIN("storage");

TEST_CASE("BlobWriter verifies digest and size, and discards on failure") {
  storage::Store store(fresh_root());
  std::string data = "hello blob";
  image::Digest good = image::Digest::sha256_of(data);
  image::Digest bad = image::Digest::sha256_of("something else");
  {
    storage::BlobWriter w = store.blobs().begin(bad, std::nullopt);
    w.write(data.data(), data.size());
    CHECK_THROWS_WITH_AS(w.commit(), doctest::Contains("digest mismatch"), util::Error);
  }
  CHECK_FALSE(store.blobs().has(bad));
  {
    storage::BlobWriter w = store.blobs().begin(good, 3);
    CHECK_THROWS_WITH_AS(w.write(data.data(), data.size()), doctest::Contains("more data"),
                         util::Error);
  }
  {
    storage::BlobWriter w = store.blobs().begin(good, 100);
    w.write(data.data(), data.size());
    CHECK_THROWS_WITH_AS(w.commit(), doctest::Contains("size mismatch"), util::Error);
  }
  CHECK(tmp_is_clean(store));
  CHECK(store.blobs().put(data) == good);
  CHECK(store.blobs().read(good) == data);
  store.blobs().remove(good);
  CHECK_FALSE(store.blobs().has(good));
}

TEST_CASE("LayerIngest unpacks gzip, multi-member gzip, zstd and plain streams") {
  storage::Store store(fresh_root());
  std::string tar = sample_tar();
  image::Digest diff_id = image::Digest::sha256_of(tar);
  std::string blob;
  std::string_view type;
  SUBCASE("gzip") {
    blob = storage_test::gzip(tar);
    type = image::media::oci_layer_gzip;
  }
  SUBCASE("multi-member gzip") {
    blob = storage_test::gzip(tar.substr(0, 1000001)) + storage_test::gzip(tar.substr(1000001));
    type = image::media::docker_layer_gzip;
  }
  SUBCASE("zstd") {
    blob = zstd(tar);
    type = image::media::oci_layer_zstd;
  }
  SUBCASE("uncompressed") {
    blob = tar;
    type = image::media::oci_layer;
  }
  image::Descriptor desc = descriptor(type, blob);
  storage::LayerLease lease = ingest(store, desc, blob, diff_id);
  CHECK(store.layers().has(diff_id));
  CHECK(util::read_file(store.layers().diff_dir(diff_id) / "etc/motd") == "hello\n");
  CHECK(fs::file_size(store.layers().diff_dir(diff_id) / "bin/noise") == 3 * 1024 * 1024);
  CHECK(fs::exists(store.root() / store.layers().short_path(diff_id) / "etc/motd"));
  CHECK(store.blobs().has(desc.digest));
  CHECK(store.layers().disk_size(diff_id) == 3 * 1024 * 1024 + 6);
  CHECK_FALSE(store.layers().remove_if_unused(diff_id)); // our lease protects it
  lease.unlock();
  CHECK(store.layers().remove_if_unused(diff_id));
  CHECK_FALSE(store.layers().has(diff_id));
}

TEST_CASE("LayerIngest detects a diff-id mismatch and leaves nothing behind") {
  storage::Store store(fresh_root());
  std::string tar = sample_tar();
  image::Digest wrong = image::Digest::sha256_of("not this tar");
  for (auto [type, blob] : {std::pair{image::media::oci_layer_gzip, storage_test::gzip(tar)},
                            std::pair{image::media::oci_layer_zstd, zstd(tar)}}) {
    CAPTURE(type);
    image::Descriptor desc = descriptor(type, blob);
    CHECK_THROWS_WITH_AS(ingest(store, desc, blob, wrong), doctest::Contains("diff-id mismatch"),
                         util::Error);
    CHECK_FALSE(store.layers().has(wrong));
    CHECK(tmp_is_clean(store));
  }
}

TEST_CASE("LayerIngest rejects a corrupt stream and a wrong blob digest") {
  storage::Store store(fresh_root());
  std::string tar = sample_tar();
  image::Digest diff_id = image::Digest::sha256_of(tar);
  std::string blob = storage_test::gzip(tar);
  SUBCASE("tampered compressed bytes") {
    std::string tampered = blob;
    tampered[blob.size() / 2] ^= 0x55;
    image::Descriptor desc = descriptor(image::media::oci_layer_gzip, tampered);
    CHECK_THROWS_AS(ingest(store, desc, tampered, diff_id), util::Error);
  }
  SUBCASE("truncated stream") {
    std::string cut = blob.substr(0, blob.size() - 100);
    image::Descriptor desc = descriptor(image::media::oci_layer_gzip, cut);
    CHECK_THROWS_AS(ingest(store, desc, cut, diff_id), util::Error);
  }
  SUBCASE("blob digest differs from the descriptor") {
    image::Descriptor desc = descriptor(image::media::oci_layer_gzip, blob);
    desc.digest = image::Digest::sha256_of("other");
    CHECK_THROWS_WITH_AS(ingest(store, desc, blob, diff_id), doctest::Contains("digest mismatch"),
                         util::Error);
  }
  CHECK_FALSE(store.layers().has(diff_id));
  CHECK(tmp_is_clean(store));
}

TEST_CASE("LayerIngest: parallel ingests of one layer all succeed") {
  storage::Store store(fresh_root());
  std::string tar = sample_tar();
  image::Digest diff_id = image::Digest::sha256_of(tar);
  std::string blob = storage_test::gzip(tar);
  image::Descriptor desc = descriptor(image::media::oci_layer_gzip, blob);
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < 3; ++i)
    threads.emplace_back([&] {
      try {
        ingest(store, desc, blob, diff_id);
        ++ok;
      } catch (const std::exception& e) {
        MESSAGE(e.what());
      }
    });
  for (auto& t : threads)
    t.join();
  CHECK(ok == 3);
  CHECK(store.layers().list().size() == 1);
  CHECK(tmp_is_clean(store));
}

TEST_CASE("LayerIngest restart discards earlier bytes; abandoning leaves nothing") {
  storage::Store store(fresh_root());
  std::string tar = sample_tar();
  image::Digest diff_id = image::Digest::sha256_of(tar);
  std::string blob = zstd(tar);
  image::Descriptor desc = descriptor(image::media::oci_layer_zstd, blob);
  {
    storage::LayerIngest abandoned(store, desc, diff_id);
    abandoned.write(blob.data(), blob.size() / 2);
  }
  CHECK(tmp_is_clean(store));
  storage::LayerIngest ingest(store, desc, diff_id);
  ingest.write(blob.data(), 5000);
  ingest.restart();
  ingest.write(blob.data(), blob.size());
  ingest.finish();
  CHECK(store.layers().has(diff_id));
}

TEST_CASE("LayerStore::ensure_from_blob unpacks a stored blob once") {
  storage::Store store(fresh_root());
  std::string tar = sample_tar();
  image::Digest diff_id = image::Digest::sha256_of(tar);
  image::Digest blob = store.blobs().put(storage_test::gzip(tar));
  CHECK_THROWS_WITH_AS(store.layers().ensure_from_blob(image::Digest::sha256_of("x"),
                                                       store.blobs().path(blob),
                                                       image::Compression::gzip),
                       doctest::Contains("diff-id mismatch"), util::Error);
  store.layers().ensure_from_blob(diff_id, store.blobs().path(blob), image::Compression::gzip);
  CHECK(util::read_file(store.layers().diff_dir(diff_id) / "etc/motd") == "hello\n");
  store.layers().ensure_from_blob(diff_id, store.blobs().path(blob), image::Compression::gzip);
  CHECK(tmp_is_clean(store));
}

TEST_CASE("Store removes temporaries of killed invocations but not live ones") {
  fs::path root = fresh_root();
  storage::Store store(root);
  util::write_file_atomic(root / "tmp/layer-dead", "partial");
  util::write_file_atomic(root / "tmp/layer-dead.lock", "");
  storage::TmpEntry live(root / "tmp", "live-");
  util::write_file_atomic(live.path(), "in use");
  storage::Store reopened(root);
  CHECK_FALSE(fs::exists(root / "tmp/layer-dead"));
  CHECK_FALSE(fs::exists(root / "tmp/layer-dead.lock"));
  CHECK(fs::exists(live.path()));
}

TEST_SUITE_END();
