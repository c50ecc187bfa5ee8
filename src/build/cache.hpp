// The build step cache: a step's key (parent chain + canonical instruction + resolved args + the
// content of the context files it reads) -> the layer it produced, under <root>/build-cache/.
#pragma once
#include "build/dockerfile.hpp"
#include "build/substitute.hpp"
#include "build/tar_writer.hpp"

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace storage {
class Store;
}

namespace build {

// The key of a step: chains `parent`, so changing one step changes every key after it.
std::string step_key(std::string_view parent, const Instruction& ins, const Vars& args, std::string_view inputs);

// Cached layers of one store.
class StepCache {
public:
  // With `use_hits` false (--no-cache) lookups miss, but results are still recorded.
  StepCache(const storage::Store& store, bool use_hits);
  // The layer recorded for `key`, when its blob and unpacked layer are both still stored.
  std::optional<TarResult> find(const std::string& key) const;
  // Records `key` -> `layer` (atomic replace, so concurrent builds are safe).
  void put(const std::string& key, const TarResult& layer) const;

private:
  const storage::Store& m_store;
  std::filesystem::path m_dir;
  bool m_use_hits;
};

} // namespace build
