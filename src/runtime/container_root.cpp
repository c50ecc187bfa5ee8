#include "runtime/container_root.hpp"

#include "image/config.hpp"
#include "storage/store.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"

#include <fcntl.h>

namespace runtime {

ContainerRoot ContainerRoot::locate(const storage::ContainerRecord& record,
                                    const ContainerState& state) {
  ContainerRoot root;
  if (state.status != Status::running || state.process.pid <= 0)
    return root;
  std::string proc_root = util::cat("/proc/", state.process.pid, "/root");
  util::UniqueFd fd(::open(proc_root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  // Opened first, checked second: if the start time still matches, the descriptor is the
  // container's root and not that of a process that reused the pid.
  if (!fd || !is_alive(state.process)) {
    if (fd || errno == ENOENT || errno == ESRCH)
      return root; // it stopped in between: open() mounts its rootfs instead
    util::throw_errno(util::cat("open the root of container ", record.name, " (", proc_root, ")"));
  }
  root.m_root = std::move(fd);
  root.m_live = true;
  return root;
}

void ContainerRoot::open(storage::Store& store, const RuntimeOptions& options,
                         const storage::ContainerRecord& record) {
  if (m_root)
    return;
  try {
    image::ImageConfig config = image::ImageConfig::from_json(store.blobs().read(record.image_id));
    for (const image::Digest& layer : config.diff_ids)
      m_leases.push_back(store.layers().lease(layer));
    // The driver the container was started with: its changes are in that driver's form.
    DriverChoice choice = choose_driver(store, options.driver);
    if (!record.driver.empty() && parse_driver(record.driver) != choice.driver)
      choice = choose_driver(store, parse_driver(record.driver));
    m_mount.emplace(MountedRootfs::mount(store, choice, config.diff_ids,
                                         store.containers().dir(record.id), Access::read_write));
    m_root = util::UniqueFd(::open(m_mount->path().c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!m_root)
      util::throw_errno(util::cat("open ", util::quote(m_mount->path().string())));
  } catch (...) {
    util::rethrow_with_context(util::cat("container ", record.name));
  }
}

} // namespace runtime
