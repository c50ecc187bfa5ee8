// The build driver: picks the stages the target needs, runs their instructions with step output,
// and commits the target stage as an OCI image (config, manifest, layers) in local storage.
#include "build/builder.hpp"

#include "build/onbuild.hpp"
#include "build/run_mounts.hpp"
#include "build/stage_state.hpp"
#include "build/stdin_context.hpp"
#include "image/media_types.hpp"
#include "image/platform.hpp"
#include "storage/store.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/strings.hpp"

#include <unistd.h>

#include <iostream>
#include <map>
#include <set>

namespace build {
namespace {

using detail::StageState;

std::string dockerfile_text(const BuildRequest& req, std::string& name) {
  if (req.dockerfile_text) {
    name = "Dockerfile";
    return *req.dockerfile_text;
  }
  std::filesystem::path path = req.dockerfile;
  if (path.empty()) {
    path = req.context / "Dockerfile";
    if (!std::filesystem::exists(path) && std::filesystem::exists(req.context / "Containerfile"))
      path = req.context / "Containerfile";
  }
  name = path.filename().string();
  auto text = util::read_file_if_exists(path);
  if (!text)
    throw util::Error(util::cat("read ", util::quote(path.string()), ": no such file (pass -f FILE)"));
  return *text;
}

// ARGs declared before the first FROM, with --build-arg overrides, plus the predefined ones.
Vars global_args(const Dockerfile& df, const BuildRequest& req) {
  auto host = image::Platform::host();
  auto target = req.platform.value_or(host);
  Vars vars{{"TARGETPLATFORM", target.str()}, {"TARGETOS", target.os}, {"TARGETARCH", target.architecture},
            {"TARGETVARIANT", target.variant}, {"BUILDPLATFORM", host.str()}, {"BUILDOS", host.os},
            {"BUILDARCH", host.architecture}, {"BUILDVARIANT", host.variant}};
  for (const auto& arg : df.global_args)
    for (const auto& d : arg.decls) {
      if (auto it = req.build_args.find(d.name); it != req.build_args.end())
        vars[d.name] = it->second;
      else if (d.value)
        vars[d.name] = expand_word(*d.value, vars, df.escape);
    }
  return vars;
}

// The other stages or images an instruction reads: COPY --from, RUN --mount=...,from=.
std::vector<std::string> stages_read(const Instruction& ins) {
  if (const auto* copy = std::get_if<Copy>(&ins.body); copy && !copy->from.empty())
    return {copy->from};
  if (const auto* run = std::get_if<Run>(&ins.body))
    return mount_from_names(run->mounts);
  return {};
}

class Builder {
public:
  Builder(const Builder&) = delete;
  Builder& operator=(const Builder&) = delete;
  Builder(storage::Store& store, const BuildRequest& req, const Dockerfile& df, std::string name, const Context& ctx)
      : m_store(store), m_req(req), m_df(df), m_name(std::move(name)), m_ctx(ctx), m_globals(global_args(df, req)) {}

  StageState build_stage(std::size_t index);
  storage::ImageRecord commit(StageState& state);

  // Counts the steps of `index` and the stages it is based on, for "STEP n/m".
  void count(std::size_t index) {
    if (!m_counted.insert(index).second)
      return;
    const auto& stage = m_df.stages[index];
    auto base = m_df.find_stage(expand_word(stage.from.image, m_globals, m_df.escape));
    if (base && *base < index)
      count(*base);
    for (const auto& ins : stage.instructions)
      for (const auto& name : stages_read(ins))
        if (auto from = m_df.find_stage(name); from && *from < index)
          count(*from);
    m_total += 1 + static_cast<int>(stage.instructions.size());
  }

private:
  void step(const std::string& text) {
    ++m_step;
    if (!m_req.quiet)
      std::cout << "STEP " << m_step << "/" << m_total << ": " << text << std::endl;
  }
  // The stage's base; an image's ONBUILD triggers are moved to `triggers`.
  StageState from(const Stage& stage, std::vector<std::string>& triggers);
  // The same stage state with leases of its own.
  StageState copy_of(const StageState& state) const;
  std::vector<image::Digest> source_layers(const std::string& name, std::size_t current);

