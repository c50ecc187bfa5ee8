#include "storage/layer_store.hpp"

#include "storage/layer_pipeline.hpp"
#include "storage/tmp_entry.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/log.hpp"
#include "util/strings.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <set>
#include <utility>

namespace storage {

namespace {
constexpr size_t short_id_length = 20;

bool is_hex64(std::string_view name) {
  return name.size() == 64 &&
         name.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}
} // namespace

LayerStore::LayerStore(std::filesystem::path storage_root) : m_root(std::move(storage_root)) {}

std::filesystem::path LayerStore::layer_dir(const image::Digest& diff_id) const {
  return m_root / "layers" / diff_id.hex();
}

std::filesystem::path LayerStore::diff_dir(const image::Digest& diff_id) const {
  return layer_dir(diff_id) / "diff";
}

std::string LayerStore::short_id(const image::Digest& diff_id) const {
  return diff_id.hex().substr(0, short_id_length);
}

std::string LayerStore::short_path(const image::Digest& diff_id) const {
  return "l/" + short_id(diff_id);
}

bool LayerStore::has(const image::Digest& diff_id) const {
  struct stat st{};
  return ::stat(diff_dir(diff_id).c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

LayerLease LayerStore::lease_unchecked(const image::Digest& diff_id) const {
  return LayerLease(m_root / "layers" / (diff_id.hex() + ".lock"), util::LockMode::shared);
}

LayerLease LayerStore::lease(const image::Digest& diff_id) const {
  LayerLease lease = lease_unchecked(diff_id);
  if (!has(diff_id))
    throw util::Error(util::cat("layer ", diff_id.str(), ": not in the store"));
  return lease;
}

void LayerStore::create_short_link(const image::Digest& diff_id) const {
  std::filesystem::path link = m_root / short_path(diff_id);
  std::string target = "../layers/" + diff_id.hex() + "/diff";
  if (::symlink(target.c_str(), link.c_str()) < 0 && errno != EEXIST)
    util::throw_errno(util::cat("create symlink ", util::quote(link.string())));
}

LayerLease LayerStore::ensure_from_blob(const image::Digest& diff_id,
                                        const std::filesystem::path& blob,
                                        image::Compression compression) const {
  {
    LayerLease lease = lease_unchecked(diff_id);
    if (has(diff_id))
      return lease;
  }
  try {
    LOG_DEBUG("unpack layer ", diff_id.str(), " from ", util::quote(blob.string()));
    TmpEntry tmp = make_layer_tmp(m_root / "tmp");
    FileSource source(blob);
    PipelineResult result = unpack_layer_stream(source, compression, tmp.path() / "diff");
    if (result.diff_id != diff_id)
      throw util::Error(util::cat("diff-id mismatch: content is ", result.diff_id.str()));
    return install_layer(*this, tmp, diff_id);
  } catch (...) {
    util::rethrow_with_context(util::cat("layer ", diff_id.str()));
  }
}

bool LayerStore::remove_if_unused(const image::Digest& diff_id) const {
  auto lock = util::FileLock::try_lock(m_root / "layers" / (diff_id.hex() + ".lock"),
                                       util::LockMode::exclusive);
  if (!lock) {
    LOG_DEBUG("layer ", diff_id.str(), " is in use; kept");
    return false;
  }
  // Renamed out of layers/ first so a half-deleted tree is never mistaken for a layer.
  TmpEntry doomed(m_root / "tmp", "removed-");
  if (::rename(layer_dir(diff_id).c_str(), doomed.path().c_str()) < 0) {
    if (errno == ENOENT)
      return false;
    util::throw_errno(util::cat("remove layer ", diff_id.str()));
  }
  std::filesystem::path link = m_root / short_path(diff_id);
  if (::unlink(link.c_str()) < 0 && errno != ENOENT)
    util::throw_errno(util::cat("remove ", util::quote(link.string())));
  return true; // `doomed` deletes the tree
}

std::vector<image::Digest> LayerStore::list() const {
  std::vector<image::Digest> out;
  std::error_code ec;
  for (const auto& item : std::filesystem::directory_iterator(m_root / "layers", ec)) {
    std::string name = item.path().filename().string();
    if (is_hex64(name) && item.is_directory(ec))
      out.push_back(image::Digest::from_hex(name));
  }
  if (ec)
    throw util::SystemError(ec.value(), util::cat("list ", util::quote((m_root / "layers").string())));
  return out;
}

std::uint64_t LayerStore::disk_size(const image::Digest& diff_id) const {
  // A stored layer never changes: it is measured once (a walk of every file, tens of
  // milliseconds for a distribution's base layer) and the result kept beside it.
  const std::filesystem::path cached = layer_dir(diff_id) / "size";
  if (std::optional<std::string> text = util::read_file_if_exists(cached)) {
    std::uint64_t size = 0;
    auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), size);
    if (ec == std::errc() && end == text->data() + text->size())
      return size;
  }
  std::uint64_t total = measure(diff_id);
  try {
    util::write_file_atomic(cached, std::to_string(total), 0644, util::Durability::process_safe);
  } catch (const std::exception& e) {
    LOG_DEBUG("keep the size of layer ", diff_id.str(), ": ", e.what()); // only a cache
  }
  return total;
}

std::uint64_t LayerStore::measure(const image::Digest& diff_id) const {
  std::uint64_t total = 0;
  std::set<std::pair<dev_t, ino_t>> seen; // hardlinked files count once
  std::error_code ec;
  std::filesystem::path root = diff_dir(diff_id);
  for (auto it = std::filesystem::recursive_directory_iterator(root, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    struct stat st{};
    if (::lstat(it->path().c_str(), &st) < 0 || S_ISDIR(st.st_mode))
      continue;
    if (st.st_nlink > 1 && !seen.emplace(st.st_dev, st.st_ino).second)
      continue;
    total += static_cast<std::uint64_t>(st.st_size);
  }
  if (ec)
    throw util::SystemError(ec.value(), util::cat("measure layer ", diff_id.str()));
  return total;
}

} // namespace storage
