// cove save: local images written out for other tools, as a tar (docker-archive, the default,
// which `docker load` and skopeo read; or oci-archive) or an OCI layout directory (oci-dir).
#include "cli/commands.hpp"

#include "storage/oci_layout.hpp"
#include "storage/store.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/strings.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <memory>

namespace cli {

namespace {

struct SaveFlags {
  std::string output;
  std::string format = "docker-archive";
  std::vector<std::string> images;
};

int save_images(const Invocation& inv, const SaveFlags& flags) {
  bool dir = flags.format == "oci-dir";
  if (!dir && flags.format != "docker-archive" && flags.format != "oci-archive")
    throw util::Error(util::cat("save --format ", util::quote(flags.format),
                                ": use docker-archive, oci-archive or oci-dir"));
  if (dir && flags.output.empty())
    throw util::Error("save --format oci-dir: -o DIR is required");
  if (!dir && flags.output.empty() && ::isatty(STDOUT_FILENO))
    throw util::Error("save: refusing to write a tar to a terminal: use -o FILE or redirect");
  auto store = open_store(inv);
  std::vector<storage::SavedImage> images;
  for (const auto& text : flags.images) {
    auto record = store->images().lookup(text);
    if (!record)
      throw util::Error(util::cat("save: ", text, ": image not known"));
    // The name the user typed when it is one of the image's names; else its first name.
    std::string name = record->names.empty() ? "" : record->names[0];
    if (!image::looks_like_id_prefix(text)) {
      auto ref = image::ImageRef::parse(text).str();
      for (const auto& n : record->names)
        if (n == ref)
          name = n;
    }
    images.push_back({*record, name});
  }
  if (dir) {
    storage::write_oci_layout(*store, images, flags.output);
    return 0;
  }
  util::UniqueFd file;
  if (!flags.output.empty()) {
    file.reset(::open(flags.output.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (!file)
      util::throw_errno(util::cat("create ", util::quote(flags.output)));
  }
  storage::write_image_archive(*store, images, file ? file.get() : STDOUT_FILENO);
  if (file && ::fsync(file.get()) < 0)
    util::throw_errno(util::cat("write ", util::quote(flags.output)));
  return 0;
}

} // namespace

CLI::App* add_save_command(CLI::App& parent, Invocation& inv) {
  auto flags = std::make_shared<SaveFlags>();
  CLI::App* cmd = parent.add_subcommand("save", "Save images to a tar archive or an OCI layout directory");
  cmd->add_option("-o,--output", flags->output, "Write to this file (a directory for oci-dir) instead of stdout");
  cmd->add_option("--format", flags->format, "docker-archive (default), oci-archive or oci-dir");
  cmd->add_option("IMAGE", flags->images, "Images to save")->required();
  cmd->callback([flags, &inv] { inv.action = [flags, &inv] { return save_images(inv, *flags); }; });
  return cmd;
}

} // namespace cli
