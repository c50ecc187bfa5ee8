// cove inspect / image inspect: Docker's JSON for images, or a Go template applied to it.
#include "cli/commands.hpp"
#include "cli/image_views.hpp"
#include "cli/output.hpp"

#include "image/config.hpp"
#include "storage/store.hpp"
#include "util/error.hpp"
#include "util/log.hpp"
#include "util/strings.hpp"

#include <iostream>
#include <memory>

namespace cli {

namespace {

struct InspectFlags {
  std::string format;
  std::vector<std::string> names;
};

int inspect(const Invocation& inv, const InspectFlags& flags) {
  auto store = open_store(inv);
  nlohmann::ordered_json documents = nlohmann::ordered_json::array();
  std::vector<std::string> missing;
  for (const std::string& name : flags.names) {
    // Containers first, as Docker does.
    if (std::optional<nlohmann::ordered_json> container = inspect_container(store->containers(), name)) {
      documents.push_back(std::move(*container));
      continue;
    }
    std::optional<storage::ImageRecord> record = store->images().lookup(name);
    if (!record) {
      missing.push_back(name);
      continue;
    }
    image::ImageConfig config = image::ImageConfig::from_json(store->blobs().read(record->id));
    documents.push_back(image_inspect_json(*record, config));
  }
  // Like Docker, print what was found (an empty array too) before reporting what was not.
  if (!documents.empty() || flags.format.empty() || flags.format == "json")
    std::cout << render_document(flags.format, documents) << std::flush;
  if (missing.empty())
    return 0;
  for (size_t i = 0; i + 1 < missing.size(); ++i)
    util::log::error("no such image: ", util::quote(missing[i]));
  throw util::Error(util::cat("no such image: ", util::quote(missing.back())));
}

} // namespace

CLI::App* add_inspect_command(CLI::App& parent, Invocation& inv) {
  auto flags = std::make_shared<InspectFlags>();
  CLI::App* cmd = parent.add_subcommand("inspect", "Show details of images as JSON");
  cmd->add_option("-f,--format", flags->format, "json, or a Go template such as {{.Os}}");
  cmd->add_option("NAME", flags->names, "Image names or ids")->required();
  cmd->callback([flags, &inv] { inv.action = [flags, &inv] { return inspect(inv, *flags); }; });
  return cmd;
}

} // namespace cli
