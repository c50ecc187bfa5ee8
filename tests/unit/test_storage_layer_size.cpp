#include "image/digest.hpp"
#include "storage/layer_store.hpp"
#include "util/fs.hpp"
#include "util/temp_dir.hpp"

#include <doctest/doctest.h>

#include <filesystem>

TEST_CASE("LayerStore::disk_size: measured once (hardlinks once), then kept beside the layer") {
  util::TempDir dir(std::filesystem::temp_directory_path(), "cove-test-layersize");
  storage::LayerStore layers(dir.path());
  image::Digest id = image::Digest::sha256_of("layer");
  std::filesystem::path diff = layers.diff_dir(id);
  util::make_dirs(diff / "sub");
  util::write_file_atomic(diff / "a", "0123456789");
  util::write_file_atomic(diff / "sub" / "b", "abc");
  std::filesystem::create_hard_link(diff / "a", diff / "a2");
  CHECK(layers.disk_size(id) == 13);
  // A stored layer never changes; the kept size answers from now on.
  util::write_file_atomic(diff / "c", "more");
  CHECK(layers.disk_size(id) == 13);
  CHECK(util::read_file(diff.parent_path() / "size") == "13");
}
