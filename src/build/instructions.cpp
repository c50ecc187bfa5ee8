// Instruction handlers: each turns one typed instruction into config changes or a layer.
#include "build/stage_state.hpp"

#include "build/add_source.hpp"
#include "build/run_mount_setup.hpp"
#include "build/run_step.hpp"
#include "build/step_image.hpp"
#include "runtime/rootfs.hpp"

#include "image/media_types.hpp"
#include "storage/store.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/strings.hpp"

#include <sys/stat.h>

#include <algorithm>

namespace build::detail {
namespace {

void set_env(image::ImageConfig& config, const std::string& key, const std::string& value) {
  auto entry = util::cat(key, "=", value);
  for (auto& e : config.env)
    if (e.compare(0, key.size() + 1, key + "=") == 0) {
      e = entry;
      return;
    }
  config.env.push_back(entry);
}

void history(StageState& s, const Instruction& ins, bool empty_layer) {
  s.config.history.push_back(image::HistoryEntry{image::now_rfc3339(), ins.original, "", "", empty_layer});
}

std::vector<std::string> to_argv(const Command& c, const StageState& s) {
  if (c.exec_form)
    return c.args;
  auto argv = s.config.shell.value_or(std::vector<std::string>{"/bin/sh", "-c"});
  argv.push_back(c.shell);
  return argv;
}

// "/a/b" joined under the working directory when relative, Docker's WORKDIR/COPY rule.
std::string absolute(const std::string& path, const StageState& s) {
  if (!path.empty() && path[0] == '/')
    return path;
  auto base = s.config.working_dir.empty() ? std::string("/") : s.config.working_dir;
  auto out = clean_path(util::cat(base, "/", path));
  if (path.size() > 1 && path.back() == '/')
    out += "/";
  return out;
}

// True when some layer of the stage has `rel` ("usr/local"); whiteouts are not consulted, which
// at worst leaves a directory entry out of a new layer that overlay then creates as needed.
bool in_layers(const StepContext& ctx, const StageState& s, const std::string& rel) {
  struct stat st {};
  for (const auto& id : s.config.diff_ids)
    if (::lstat((ctx.store.layers().diff_dir(id) / rel).c_str(), &st) == 0)
      return true;
  return false;
}

void add_layer(const StepContext& ctx, StageState& s, const TarResult& result);

struct Handler {
  const StepContext& ctx;
  const Instruction& ins;
  StageState& s;
  bool cached = false;
  bool made_layer = false; // the step added a layer (and its history entry)

  std::string word(const std::string& w) const { return expand_word(w, s.vars(), ctx.dockerfile.escape); }

