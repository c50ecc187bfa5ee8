#include "cli/container_access.hpp"

#include "cli/port_list.hpp"

#include "runtime/control.hpp"
#include "util/fs.hpp"
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
  return {std::move(record), std::move(state), {}};
}

std::vector<net::PortMapping> published_ports(const storage::ContainerStore& containers,
                                              const ContainerView& view) {
  if (view.state.status != runtime::Status::running)
    return {};
  return parse_published_ports(
      util::read_file_if_exists(containers.dir(view.record.id) / "userdata" / "ports").value_or(""));
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
