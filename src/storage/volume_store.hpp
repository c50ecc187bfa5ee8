// VolumeStore: named volumes of the "local" driver under <root>/volumes/:
//   <name>/volume.json  the record below (written atomically)
//   <name>/_data/       the content, bound into containers
//   .lock               flock serializing create, remove and the containers' claims on volumes
// A volume is built in tmp/ and renamed into volumes/, and removed by renaming it back out first,
// so volumes/ never holds a half-made or half-removed volume. Which containers use a volume is
// not stored here: the container records say it (see runtime/volumes.hpp).
#pragma once

#include "util/file_lock.hpp"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace storage {

// One volume as stored in volumes/<name>/volume.json.
struct VolumeRecord {
  std::string name;
  std::string created; // RFC 3339
  std::map<std::string, std::string> labels;
  bool anonymous = false; // made for one container (-v /path, image VOLUME): its name is generated
  friend bool operator==(const VolumeRecord&, const VolumeRecord&) = default;
};

// Whether a volume is made for one container or named by the user.
enum class VolumeKind { named, anonymous };

// Throws util::Error unless `name` is a valid local volume name: [a-zA-Z0-9][a-zA-Z0-9_.-]+.
void validate_volume_name(std::string_view name);

class VolumeStore {
public:
  // `storage_root` is the store root; volumes/ is created below it if missing.
  explicit VolumeStore(std::filesystem::path storage_root);

  // The exclusive volumes/.lock. create() and remove() need it held; holding it across a
  // container's creation keeps a volume from being removed between "exists" and "recorded".
  util::FileLock lock() const;

  // Creates the volume (a generated 64-hex name when `name` is empty); an existing volume of that
  // name is returned as it is, as Docker does. Caller holds lock().
  VolumeRecord create(const util::FileLock& held, const std::string& name,
                      const std::map<std::string, std::string>& labels, VolumeKind kind);
  // By exact name.
  std::optional<VolumeRecord> lookup(std::string_view name) const;
  // All volumes, sorted by name.
  std::vector<VolumeRecord> list() const;
  // Moves the volume out of volumes/, then deletes it. Its files may belong to sub-ids: the
  // caller runs inside the user namespace. Caller holds lock(). Throws if it does not exist.
  void remove(const util::FileLock& held, const std::string& name) const;

  // volumes/<name>
  std::filesystem::path dir(const std::string& name) const;
  // volumes/<name>/_data: the mount point's content (Docker's Mountpoint).
  std::filesystem::path data_dir(const std::string& name) const;

private:
  std::filesystem::path m_root;
};

} // namespace storage