  storage::Store& m_store;
  const BuildRequest& m_req;
  const Dockerfile& m_df;
  std::string m_name; // the Dockerfile's name in errors
  const Context& m_ctx;
  Vars m_globals;
  std::map<std::size_t, StageState> m_sources; // every stage built so far, kept leased
  std::vector<storage::LayerLease> m_image_leases;
  std::set<std::size_t> m_counted;
  int m_step = 0;
  int m_total = 0;
};

StageState Builder::from(const Stage& stage, std::vector<std::string>& triggers) {
  std::string base = expand_word(stage.from.image, m_globals, m_df.escape);
  auto earlier = m_df.find_stage(base);
  if (earlier && *earlier < static_cast<std::size_t>(stage.index))
    return build_stage(*earlier);
  StageState state;
  if (util::to_lower(base) == "scratch") {
    auto host = m_req.platform.value_or(image::Platform::host());
    state.config.os = host.os;
    state.config.architecture = host.architecture;
    state.config.variant = host.variant;
    state.cache_key = "scratch";
    return state;
  }
  registry::PullOptions options;
  options.tls_verify = m_req.tls_verify;
  options.quiet = m_req.quiet;
  if (!stage.from.platform.empty())
    options.platform = image::Platform::parse(expand_word(stage.from.platform, m_globals, m_df.escape));
  else
    options.platform = m_req.platform;
  auto record = registry::ensure_image(m_store, base, m_req.pull, options);
  auto manifest = std::get<image::Manifest>(
      image::parse_manifest(m_store.blobs().read(record.manifest_digest), image::media::oci_manifest));
  state.config = image::ImageConfig::from_json(m_store.blobs().read(record.id));
  state.layers = manifest.layers;
  for (const auto& id : state.config.diff_ids)
    state.leases.push_back(m_store.layers().lease(id));
  // Triggers run now, in the stage built FROM this image, and are not inherited further.
  triggers = std::move(state.config.on_build);
  state.config.on_build.clear();
  state.cache_key = record.id.str();
  return state;
}

std::vector<image::Digest> Builder::source_layers(const std::string& name, std::size_t current) {
  auto stage = m_df.find_stage(name);
  if (stage && *stage < current) {
    if (!m_sources.count(*stage))
      build_stage(*stage);
    return m_sources.at(*stage).config.diff_ids;
  }
  if (stage)
    throw util::Error(util::cat("--from=", name, ": a stage can only copy from an earlier stage"));
  registry::PullOptions options;
  options.tls_verify = m_req.tls_verify;
  options.quiet = m_req.quiet;
  auto record = registry::ensure_image(m_store, name, m_req.pull, options);
  for (const auto& id : record.layers)
    m_image_leases.push_back(m_store.layers().lease(id));
  return record.layers;
}

StageState Builder::build_stage(std::size_t index) {
  if (auto done = m_sources.find(index); done != m_sources.end())
    return copy_of(done->second); // a stage used by FROM and COPY --from is built once
  const Stage& stage = m_df.stages[index];
  // Stages this one copies from are built first, so the step output reads in order.
  for (const auto& ins : stage.instructions)
    for (const auto& name : stages_read(ins))
      if (auto from = m_df.find_stage(name); from && *from < index && !m_sources.count(*from))
        build_stage(*from);
  StageState state;
  std::vector<Instruction> triggers;
  try {
    std::vector<std::string> texts;
    state = from(stage, texts);
    triggers = onbuild_instructions(texts);
  } catch (const util::Error&) {
    util::rethrow_with_context(util::cat(m_name, ":", stage.line, ": FROM"));
  }
  m_total += static_cast<int>(triggers.size());
  step(util::cat("FROM ", stage.from.image, stage.from.name.empty() ? "" : " AS " + stage.from.name));
  StepCache cache(m_store, !m_req.no_cache);
  detail::StepContext ctx{m_store, m_ctx,   m_df,  m_req.build_args, m_globals, m_req.runtime,
                          cache,   [this, index](const std::string& name) { return source_layers(name, index); },
                          m_req.network, m_req.secrets, m_req.ssh};
  for (const auto& ins : triggers) {
    step(util::cat("ONBUILD ", ins.original));
    try {
      if (detail::apply(ctx, ins, state) && !m_req.quiet)
        std::cout << "--> Using cache " << state.cache_key.substr(0, 12) << std::endl;
    } catch (const util::Error&) {
      util::rethrow_with_context(util::cat(m_name, ":", stage.line, ": ONBUILD ", ins.keyword, " from ", stage.from.image));
    }
  }
  for (const auto& ins : stage.instructions) {
    step(ins.original);
    try {
      if (detail::apply(ctx, ins, state) && !m_req.quiet)
        std::cout << "--> Using cache " << state.cache_key.substr(0, 12) << std::endl;
    } catch (const util::Error&) {
      util::rethrow_with_context(util::cat(m_name, ":", ins.line, ": ", ins.keyword));
    }
  }
  m_sources.emplace(index, copy_of(state));
  return state;
}

StageState Builder::copy_of(const StageState& state) const {
  StageState copy;
  copy.config = state.config;
  copy.layers = state.layers;
  copy.args = state.args;
  copy.cmd_set = state.cmd_set;
  copy.cache_key = state.cache_key;
  for (const auto& id : state.config.diff_ids)
    copy.leases.push_back(m_store.layers().lease(id));
  return copy;
}

storage::ImageRecord Builder::commit(StageState& state) {
  for (const auto& [key, value] : m_req.labels)
    state.config.labels[key] = value;
  auto record = detail::save_image(m_store, state);
  std::vector<image::ImageRef> refs;
  for (const auto& tag : m_req.tags)
    refs.push_back(image::ImageRef::parse(tag));
  if (refs.empty())
    return m_store.images().add(record, std::nullopt);
  record.names.push_back(refs[0].str());
  auto stored = m_store.images().add(record, refs[0]);
  for (std::size_t i = 1; i < refs.size(); ++i)
    m_store.images().tag(stored.id, refs[i]);
  return stored;
}

} // namespace

storage::ImageRecord detail::save_image(storage::Store& store, const StageState& state) {
  image::ImageConfig config = state.config;
  config.created = image::now_rfc3339();
  auto config_json = config.to_json();
  auto config_digest = store.blobs().put(config_json);
  image::Manifest manifest{std::string(image::media::oci_manifest),
                           image::Descriptor{std::string(image::media::oci_config), config_digest,
                                             static_cast<std::int64_t>(config_json.size()), {}, {}, {}},
                           state.layers,
                           {}};
  auto manifest_digest = store.blobs().put(image::to_json(manifest));
  storage::ImageRecord record{config_digest, manifest_digest, {}, {}, config.diff_ids, config.created,
                              image::now_rfc3339(), 0};
  for (const auto& id : config.diff_ids)
    record.size += store.layers().disk_size(id);
  return record;
}

storage::ImageRecord build(storage::Store& store, const BuildRequest& request) {
  BuildRequest req = request;
  std::optional<StdinContext> in;
  if (req.context_from_stdin) {
    if (req.dockerfile_text)
      throw util::Error("build: -f - and a context of - cannot both read stdin");
    in.emplace(read_stdin_context(store.tmp_dir(), STDIN_FILENO));
    if (in->dir) {
      req.context = in->dir->path();
      if (!req.dockerfile.empty() && req.dockerfile.is_relative())
        req.dockerfile = req.context / req.dockerfile; // -f names a file inside the stdin archive
    } else {
      req.dockerfile_text = std::move(in->dockerfile);
      req.context.clear();
    }
  }
  std::string name;
  auto text = dockerfile_text(req, name);
  Dockerfile df = parse_dockerfile(text, name);
  for (const auto& note : df.notes)
    std::cerr << note << '\n';
  std::size_t target = df.stages.size() - 1;
  if (!req.target.empty()) {
    auto found = df.find_stage(req.target);
    if (!found)
      throw util::Error(util::cat("--target ", util::quote(req.target), ": no such stage in ", name));
    target = *found;
  }
  Context ctx = req.dockerfile_text && req.context.empty() ? Context{} : Context::open(req.context);
  Builder builder(store, req, df, name, ctx);
  builder.count(target);
  StageState state = builder.build_stage(target);
  auto record = builder.commit(state);
  if (!req.quiet)
    std::cout << "COMMIT " << util::join(req.tags, ", ") << "\n";
  return record;
}

} // namespace build
