// cove pull: fetch an image into the store and print its id, as podman does.
#include "cli/commands.hpp"

#include "image/platform.hpp"
#include "image/reference.hpp"
#include "registry/pull.hpp"
#include "storage/store.hpp"

#include <iostream>
#include <memory>

namespace cli {

namespace {

struct PullFlags {
  std::string ref;
  std::string platform;
  std::optional<bool> tls_verify;
  bool quiet = false;
};

int pull(const Invocation& inv, const PullFlags& flags) {
  // Validate what the user typed in the outer process, before entering the user namespace.
  image::ImageRef ref = image::ImageRef::parse(flags.ref);
  registry::PullOptions options;
  if (!flags.platform.empty())
    options.platform = image::Platform::parse(flags.platform);
  options.tls_verify = flags.tls_verify;
  options.quiet = flags.quiet;
  auto store = open_store(inv);
  storage::ImageRecord record = registry::pull(*store, ref, options);
  std::cout << record.id.hex() << std::endl;
  return 0;
}

} // namespace

void add_tls_verify_flag(CLI::App& cmd, std::optional<bool>& into) {
  cmd.add_flag_function(
      "--tls-verify", [&into](std::int64_t count) { into = count > 0; },
      "Require HTTPS and verify certificates (--tls-verify=false to disable)");
}

CLI::App* add_pull_command(CLI::App& parent, Invocation& inv) {
  auto flags = std::make_shared<PullFlags>();
  CLI::App* cmd = parent.add_subcommand("pull", "Pull an image from a registry");
  cmd->add_option("--platform", flags->platform, "Platform to pull: os/arch[/variant]");
  add_tls_verify_flag(*cmd, flags->tls_verify);
  cmd->add_flag("-q,--quiet", flags->quiet, "Do not print progress");
  cmd->add_option("REF", flags->ref, "Image reference")->required();
  cmd->callback([flags, &inv] { inv.action = [flags, &inv] { return pull(inv, *flags); }; });
  return cmd;
}

} // namespace cli
