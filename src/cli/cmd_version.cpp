// cove version: Docker's Client section (no API or Go fields: cove has neither), or a template.
#include "cli/commands.hpp"
#include "cli/output.hpp"

#include "image/platform.hpp"

#include <iostream>
#include <memory>

namespace cli {

namespace {

struct VersionFlags {
  std::string format;
};

nlohmann::ordered_json version_json() {
  image::Platform host = image::Platform::host();
  nlohmann::ordered_json client;
  client["Version"] = COVE_VERSION;
  client["Os"] = host.os;
  client["Arch"] = host.architecture;
  client["OsArch"] = host.os + "/" + host.architecture;
  client["Compiler"] = __VERSION__;
  return nlohmann::ordered_json{{"Client", client}};
}

int version(const VersionFlags& flags) {
  nlohmann::ordered_json doc = version_json();
  if (!flags.format.empty()) {
    std::cout << render_document(flags.format, doc);
    return 0;
  }
  const auto& client = doc["Client"];
  std::cout << "Client:\n"
            << " Version:    " << client["Version"].get<std::string>() << '\n'
            << " OS/Arch:    " << client["OsArch"].get<std::string>() << '\n'
            << " Compiler:   " << client["Compiler"].get<std::string>() << '\n';
  return 0;
}

} // namespace

CLI::App* add_version_command(CLI::App& parent, Invocation& inv) {
  auto flags = std::make_shared<VersionFlags>();
  CLI::App* cmd = parent.add_subcommand("version", "Show the cove version");
  cmd->add_option("-f,--format", flags->format, "json, or a Go template such as {{.Client.Version}}");
  cmd->callback([flags, &inv] { inv.action = [flags] { return version(*flags); }; });
  return cmd;
}

} // namespace cli
