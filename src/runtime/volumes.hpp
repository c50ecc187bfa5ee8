// Volumes as containers use them. Which containers use a volume is read from their records (the
// spec's mounts), never stored twice; volumes/.lock serializes a container's creation (volumes
// made, record saved) against volume removal, so "unused" cannot turn stale in between.
#pragma once

#include "runtime/spec.hpp"
#include "storage/container_store.hpp"
#include "storage/volume_store.hpp"

#include <sys/types.h>

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace runtime {

// Names of the containers whose records mount the volume `name`.
std::vector<std::string> volume_users(const storage::ContainerStore& containers,
                                      const std::string& name);

// Creates the volumes `spec` mounts that do not exist yet (anonymous ones get a generated name)
// and sets their host paths. The caller holds volumes.lock() until the record is saved.
void attach_volumes(storage::VolumeStore& volumes, const util::FileLock& held,
                    ContainerSpec& spec);

// Before each start, in cove's user namespace: recreates a volume removed meanwhile (volume
// rm -f), fills an empty volume from the image's content at its destination (unless nocopy), and
// chowns :U sources to uid:gid.
void prepare_mount_sources(storage::VolumeStore& volumes, const ContainerSpec& spec,
                           const std::filesystem::path& rootfs, uid_t uid, gid_t gid);

// Removes the anonymous volumes of the removed container `record` that no other container
// mounts (rm -v, run --rm). Runs in the user namespace; logs failures, never throws.
void remove_anonymous_volumes(storage::VolumeStore& volumes,
                              const storage::ContainerStore& containers,
                              const storage::ContainerRecord& record) noexcept;

// Whether volume rm removes a volume that containers still use.
enum class InUse { refuse, remove };

// Removes the volume; refuses (util::Error naming the containers) while one uses it unless
// `in_use` says remove. Runs in the user namespace.
void remove_volume(storage::VolumeStore& volumes, const storage::ContainerStore& containers,
                   const std::string& name, InUse in_use);

// Which volumes a prune considers (`volume prune --filter`).
using VolumeSelector = std::function<bool(const storage::VolumeRecord&)>;

// The volumes no container uses that `selected` accepts, by name: what prune would remove now.
std::vector<std::string> unused_volumes(const storage::VolumeStore& volumes,
                                        const storage::ContainerStore& containers,
                                        const VolumeSelector& selected);

// Removes every volume no container uses that `selected` accepts; returns their names. Runs in
// the user namespace.
std::vector<std::string> prune_volumes(storage::VolumeStore& volumes,
                                       const storage::ContainerStore& containers,
                                       const VolumeSelector& selected);

} // namespace runtime
