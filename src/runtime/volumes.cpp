#include "runtime/volumes.hpp"

#include "runtime/volume_content.hpp"
#include "util/error.hpp"
#include "util/log.hpp"
#include "util/strings.hpp"

#include <algorithm>
#include <set>

namespace runtime {

namespace {

// Volume names a container record mounts (read from the JSON directly: a record still being
// created has no spec yet).
std::vector<std::string> volumes_of(const storage::ContainerRecord& record) {
  std::vector<std::string> names;
  if (!record.spec.is_object() || !record.spec.contains("mounts"))
    return names;
  for (const auto& mount : record.spec["mounts"]) {
    if (mount.value("type", std::string()) == "volume")
      names.push_back(mount.value("source", std::string()));
  }
  return names;
}

std::set<std::string> used_volumes(const storage::ContainerStore& containers) {
  std::set<std::string> used;
  for (const storage::ContainerRecord& record : containers.list())
    for (std::string& name : volumes_of(record))
      used.insert(std::move(name));
  return used;
}

storage::VolumeKind kind_of(const Mount& mount) {
  return mount.anonymous ? storage::VolumeKind::anonymous : storage::VolumeKind::named;
}

} // namespace

std::vector<std::string> volume_users(const storage::ContainerStore& containers,
                                      const std::string& name) {
  std::vector<std::string> users;
  for (const storage::ContainerRecord& record : containers.list()) {
    std::vector<std::string> names = volumes_of(record);
    if (std::find(names.begin(), names.end(), name) != names.end())
      users.push_back(record.name);
  }
  return users;
}

void attach_volumes(storage::VolumeStore& volumes, const util::FileLock& held,
                    ContainerSpec& spec) {
  for (Mount& mount : spec.mounts) {
    if (mount.type != MountType::volume)
      continue;
    storage::VolumeRecord volume = volumes.create(held, mount.source, {}, kind_of(mount));
    LOG_DEBUG("volume ", volume.name, " on ", mount.destination);
    mount.source = volume.name;
    mount.host_path = volumes.data_dir(volume.name).string();
  }
}

void prepare_mount_sources(storage::VolumeStore& volumes, const ContainerSpec& spec,
                           const std::filesystem::path& rootfs, uid_t uid, gid_t gid) {
  for (const Mount& mount : spec.mounts) {
    if (mount.type == MountType::tmpfs)
      continue;
    if (mount.type == MountType::volume) {
      util::FileLock lock = volumes.lock();
      if (!volumes.lookup(mount.source))
        volumes.create(lock, mount.source, {}, kind_of(mount));
      // Under the lock: two containers starting on one new volume copy into it once.
      if (!mount.no_copy && dir_is_empty(mount.host_path))
        copy_into_volume(rootfs, mount.destination, mount.host_path);
    }
    if (mount.chown)
      chown_tree(mount.type == MountType::volume ? mount.host_path : mount.source, uid, gid);
  }
}

void remove_anonymous_volumes(storage::VolumeStore& volumes,
                              const storage::ContainerStore& containers,
                              const storage::ContainerRecord& record) noexcept {
  try {
    std::vector<std::string> anonymous;
    for (const auto& mount : record.spec.value("mounts", nlohmann::json::array()))
      if (mount.value("type", std::string()) == "volume" && mount.value("anonymous", false))
        anonymous.push_back(mount.value("source", std::string()));
    if (anonymous.empty())
      return;
    util::FileLock lock = volumes.lock();
    std::set<std::string> used = used_volumes(containers);
    for (const std::string& name : anonymous) {
      if (used.count(name) == 0 && volumes.lookup(name))
        volumes.remove(lock, name);
    }
  } catch (const std::exception& e) {
    util::log::warning("remove the anonymous volumes of ", record.name, ": ", e.what());
  }
}

void remove_volume(storage::VolumeStore& volumes, const storage::ContainerStore& containers,
                   const std::string& name, InUse in_use) {
  util::FileLock lock = volumes.lock();
  if (!volumes.lookup(name))
    throw util::Error(util::cat("no such volume: ", util::quote(name)));
  std::vector<std::string> users = volume_users(containers, name);
  if (!users.empty() && in_use == InUse::refuse)
    throw util::Error(util::cat("volume ", name, " is in use by container(s) ",
                                util::join(users, ", "), " (remove them first, or use -f)"));
  volumes.remove(lock, name);
}

std::vector<std::string> unused_volumes(const storage::VolumeStore& volumes,
                                        const storage::ContainerStore& containers,
                                        const VolumeSelector& selected) {
  std::set<std::string> used = used_volumes(containers);
  std::vector<std::string> names;
  for (const storage::VolumeRecord& volume : volumes.list())
    if (used.count(volume.name) == 0 && selected(volume))
      names.push_back(volume.name);
  return names;
}

std::vector<std::string> prune_volumes(storage::VolumeStore& volumes,
                                       const storage::ContainerStore& containers,
                                       const VolumeSelector& selected) {
  util::FileLock lock = volumes.lock();
  std::set<std::string> used = used_volumes(containers);
  std::vector<std::string> removed;
  for (const storage::VolumeRecord& volume : volumes.list()) {
    if (used.count(volume.name) != 0 || !selected(volume))
      continue;
    volumes.remove(lock, volume.name);
    removed.push_back(volume.name);
  }
  return removed;
}

} // namespace runtime
