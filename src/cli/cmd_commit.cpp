// cove commit: a new image from a container's changes.
#include "cli/arg_scan.hpp"
#include "cli/commands.hpp"
#include "cli/container_access.hpp"

#include "build/container_commit.hpp"
#include "runtime/control.hpp"
#include "runtime/freezer.hpp"
#include "storage/store.hpp"
#include "util/log.hpp"
#include "util/scope_exit.hpp"

#include <iostream>
#include <memory>

namespace cli {

namespace {

struct CommitFlags {
  std::string message;
  std::string author;
  std::vector<std::string> changes;
  bool pause = false; // podman's default; Docker's is true
  std::string name;
  std::string image;
};

int commit(const Invocation& inv, const CommitFlags& flags) {
  storage::ContainerStore containers = host_containers(inv);
  storage::ContainerRecord record = find_container(containers, flags.name);
  // --pause: frozen from here (the host's namespace, like `pause`) until the image is written,
  // so the layer is one consistent moment. Not running: nothing changes anyway. Already paused:
  // it stays paused.
  runtime::ContainerState state = runtime::refresh_state(containers, record);
  bool freeze = flags.pause && state.status == runtime::Status::running && !state.paused;
  if (freeze)
    runtime::pause_container(record, state);
  util::ScopeExit thaw([&] {
    try {
      if (freeze)
        runtime::thaw_cgroup(state.freezer);
    } catch (const std::exception& e) {
      util::log::error("commit: unpause container ", record.name, ": ", e.what());
    }
  });
  auto store = open_store(inv); // the upper dir's files belong to the container's ids
  build::CommitRequest request;
  if (!flags.image.empty())
    request.reference = flags.image;
  request.message = flags.message;
  request.author = flags.author;
  request.changes = flags.changes;
  storage::ImageRecord image = build::commit_container(*store, record, request);
  std::cout << image.id.str() << '\n';
  return 0;
}

} // namespace

CLI::App* add_commit_command(CLI::App& parent, Invocation& inv) {
  auto flags = std::make_shared<CommitFlags>();
  CLI::App* cmd = parent.add_subcommand("commit", "Create a new image from a container's changes");
  cmd->add_option("-m,--message", flags->message, "Commit message (the history entry's comment)");
  cmd->add_option("-a,--author", flags->author, "Author (e.g. \"Jane <jane@example.com>\")");
  add_list_option(*cmd, "-c,--change", flags->changes,
                  "Apply a Dockerfile instruction: CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, ONBUILD, "
                  "USER, VOLUME, WORKDIR, STOPSIGNAL");
  cmd->add_flag("-p,--pause", flags->pause,
                 "Pause the running container while committing (default false, as podman)");
  cmd->add_option("CONTAINER", flags->name, "Container name or id")->required();
  cmd->add_option("IMAGE", flags->image, "Repository and tag for the new image: NAME[:TAG]");
  cmd->callback([flags, &inv] { inv.action = [flags, &inv] { return commit(inv, *flags); }; });
  return cmd;
}

} // namespace cli
