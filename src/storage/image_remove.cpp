#include "storage/image_remove.hpp"

#include "image/manifest.hpp"
#include "image/reference.hpp"
#include "storage/store.hpp"
#include "util/error.hpp"
#include "util/log.hpp"
#include "util/strings.hpp"

#include <algorithm>
#include <optional>
#include <variant>

namespace storage {

namespace {

// Layer blob digests by position, from the stored manifest (empty if it cannot be read: the
// layers are still removed, only their compressed blobs would stay behind).
std::vector<image::Digest> layer_blobs(const Store& store, const ImageRecord& record) {
  try {
    auto parsed = image::parse_manifest(store.blobs().read(record.manifest_digest), "");
    std::vector<image::Digest> out;
    if (const auto* manifest = std::get_if<image::Manifest>(&parsed)) {
      for (const image::Descriptor& d : manifest->layers)
        out.push_back(d.digest);
    }
    return out;
  } catch (const std::exception& e) {
    util::log::warning("remove image ", record.id.short_hex(), ": ", e.what());
    return {};
  }
}

// Deletes the record, then whatever content no remaining image shares.
void delete_image(Store& store, const ImageRecord& record) {
  std::vector<image::Digest> blobs = layer_blobs(store, record);
  store.images().remove(record.id);
  std::vector<ImageRecord> others = store.images().list();
  auto used = [&](auto pred) { return std::any_of(others.begin(), others.end(), pred); };

  if (!used([&](const ImageRecord& r) { return r.manifest_digest == record.manifest_digest; }))
    store.blobs().remove(record.manifest_digest);
  store.blobs().remove(record.id); // the config: ids are unique per record
  for (size_t i = 0; i < record.layers.size(); ++i) {
    const image::Digest& diff_id = record.layers[i];
    auto shares = [&](const ImageRecord& r) {
      return std::find(r.layers.begin(), r.layers.end(), diff_id) != r.layers.end();
    };
    if (used(shares))
      continue;
    bool gone = !store.layers().has(diff_id) || store.layers().remove_if_unused(diff_id);
    // A leased layer is about to be recorded by a pull, which needs its blob as well.
    if (gone && i < blobs.size())
      store.blobs().remove(blobs[i]);
  }
}

[[noreturn]] void refuse_in_use(const ImageRecord& record, const std::vector<std::string>& users) {
  throw util::Error(util::cat("image used by container ", users.front().substr(0, 12),
                              ": image ", record.id.short_hex(),
                              " is in use by a container: use -f to remove its names anyway"));
}

// The image loses every name but stays (as <none>) because containers still need its layers.
void untag_all(Store& store, const ImageRecord& record, RemoveResult& result) {
  for (const std::string& name : record.names) {
    store.images().untag(image::ImageRef::parse(name));
    result.untagged.push_back(name);
  }
}

RemoveResult remove_by_name(Store& store, const image::ImageRef& ref, const ImageRecord& record,
                            bool force) {
  RemoveResult result;
  std::vector<std::string> users = store.containers().users_of(record.id);
  bool last_name = record.names.size() <= 1;
  if (last_name && !users.empty()) {
    if (!force)
      refuse_in_use(record, users);
    untag_all(store, record, result);
    return result;
  }
  std::optional<ImageRecord> orphan = store.images().untag(ref);
  result.untagged.push_back(ref.str());
  if (last_name && orphan) {
    delete_image(store, record);
    result.deleted.push_back(record.id.str());
  }
  return result;
}

RemoveResult remove_by_id(Store& store, const ImageRecord& record, bool force) {
  RemoveResult result;
  if (record.names.size() > 1 && !force)
    throw util::Error(util::cat("unable to delete image ", util::quote(record.id.short_hex()),
                                " by ID with more than one tag ([", util::join(record.names, " "),
                                "]): please force removal"));
  std::vector<std::string> users = store.containers().users_of(record.id);
  if (!users.empty()) {
    if (!force)
      refuse_in_use(record, users);
    untag_all(store, record, result);
    return result;
  }
  result.untagged = record.names;
  delete_image(store, record);
  result.deleted.push_back(record.id.str());
  return result;
}

} // namespace

RemoveResult remove_image(Store& store, std::string_view user_text, bool force) {
  try {
    if (user_text.substr(0, 7) != "sha256:") {
      std::optional<image::ImageRef> ref;
      try {
        ref = image::ImageRef::parse(user_text);
      } catch (const util::Error&) {
        // not a name; lookup() below decides whether it is an id
      }
      // A digest reference names the content itself: it deletes, like an id.
      if (ref && !ref->digest()) {
        if (auto record = store.images().find(*ref))
          return remove_by_name(store, *ref, *record, force);
      }
    }
    std::optional<ImageRecord> record = store.images().lookup(user_text);
    if (!record)
      throw util::Error("image not known");
    return remove_by_id(store, *record, force);
  } catch (...) {
    util::rethrow_with_context(user_text);
  }
}

} // namespace storage
