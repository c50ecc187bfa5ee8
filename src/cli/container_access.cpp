#include "cli/container_access.hpp"

#include "runtime/control.hpp"
#include "util/error.hpp"
#include "util/log.hpp"
#include "util/strings.hpp"

namespace cli {

storage::ContainerStore host_containers(const Invocation& inv) {
  return storage::ContainerStore(storage_root(inv.global));
}

storage::ContainerRecord find_container(const storage::ContainerStore& containers,
                                        const std::string& name) {
  std::optional<storage::ContainerRecord> record = containers.lookup(name);
  if (!record)
    throw util::Error(util::cat("no such container: ", util::quote(name)));
  return std::move(*record);
}

ContainerView view_of(const storage::ContainerStore& containers, storage::ContainerRecord record) {
  runtime::ContainerState state = runtime::refresh_state(containers, record);
  return {std::move(record), std::move(state)};
}

void for_each_name(const std::vector<std::string>& names,
                   const std::function<void(const std::string&)>& action) {
  std::optional<std::string> last_error;
  for (const std::string& name : names) {
    try {
      action(name);
    } catch (const std::exception& e) {
      if (last_error)
        util::log::error(*last_error);
      last_error = e.what();
    }
  }
  if (last_error)
    throw util::Error(*last_error);
}

} // namespace cli
