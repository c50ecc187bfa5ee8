#include "runtime/container_init.hpp"

#include "util/error.hpp"
#include "util/strings.hpp"

#include <sys/mount.h>
#include <unistd.h>

#include <system_error>

namespace runtime {

std::filesystem::path find_init_binary() {
  std::error_code error;
  std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", error);
  if (error)
    throw util::Error(util::cat("--init: find the cove binary (/proc/self/exe): ", error.message()));
  std::filesystem::path init = self.parent_path() / "cove-init";
  if (::access(init.c_str(), X_OK) < 0)
    util::throw_errno(util::cat("--init: ", util::quote(init.string()),
                                " (cove-init is installed next to the cove binary)"));
  return init;
}

void add_init(ChildPlan& plan, const std::filesystem::path& binary) {
  MountOp bind;
  bind.kind = MountKind::bind;
  bind.source = binary.string();
  bind.target = init_path_in_container;
  bind.flags = MS_BIND;
  bind.create = MountPoint::file;
  plan.mounts.ops.push_back(std::move(bind));
  MountOp read_only;
  read_only.kind = MountKind::read_only;
  read_only.target = init_path_in_container;
  plan.mounts.ops.push_back(std::move(read_only));
  std::vector<std::string> args{init_path_in_container, "--"};
  args.insert(args.end(), plan.args.begin(), plan.args.end());
  plan.args = std::move(args);
}

} // namespace runtime
