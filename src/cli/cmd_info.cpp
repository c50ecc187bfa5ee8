// cove info: host, id mappings, storage and the rootfs driver chosen, and helpers found.
#include "cli/commands.hpp"
#include "cli/output.hpp"

#include "image/platform.hpp"
#include "storage/store.hpp"
#include "userns/reexec.hpp"
#include "util/fs.hpp"
#include "util/paths.hpp"
#include "util/strings.hpp"
#include "util/subprocess.hpp"

#include <sys/utsname.h>

#include <iostream>
#include <memory>

namespace cli {

namespace {

using Json = nlohmann::ordered_json;

struct InfoFlags {
  std::string format;
};

Json id_maps_json(const std::vector<userns::IdMap>& maps) {
  Json out = Json::array();
  for (const auto& map : maps)
    out.push_back(Json{{"container_id", map.container_id}, {"host_id", map.host_id}, {"size", map.size}});
  return out;
}

// PRETTY_NAME from /etc/os-release, unquoted.
std::string distribution() {
  std::optional<std::string> text = util::read_file_if_exists("/etc/os-release");
  if (!text)
    return "";
  for (const std::string& line : util::split(*text, '\n')) {
    if (line.rfind("PRETTY_NAME=", 0) != 0)
      continue;
    std::string value = line.substr(12);
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
      value = value.substr(1, value.size() - 2);
    return value;
  }
  return "";
}

Json host_json() {
  struct utsname uts{};
  ::uname(&uts);
  image::Platform platform = image::Platform::host();
  userns::IdMapping mapping = userns::current_mapping();
  Json helpers;
  for (const char* name : {"newuidmap", "newgidmap", "fuse-overlayfs", "slirp4netns", "pasta"})
    helpers[name] = util::find_program(name).value_or("");
  Json host;
  host["arch"] = platform.architecture;
  host["os"] = platform.os;
  host["kernel"] = uts.release;
  host["hostname"] = uts.nodename;
  host["distribution"] = distribution();
  host["rootless"] = util::paths::rootless();
  host["idMappings"] = Json{{"uidmap", id_maps_json(mapping.uids)}, {"gidmap", id_maps_json(mapping.gids)}};
  host["helpers"] = helpers;
  return host;
}

Json store_json(const Invocation& inv, const storage::Store& store) {
  runtime::DriverChoice choice = runtime::choose_driver(store, driver_override(inv.global));
  Json out;
  out["graphRoot"] = store.root().string();
  out["runRoot"] = runtime_root(inv.global).string();
  out["graphDriverName"] = std::string(runtime::to_string(choice.driver));
  out["graphDriverReason"] = choice.reason;
  out["graphOptions"] = Json{{"userxattr", choice.userxattr}};
  out["imageStore"] = Json{{"number", store.images().list().size()}};
  out["containerStore"] = Json{{"number", store.containers().list().size()}};
  return out;
}

int info(const Invocation& inv, const InfoFlags& flags) {
  auto store = open_store(inv);
  Json doc;
  doc["host"] = host_json();
  doc["store"] = store_json(inv, *store);
  doc["version"] = Json{{"Version", COVE_VERSION}};
  if (flags.format.empty())
    std::cout << render_yaml(doc);
  else
    std::cout << render_document(flags.format, doc);
  return 0;
}

} // namespace

CLI::App* add_info_command(CLI::App& parent, Invocation& inv) {
  auto flags = std::make_shared<InfoFlags>();
  CLI::App* cmd = parent.add_subcommand("info", "Show the host, storage and rootless set-up");
  cmd->add_option("-f,--format", flags->format, "json, or a Go template such as {{.store.graphDriverName}}");
  cmd->callback([flags, &inv] { inv.action = [flags, &inv] { return info(inv, *flags); }; });
  return cmd;
}

} // namespace cli
