// ImageIndex: the local image records (images.json), updated atomically under the store's
// metadata lock.
#pragma once

#include "image/digest.hpp"
#include "image/reference.hpp"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace storage {

// One local image as stored in images.json.
struct ImageRecord {
  image::Digest id;                 // config digest (Docker's image ID)
  image::Digest manifest_digest;    // the platform manifest stored in blobs/
  std::vector<std::string> names;   // normalized "registry/repo:tag" references
  std::vector<std::string> digests; // "registry/repo@sha256:.." the image was pulled by
  std::vector<image::Digest> layers; // diff-ids, bottom first (from the config)
  std::string created;              // from the config (RFC 3339)
  std::string pulled;               // when stored locally (RFC 3339)
  std::uint64_t size = 0;           // sum of unpacked layer sizes
};

// Mutating methods take the store's meta.lock themselves (read-modify-write is atomic across
// processes); readers need no lock because images.json is replaced by rename.
// The image records of one store.
class ImageIndex {
public:
  explicit ImageIndex(std::filesystem::path storage_root);

  // All records, newest first.
  std::vector<ImageRecord> list() const;
  // By exact normalized name (tag) or by digest reference.
  std::optional<ImageRecord> find(const image::ImageRef& ref) const;
  // Resolves what a user typed: a name (normalized with ImageRef::parse), a full or prefix image
  // id ("3f57d9401f8d", "sha256:3f57..."). Throws util::Error if a prefix is ambiguous.
  std::optional<ImageRecord> lookup(std::string_view user_text) const;

  // Inserts or merges a record (by id) and moves `ref`'s tag to it (removing the name from any
  // other record). Returns the stored record.
  ImageRecord add(const ImageRecord& record, const std::optional<image::ImageRef>& ref);
  // Adds a tag to an existing image.
  void tag(const image::Digest& id, const image::ImageRef& ref);
  // Removes one name; returns the record if it has no names left (caller decides removal).
  std::optional<ImageRecord> untag(const image::ImageRef& ref);
  // Removes a whole record.
  void remove(const image::Digest& id);

private:
  std::vector<ImageRecord> load() const;
  void save(const std::vector<ImageRecord>& records) const;
  std::filesystem::path m_root;
};

} // namespace storage
