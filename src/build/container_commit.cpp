#include "build/container_commit.hpp"

#include "build/dockerfile.hpp"
#include "build/stage_state.hpp"
#include "build/substitute.hpp"
#include "image/manifest.hpp"
#include "image/media_types.hpp"
#include "runtime/container_changes.hpp"
#include "runtime/spec.hpp"
#include "storage/store.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"

#include <algorithm>

namespace build {
namespace {

using util::cat;
using util::quote;

// `--change` instructions: the config ones Docker's commit takes, expanded against the image's
// ENV as a build would.
struct ChangeApplier {
  image::ImageConfig& config;
  char escape;

  Vars vars() const {
    Vars out;
    for (const std::string& e : config.env) {
      size_t eq = e.find('=');
      out[e.substr(0, eq)] = eq == std::string::npos ? "" : e.substr(eq + 1);
    }
    return out;
  }
  std::string word(const std::string& w) const { return expand_word(w, vars(), escape); }
  std::vector<std::string> argv(const Command& c) const {
    if (c.exec_form)
      return c.args;
    std::vector<std::string> out = config.shell.value_or(std::vector<std::string>{"/bin/sh", "-c"});
    out.push_back(c.shell);
    return out;
  }

  void operator()(const Cmd& c) { config.cmd = argv(c.command); }
  void operator()(const Entrypoint& e) { config.entrypoint = argv(e.command); }
  void operator()(const Env& e) {
    for (const auto& [k, v] : e.vars) {
      std::string key = word(k);
      std::string entry = cat(key, "=", word(v));
      auto it = std::find_if(config.env.begin(), config.env.end(),
                             [&](const std::string& x) { return x.starts_with(key + "="); });
      if (it != config.env.end())
        *it = entry;
      else
        config.env.push_back(entry);
    }
  }
  void operator()(const Label& l) {
    for (const auto& [k, v] : l.labels)
      config.labels[word(k)] = word(v);
  }
  void operator()(const Expose& e) {
    for (const std::string& p : e.ports)
      for (std::string port : expand_words(p, vars(), escape)) {
        if (port.find('/') == std::string::npos)
          port += "/tcp";
        if (std::find(config.exposed_ports.begin(), config.exposed_ports.end(), port) ==
            config.exposed_ports.end())
          config.exposed_ports.push_back(port);
      }
  }
  void operator()(const Volume& v) {
    for (const std::string& p : v.paths)
      config.volumes.push_back(word(p));
  }
  void operator()(const User& u) { config.user = word(u.user); }
  void operator()(const Workdir& w) {
    std::string path = word(w.path);
    config.working_dir = path.starts_with("/") ? path : cat(config.working_dir.empty() ? "" : config.working_dir, "/", path);
  }
  void operator()(const Stopsignal& s) { config.stop_signal = word(s.signal); }
  void operator()(const Onbuild& o) { config.on_build.push_back(o.trigger); }
  template <typename Other>
  void operator()(const Other&) {
    throw util::Error("commit takes only CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, ONBUILD, USER, "
                      "VOLUME, WORKDIR and STOPSIGNAL");
  }
};

void apply_changes(const std::vector<std::string>& changes, image::ImageConfig& config) {
  for (const std::string& change : changes) {
    Dockerfile df = parse_dockerfile("FROM scratch\n" + change + "\n", "--change");
    try {
      for (const Instruction& ins : df.stages.at(0).instructions)
        std::visit(ChangeApplier{config, df.escape}, ins.body);
    } catch (...) {
      util::rethrow_with_context(cat("--change ", quote(change)));
    }
  }
}

// The layer of the container's changes, stored as a blob and unpacked.
TarResult write_changes(storage::Store& store, const storage::ContainerRecord& record,
                        detail::StageState& state) {
  TarWriter tar(store.tmp_dir());
  runtime::write_container_layer(store, record, tar);
  TarResult layer = tar.finish(store.blobs());
  state.leases.push_back(store.layers().ensure_from_blob(layer.digest, store.blobs().path(layer.digest),
                                                         image::Compression::none));
  state.layers.push_back(
      image::Descriptor{std::string(image::media::oci_layer), layer.digest, layer.size, {}, {}, {}});
  state.config.diff_ids.push_back(layer.digest);
  return layer;
}

} // namespace

storage::ImageRecord commit_container(storage::Store& store, const storage::ContainerRecord& record,
                                      const CommitRequest& request) {
  try {
    std::optional<image::ImageRef> ref;
    if (request.reference)
      ref = image::ImageRef::parse(*request.reference);
    std::optional<storage::ImageRecord> base = store.images().lookup(record.image_id.str());
    if (!base)
      throw util::Error(cat("its image ", record.image_id.str(), " is no longer stored"));
    detail::StageState state;
    state.config = image::ImageConfig::from_json(store.blobs().read(base->id));
    state.layers = std::get<image::Manifest>(image::parse_manifest(store.blobs().read(base->manifest_digest),
                                                                   image::media::oci_manifest))
                       .layers;
    for (const image::Digest& id : state.config.diff_ids)
      state.leases.push_back(store.layers().lease(id));
    write_changes(store, record, state);
    apply_changes(request.changes, state.config);
    if (!request.author.empty())
      state.config.author = request.author;
    runtime::ContainerSpec spec = runtime::ContainerSpec::from_json(record.spec);
    state.config.history.push_back(
        image::HistoryEntry{image::now_rfc3339(), util::join(spec.args, " "), request.author, request.message, false});
    storage::ImageRecord image = detail::save_image(store, state);
    if (!ref)
      return store.images().add(image, std::nullopt);
    image.names.push_back(ref->str());
    return store.images().add(image, ref);
  } catch (...) {
    util::rethrow_with_context(cat("commit container ", record.name));
  }
}

} // namespace build
