// cove rmi (image rm): untag and delete images, printing Docker's "Untagged:"/"Deleted:" lines.
#include "cli/commands.hpp"

#include "storage/image_remove.hpp"
#include "storage/store.hpp"
#include "util/error.hpp"
#include "util/log.hpp"

#include <algorithm>
#include <iostream>
#include <memory>

namespace cli {

namespace {

struct RmiFlags {
  bool force = false;
  bool all = false;
  std::vector<std::string> refs;
};

// podman's documented rmi exit codes: 1 an image was not found, 2 an image is in use, 125 any
// other failure; the worst one wins.
constexpr int exit_not_found = 1;
constexpr int exit_in_use = 2;
constexpr int exit_failure = 125;

int severity(int code) {
  return code == exit_failure ? 3 : code == exit_in_use ? 2 : code == exit_not_found ? 1 : 0;
}

// Removes one image and prints what happened; returns the exit code for it.
int remove_one(storage::Store& store, const std::string& text, bool force) {
  std::optional<storage::ImageRecord> record;
  try {
    record = store.images().lookup(text);
    if (!record) {
      util::log::error(text, ": image not known");
      return exit_not_found;
    }
    storage::RemoveResult result = storage::remove_image(store, text, force);
    for (const auto& name : result.untagged)
      std::cout << "Untagged: " << name << '\n';
    for (const auto& id : result.deleted)
      std::cout << "Deleted: " << id << '\n';
    std::cout.flush();
    return 0;
  } catch (const std::exception& e) {
    util::log::error(e.what());
    if (record && !force && store.containers().image_in_use(record->id))
      return exit_in_use;
    return exit_failure;
  }
}

int rmi(const Invocation& inv, const RmiFlags& flags) {
  if (flags.refs.empty() && !flags.all)
    throw util::Error("rmi: at least one image name or id is required (or --all)");
  auto store = open_store(inv);
  std::vector<std::string> targets = flags.refs;
  if (flags.all) {
    for (const auto& record : store->images().list()) {
      if (std::find(targets.begin(), targets.end(), record.id.str()) == targets.end())
        targets.push_back(record.id.str());
    }
  }
  int code = 0;
  for (const std::string& text : targets) {
    int one = remove_one(*store, text, flags.force);
    if (severity(one) > severity(code))
      code = one;
  }
  return code;
}

} // namespace

CLI::App* add_rmi_command(CLI::App& parent, Invocation& inv, const std::string& name) {
  auto flags = std::make_shared<RmiFlags>();
  CLI::App* cmd = parent.add_subcommand(name, "Remove one or more images");
  cmd->add_flag("-f,--force", flags->force,
                "Remove images used by containers (untag only) and ids with several names");
  cmd->add_flag("-a,--all", flags->all, "Remove all images");
  cmd->add_option("IMAGE", flags->refs, "Image names or ids");
  cmd->callback([flags, &inv] { inv.action = [flags, &inv] { return rmi(inv, *flags); }; });
  return cmd;
}

} // namespace cli
