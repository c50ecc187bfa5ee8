// ContainerStore: one directory per container under <root>/containers/<id>/:
//   container.json  the record below (written atomically)
//   upper/ work/    overlay upper and work dirs (or rootfs/ for the copy driver)
//   merged/         mount point
//   userdata/       generated /etc/hosts, /etc/hostname, /etc/resolv.conf
// Names are unique through <root>/names/<name> symlinks to the id, created atomically (EEXIST =
// taken) under the short names/.lock flock that also covers publishing the directory; a link
// whose container directory is gone (a crash, a removal) is reclaimed. See publish().
#pragma once

#include "image/digest.hpp"
#include "util/file_lock.hpp"
#include "util/fs.hpp"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace storage {

class TmpEntry;

// One container as stored in containers/<id>/container.json.
struct ContainerRecord {
  std::string id;      // 64 hex
  std::string name;
  std::string image;   // as the user named it, normalized
  image::Digest image_id;
  std::string created; // RFC 3339
  std::string driver;  // rootfs driver used: overlay, fuse-overlayfs, copy
  nlohmann::json spec;  // the runtime's serialized ContainerSpec (owned by the runtime module)
  nlohmann::json state; // the runtime's state (status, pid, exit code, times...)
  bool auto_remove = false; // --rm: removed when it exits, so its record need not survive a crash
  std::string restart_policy; // --restart as runtime::RestartPolicy::str() ("" = no)
  bool init = false;          // --init: cove-init runs as PID 1 in front of the command
};

// Mutations are safe across processes without a store-wide lock: each record is its own file
// written by rename, and name uniqueness comes from the names/ symlinks (see publish()).
class ContainerStore {
public:
  // `storage_root` is the store root (containers/, names/ and tmp/ live below it).
  explicit ContainerStore(std::filesystem::path storage_root);

  // Creates the directory tree and the record with a fresh id. If `name` is empty one is
  // generated (Docker-style adjective_noun). Throws util::Error("the container name \"x\" is
  // already in use by <id>...") on a clash.
  ContainerRecord create(const std::string& name, const std::string& image,
                         const image::Digest& image_id, nlohmann::json spec,
                         bool auto_remove = false);
  // The same with every field given at once (one write of container.json): an empty id gets a
  // fresh one, an empty `created` the current time, an empty name a generated one.
  ContainerRecord create(ContainerRecord draft);
  // The same with the record's durability chosen by the caller: process_safe (no fsync) when
  // the caller starts the container at once and syncs the record then (`run`). A crash before
  // that sync can leave an empty container.json, which readers take for an incomplete create.
  ContainerRecord create(ContainerRecord draft, util::Durability durability);
  // A fresh container id (64 hex), for callers that need it before create().
  static std::string new_id();
  // Rewrites container.json atomically (fsynced unless the container is auto-removed). The name
  // on disk is kept: only rename() changes it, so a writer holding an older copy of the record
  // (a container's monitor) cannot undo a rename.
  void save(const ContainerRecord& record) const;
  // The same with the durability chosen by the caller: process_safe (no fsync) for a write
  // that sync() makes durable a moment later, off a latency-critical path.
  void save(const ContainerRecord& record, util::Durability durability) const;
  // fsyncs container.json, the container's directory and containers/ (which it was renamed into).
  void sync(const ContainerRecord& record) const;
  // Sets spec["network"] (the runtime's network mode text) on disk, under the names lock; save()
  // keeps the value on disk from then on, so a monitor's older copy cannot undo a `network
  // connect` or `disconnect`.
  void set_network(ContainerRecord& record, const std::string& network) const;
  // Gives the container `new_name` (validated; taken names refused as in create), under the
  // same names/.lock as creation and removal; record.name is updated.
  void rename(ContainerRecord& record, const std::string& new_name) const;
  // By full id, unique id prefix, or name. Incomplete containers (see incomplete()) are not found.
  std::optional<ContainerRecord> lookup(std::string_view id_or_name) const;
  // Every container with a readable record; incomplete ones are left out.
  std::vector<ContainerRecord> list() const;
  // Ids of incomplete containers: directories whose container.json is missing, empty or not
  // JSON. Records are replaced by rename, so no reader ever sees one half-written: this is what
  // a crash leaves of a create whose record was not synced yet. Nothing uses them; `rm` and
  // `container prune` remove them.
  std::vector<std::string> incomplete() const;
  // The incomplete container with full id or unique id prefix `id`, if there is one.
  std::optional<std::string> find_incomplete(std::string_view id) const;
  // Removes the directory and the name link.
  void remove(const ContainerRecord& record) const;
  // Removes an incomplete container's directory (its name link, if any, is then stale and is
  // reclaimed by the next creator of that name).
  void remove_incomplete(const std::string& id) const;
  // containers/<id>
  std::filesystem::path dir(const std::string& id) const;
  // True if some container uses the image.
  bool image_in_use(const image::Digest& image_id) const;
  // Ids of the containers created from the image.
  std::vector<std::string> users_of(const image::Digest& image_id) const;

private:
  util::FileLock lock_names() const;
  void publish(ContainerRecord& record, TmpEntry& tmp, util::Durability how) const;
  void claim_name(const std::string& name, const std::string& id) const;
  bool release_stale_name(const std::string& name) const;
  // The record; nullopt when missing or incomplete.
  std::optional<ContainerRecord> load(const std::string& id) const;
  std::vector<std::string> ids() const;
  std::filesystem::path m_root;
};

} // namespace storage
