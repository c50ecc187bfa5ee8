// cove build: flags -> build::BuildRequest -> build::build; prints the image id at the end.
#include "cli/commands.hpp"

#include "build/builder.hpp"
#include "net/network_mode.hpp"
#include "storage/store.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"

#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>

namespace cli {

namespace {

struct BuildFlags {
  std::vector<std::string> tags;
  std::string file;
  std::vector<std::string> build_args;
  std::string target;
  std::string pull = "missing";
  std::string iidfile;
  std::optional<bool> tls_verify;
  bool no_cache = false;
  bool quiet = false;
  bool layers = true;
  std::string platform;
  std::vector<std::string> labels;
  std::string network;
  std::vector<std::string> secrets;
  std::vector<std::string> ssh;
  std::string context;
};

// --network for RUN steps: podman's default (a private network, as `cove run` gets) unless given.
std::string build_network(const std::string& flag) {
  if (flag.empty() || flag == "default" || flag == "private")
    return net::default_network_mode().str();
  return net::NetworkMode::parse(flag).str();
}

// --secret values, with a file source checked now and made absolute, as Docker does.
std::vector<build::SecretSource> build_secrets(const std::vector<std::string>& flags) {
  std::vector<build::SecretSource> secrets;
  for (const auto& text : flags) {
    auto secret = build::parse_secret_flag(text, build::process_env);
    if (secret.kind == build::SecretSource::Kind::file) {
      std::error_code ec;
      if (!std::filesystem::is_regular_file(secret.location, ec))
        throw util::Error(util::cat("--secret ", util::quote(text), ": ", util::quote(secret.location),
                                    " is not a readable file"));
      secret.location = std::filesystem::absolute(secret.location).string();
    }
    secrets.push_back(std::move(secret));
  }
  return secrets;
}

build::BuildRequest to_request(const BuildFlags& flags) {
  build::BuildRequest req;
  if (flags.context == "-") {
    if (flags.file == "-")
      throw util::Error("build: -f - and a context of - cannot both read stdin");
    req.context_from_stdin = true; // a tar (the context) or a Dockerfile (no context)
  } else {
    req.context = flags.context;
  }
  if (flags.file == "-")
    req.dockerfile_text = std::string(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  else
    req.dockerfile = flags.file;
  if (!flags.platform.empty()) {
    if (flags.platform.find(',') != std::string::npos)
      throw util::Error(util::cat("--platform ", util::quote(flags.platform), ": building for several platforms at once is not supported"));
    req.platform = image::Platform::parse(flags.platform);
  }
  for (const auto& label : flags.labels) {
    auto eq = label.find('=');
    if (eq == 0)
      throw util::Error(util::cat("--label ", util::quote(label), ": expected KEY=VALUE"));
    req.labels[label.substr(0, eq)] = eq == std::string::npos ? "" : label.substr(eq + 1);
  }
  req.tags = flags.tags;
  for (const auto& arg : flags.build_args) {
    auto eq = arg.find('=');
    if (eq == 0)
      throw util::Error(util::cat("--build-arg ", util::quote(arg), ": expected KEY=VALUE"));
    if (eq == std::string::npos) {
      // Docker's `--build-arg KEY` takes the value from the environment.
      if (const char* value = std::getenv(arg.c_str()))
        req.build_args[arg] = value;
      continue;
    }
    req.build_args[arg.substr(0, eq)] = arg.substr(eq + 1);
  }
  for (const auto& tag : req.tags)
    (void)image::ImageRef::parse(tag); // reject bad names before any work
  req.target = flags.target;
  req.pull = registry::parse_pull_policy(flags.pull);
  req.tls_verify = flags.tls_verify;
  req.quiet = flags.quiet;
  req.no_cache = flags.no_cache || !flags.layers; // --layers=false: no cached steps, as podman
  req.network = build_network(flags.network);
  req.secrets = build_secrets(flags.secrets);
  for (const auto& text : flags.ssh)
    req.ssh.push_back(build::parse_ssh_flag(text, build::process_env));
  return req;
}

int build_image(const Invocation& inv, const BuildFlags& flags) {
  build::BuildRequest req = to_request(flags);
  auto store = open_store(inv);
  req.runtime = make_runtime_options(inv.global);
  storage::ImageRecord record = build::build(*store, req);
  std::cout << (flags.quiet ? record.id.str() : record.id.hex()) << std::endl;
  if (!flags.iidfile.empty()) {
    std::ofstream out(flags.iidfile);
    out << record.id.str();
    if (!out.flush())
      throw util::Error(util::cat("write --iidfile ", util::quote(flags.iidfile)));
  }
  return 0;
}

} // namespace

CLI::App* add_build_command(CLI::App& parent, Invocation& inv) {
  auto flags = std::make_shared<BuildFlags>();
  CLI::App* cmd = parent.add_subcommand("build", "Build an image from a Dockerfile");
  cmd->add_option("-t,--tag", flags->tags, "Name the image (repeatable)")->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  cmd->add_option("-f,--file", flags->file, "Dockerfile (default CONTEXT/Dockerfile or Containerfile; - for stdin)");
  cmd->add_option("--build-arg", flags->build_args, "Set a build ARG: KEY=VALUE (repeatable)")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  cmd->add_option("--target", flags->target, "Build up to this stage");
  cmd->add_option("--pull", flags->pull, "Pull base images: always, missing, never, newer");
  cmd->add_option("--iidfile", flags->iidfile, "Write the image id to this file");
  add_tls_verify_flag(*cmd, flags->tls_verify);
  cmd->add_flag("--no-cache", flags->no_cache, "Do not reuse cached steps");
  cmd->add_flag("-q,--quiet", flags->quiet, "Print only the image id");
  cmd->add_flag("--layers", flags->layers, "Use and keep the step cache (--layers=false rebuilds every step)");
  cmd->add_option("--platform", flags->platform, "Target platform OS/ARCH[/VARIANT] for base images and TARGET* args");
  cmd->add_option("--label", flags->labels, "Set an image label: KEY=VALUE (repeatable)")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  cmd->add_option("--network", flags->network, "Network for RUN steps: none, host, slirp4netns[:OPTIONS] (default: as cove run)");
  cmd->add_option("--secret", flags->secrets, "Secret for RUN --mount=type=secret: id=ID,src=PATH or id=ID,env=VAR (repeatable)")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  cmd->add_option("--ssh", flags->ssh,
                  "SSH agent for RUN --mount=type=ssh: default or ID[=SOCKET] (default: $SSH_AUTH_SOCK; repeatable)")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  cmd->add_option("CONTEXT", flags->context, "Build context directory, or - for a tar or a Dockerfile on stdin")->required();
  cmd->callback([flags, &inv] { inv.action = [flags, &inv] { return build_image(inv, *flags); }; });
  return cmd;
}

} // namespace cli