  void operator()(const From&) const { throw util::Error("FROM inside a stage"); }
  void operator()(const Run& r);
  void operator()(const Cmd& c) {
    s.config.cmd = to_argv(c.command, s);
    s.cmd_set = true;
  }
  void operator()(const Entrypoint& e) {
    s.config.entrypoint = to_argv(e.command, s);
    if (!s.cmd_set)
      s.config.cmd.reset(); // an inherited CMD was written for the old entrypoint
  }
  void operator()(const Env& e) {
    for (const auto& [k, v] : e.vars)
      set_env(s.config, word(k), word(v));
  }
  void operator()(const Arg& a) {
    for (const auto& d : a.decls) {
      if (auto it = ctx.build_args.find(d.name); it != ctx.build_args.end())
        s.args[d.name] = it->second;
      else if (d.value)
        s.args[d.name] = word(*d.value);
      else if (auto g = ctx.global_args.find(d.name); g != ctx.global_args.end())
        s.args[d.name] = g->second;
    }
  }
  void operator()(const Label& l) {
    for (const auto& [k, v] : l.labels)
      s.config.labels[word(k)] = word(v);
  }
  void operator()(const Expose& e) {
    for (const auto& p : e.ports)
      for (auto port : expand_words(p, s.vars(), ctx.dockerfile.escape)) {
        if (port.find('/') == std::string::npos)
          port += "/tcp";
        if (std::find(s.config.exposed_ports.begin(), s.config.exposed_ports.end(), port) == s.config.exposed_ports.end())
          s.config.exposed_ports.push_back(port);
      }
  }
  void operator()(const Volume& v) {
    for (const auto& p : v.paths)
      s.config.volumes.push_back(word(p));
  }
  void operator()(const User& u) { s.config.user = word(u.user); }
  void operator()(const Workdir& w);
  void operator()(const Shell& sh) { s.config.shell = sh.args; }
  void operator()(const Stopsignal& sig) { s.config.stop_signal = word(sig.signal); }
  void operator()(const Maintainer& m) { s.config.author = m.name; }
  void operator()(const Onbuild& o) { s.config.on_build.push_back(o.trigger); }
  void operator()(const Healthcheck& h);
  void operator()(const Copy& c);
};

void Handler::operator()(const Healthcheck& h) {
  nlohmann::json j;
  if (h.none) {
    j["Test"] = {"NONE"};
  } else if (h.command.exec_form) {
    j["Test"] = h.command.args;
    j["Test"].insert(j["Test"].begin(), "CMD");
  } else {
    j["Test"] = {"CMD-SHELL", h.command.shell};
  }
  const std::pair<const char*, const std::string*> durations[] = {
      {"Interval", &h.interval}, {"Timeout", &h.timeout}, {"StartPeriod", &h.start_period},
      {"StartInterval", &h.start_interval}};
  for (const auto& [key, text] : durations)
    if (!text->empty())
      j[key] = parse_duration_ns(*text);
  if (h.retries)
    j["Retries"] = *h.retries;
  s.config.healthcheck = j;
}

// Appends a stored layer blob to the stage, unpacked so later steps and `cove run` can use it.
void add_layer(const StepContext& ctx, StageState& s, const TarResult& result) {
  const auto& layers = ctx.store.layers();
  s.leases.push_back(layers.ensure_from_blob(result.digest, ctx.store.blobs().path(result.digest),
                                             image::Compression::none));
  s.layers.push_back(image::Descriptor{std::string(image::media::oci_layer), result.digest, result.size, {}, {}, {}});
  s.config.diff_ids.push_back(result.digest);
}

// WORKDIR creates its directory (root-owned, 0755) when the image lacks it, as Docker does.
void Handler::operator()(const Workdir& w) {
  s.config.working_dir = clean_path(absolute(word(w.path), s));
  if (s.config.working_dir == "/" || in_layers(ctx, s, s.config.working_dir.substr(1)))
    return;
  TarWriter tar(ctx.store.tmp_dir());
  std::string rel;
  for (const auto& part : util::split(s.config.working_dir.substr(1), '/')) {
    rel += (rel.empty() ? "" : "/") + part;
    if (!in_layers(ctx, s, rel))
      tar.add_dir(rel, EntryMeta{0, 0, 0755, 0});
  }
  add_layer(ctx, s, tar.finish(ctx.store.blobs()));
  history(s, ins, false);
  made_layer = true;
}

void Handler::operator()(const Run& r) {
  std::vector<RunMount> mounts;
  for (const auto& text : r.mounts)
    mounts.push_back(parse_run_mount(word(text), s.config.working_dir.empty() ? "/" : s.config.working_dir));
  check_run_mounts(mounts);
  check_required_secrets(mounts, ctx.secrets);
  check_required_ssh(mounts, ctx.ssh);
  auto network = run_network(r.network, ctx.network);
  MountSources sources{ctx.store, ctx.context, ctx.runtime.driver, ctx.source_layers, ctx.secrets, process_env,
                       ctx.ssh};
  // The step runs on the stage as it stands, recorded as an unnamed image only for its duration.
  auto record = save_image(ctx.store, s);
  StepImage step_image(ctx.store, record);
  auto key = step_key(s.cache_key, ins, s.args, mount_inputs(sources, mounts));
  s.cache_key = key;
  if (auto hit = ctx.cache.find(key)) {
    add_layer(ctx, s, *hit);
    history(s, ins, false);
    cached = made_layer = true;
    return;
  }
  PreparedMounts prepared(sources, mounts);
  RunStep step{record.id, to_argv(r.command, s), {}, network, prepared.mounts(),
               [this](const std::string& rel) { return in_layers(ctx, s, rel); }};
  for (const auto& [k, v] : s.args)
    if (!s.config.env_value(k))
      step.env.push_back(util::cat(k, "=", v));
  // As BuildKit: an ssh mount's RUN finds the agent through SSH_AUTH_SOCK, unless ENV or ARG set it.
  if (auto sock = ssh_auth_sock(mounts); !sock.empty() && !s.config.env_value("SSH_AUTH_SOCK") &&
                                         !s.args.count("SSH_AUTH_SOCK"))
    step.env.push_back("SSH_AUTH_SOCK=" + sock);
  auto layer = run_step(ctx.store, ctx.runtime, step);
  ctx.cache.put(key, layer);
  add_layer(ctx, s, layer);
  history(s, ins, false);
  made_layer = true;
}

// A file of the stage as its layers stand ("etc/passwd"), from the topmost layer that has it;
// nullopt when absent, deleted or not a plain file in a plain directory of that layer.
std::optional<std::string> stage_file(const StepContext& ctx, const StageState& s, const std::string& rel) {
  for (auto it = s.config.diff_ids.rbegin(); it != s.config.diff_ids.rend(); ++it) {
    auto dir = ctx.store.layers().diff_dir(*it);
    struct stat st {}, parent {};
    if (::lstat((dir / rel).c_str(), &st) < 0)
      continue;
    if (!S_ISREG(st.st_mode) || ::lstat((dir / rel).parent_path().c_str(), &parent) < 0 || !S_ISDIR(parent.st_mode))
      return std::nullopt;
    return util::read_file(dir / rel);
  }
  return std::nullopt;
}

void Handler::operator()(const Copy& c) {
  CopyPlan plan;
  std::vector<std::string> urls;
  for (const auto& src : c.sources) {
    auto expanded = word(src);
    if (c.add && is_url_source(expanded))
      urls.push_back(expanded);
    else if (c.add && expanded.find("://") != std::string::npos)
      throw util::Error(util::cat("ADD ", util::quote(expanded), ": only http:// and https:// URLs can be added"));
    else
      plan.sources.push_back(expanded);
  }
  std::optional<std::string> checksum;
  if (!c.checksum.empty()) {
    if (urls.size() != 1 || !plan.sources.empty())
      throw util::Error("ADD --checksum needs exactly one http(s) source");
    checksum = parse_checksum(word(c.checksum));
  }
  plan.dest = absolute(word(c.dest), s);
  plan.extract_archives = c.add;
  plan.tmp_dir = ctx.store.tmp_dir();
  if (!c.chown.empty()) {
    auto spec = word(c.chown);
    std::string passwd, group;
    if (chown_has_names(spec)) {
      passwd = stage_file(ctx, s, "etc/passwd").value_or("");
      group = stage_file(ctx, s, "etc/group").value_or("");
    }
    auto [uid, gid] = parse_chown(spec, passwd, group);
    plan.uid = uid;
    plan.gid = gid;
  }
  if (!c.chmod.empty()) {
    if (c.chmod.size() > 4 || c.chmod.find_first_not_of("01234567") != std::string::npos)
      throw util::Error(util::cat("--chmod=", c.chmod, ": expected an octal mode such as 0644"));
    plan.mode = static_cast<unsigned>(std::stoul(c.chmod, nullptr, 8));
  }
  for (const auto& doc : c.heredocs)
    plan.inline_files.emplace_back(doc.name, doc.expand ? word(util::cat("\"", doc.body, "\"")) : doc.body);
  plan.lower_has = [this](const std::string& rel) { return in_layers(ctx, s, rel); };
  // COPY --from reads a read-only mount of the other stage or image instead of the context.
  std::optional<storage::TmpEntry> from_dir;
  std::optional<runtime::MountedRootfs> from_root;
  Context from_ctx;
  const Context* source = &ctx.context;
  if (!c.from.empty()) {
    auto from_layers = ctx.source_layers(word(c.from));
    from_dir.emplace(ctx.store.tmp_dir(), "copy-from-");
    util::make_dirs(from_dir->path(), 0700);
    from_root.emplace(runtime::MountedRootfs::mount(ctx.store, runtime::choose_driver(ctx.store, ctx.runtime.driver),
                                                    from_layers, from_dir->path(), runtime::Access::read_only));
    from_ctx.dir = from_root->path();
    source = &from_ctx;
    plan.from_rootfs = true;
  }
  // ADD URL sources: downloaded now, except one with --checksum, whose digest stands for its
  // content in the cache key, so a cache hit needs no network.
  std::vector<Download> downloads;
  auto fetch = [&](const std::string& url) {
    std::string name;
    try {
      name = url_file_name(url);
    } catch (const util::Error&) {
      // only needed when the destination is a directory; write_copy_layer says so then
    }
    downloads.push_back(download(url, ctx.store.tmp_dir(), checksum, true));
    plan.fetched.push_back(CopyPlan::Fetched{name, downloads.back().file.path(), downloads.back().mtime});
  };
  if (!checksum)
    for (const auto& url : urls)
      fetch(url);
  HashSink inputs;
  write_copy_layer(*source, plan, inputs);
  auto input_key = inputs.finish();
  if (checksum)
    input_key += util::cat(" url ", urls[0], " sha256:", *checksum);
  s.cache_key = step_key(s.cache_key, ins, s.args, input_key);
  if (auto hit = ctx.cache.find(s.cache_key)) {
    cached = true;
    add_layer(ctx, s, *hit);
  } else {
    if (checksum)
      fetch(urls[0]);
    TarWriter tar(ctx.store.tmp_dir());
    write_copy_layer(*source, plan, tar);
    auto layer = tar.finish(ctx.store.blobs());
    ctx.cache.put(s.cache_key, layer);
    add_layer(ctx, s, layer);
  }
  history(s, ins, false);
  made_layer = true;
}

} // namespace

Vars StageState::vars() const {
  Vars out = args;
  for (const auto& e : config.env) {
    auto eq = e.find('=');
    out[e.substr(0, eq)] = eq == std::string::npos ? "" : e.substr(eq + 1);
  }
  return out;
}

bool apply(const StepContext& ctx, const Instruction& ins, StageState& state) {
  Handler h{ctx, ins, state};
  std::visit(h, ins.body);
  if (!h.made_layer)
    history(state, ins, true);
  // RUN and COPY chained their own keys, which also cover what they read.
  if (!std::holds_alternative<Copy>(ins.body) && !std::holds_alternative<Run>(ins.body))
    state.cache_key = step_key(state.cache_key, ins, state.args, "");
  return h.cached;
}

} // namespace build::detail
