// cove images (image ls, image list): the local images as a table, ids, JSON or a template.
#include "cli/commands.hpp"
#include "cli/image_views.hpp"

#include "storage/store.hpp"

#include <ctime>
#include <iostream>
#include <memory>

namespace cli {

namespace {

struct ImagesFlags {
  bool quiet = false;
  bool all = false;
  bool no_trunc = false;
  std::string format;
};

int images(const Invocation& inv, const ImagesFlags& flags) {
  auto store = open_store(inv);
  std::vector<storage::ImageRecord> records = store->images().list();
  if (flags.quiet) {
    for (const std::string& id : image_ids(records, flags.no_trunc))
      std::cout << id << '\n';
    return 0;
  }
  ImageListOptions options{flags.no_trunc, static_cast<long long>(std::time(nullptr))};
  std::cout << render_list(flags.format, image_list(records, options));
  return 0;
}

} // namespace

CLI::App* add_images_command(CLI::App& parent, Invocation& inv, const std::string& name) {
  auto flags = std::make_shared<ImagesFlags>();
  CLI::App* cmd = parent.add_subcommand(name, "List images in local storage");
  cmd->add_flag("-q,--quiet", flags->quiet, "Print only image ids");
  // Accepted for compatibility: cove keeps no intermediate images, so all are always listed.
  cmd->add_flag("-a,--all", flags->all, "Show all images");
  cmd->add_flag("--no-trunc", flags->no_trunc, "Do not truncate image ids");
  cmd->add_option("--format", flags->format,
                  "json, or a Go template: {{.Repository}} {{.Tag}} {{.ID}} {{.Digest}} "
                  "{{.Created}} {{.CreatedAt}} {{.Size}} (\"table ...\" adds headers)");
  cmd->callback([flags, &inv] { inv.action = [flags, &inv] { return images(inv, *flags); }; });
  return cmd;
}

} // namespace cli
