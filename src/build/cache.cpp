#include "build/cache.hpp"

#include "storage/store.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/sha256.hpp"
#include "util/strings.hpp"

namespace build {

std::string step_key(std::string_view parent, const Instruction& ins, const Vars& args, std::string_view inputs) {
  util::Sha256 hash;
  hash.update(util::cat("parent ", parent, "\n", ins.original, "\n"));
  for (const auto& [k, v] : args)
    hash.update(util::cat("arg ", k.size(), ":", k, "=", v.size(), ":", v, "\n"));
  hash.update(util::cat("inputs ", inputs, "\n"));
  return hash.finish_hex();
}

StepCache::StepCache(const storage::Store& store, bool use_hits)
    : m_store(store), m_dir(store.root() / "build-cache"), m_use_hits(use_hits) {}

std::optional<TarResult> StepCache::find(const std::string& key) const {
  if (!m_use_hits)
    return std::nullopt;
  auto text = util::read_file_if_exists(m_dir / key);
  if (!text)
    return std::nullopt;
  auto words = util::split(util::trim(*text), ' ');
  if (words.size() != 2)
    return std::nullopt; // a damaged entry is a miss; the rebuild rewrites it
  try {
    TarResult layer{image::Digest::parse(words[0]),
                    static_cast<std::int64_t>(util::parse_unsigned(words[1], "cached layer size"))};
    if (!m_store.blobs().has(layer.digest) || !m_store.layers().has(layer.digest))
      return std::nullopt;
    return layer;
  } catch (const util::Error&) {
    return std::nullopt;
  }
}

void StepCache::put(const std::string& key, const TarResult& layer) const {
  util::make_dirs(m_dir, 0700);
  util::write_file_atomic(m_dir / key, util::cat(layer.digest.str(), " ", layer.size, "\n"), 0600);
}

} // namespace build
