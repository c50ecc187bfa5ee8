#include "registry/pull.hpp"

#include "image/config.hpp"
#include "image/manifest.hpp"
#include "registry/client.hpp"
#include "registry/pull_layers.hpp"
#include "storage/store.hpp"
#include "util/error.hpp"
#include "util/log.hpp"
#include "util/strings.hpp"

#include <variant>

namespace registry {

namespace {

ClientOptions client_options(const PullOptions& options) {
  return ClientOptions{options.tls_verify, options.auth_file};
}

// What to ask the registry for: the digest when there is one (tag+digest pins the digest).
std::string manifest_reference(const image::ImageRef& ref) {
  return ref.digest() ? ref.digest()->str() : ref.tag();
}

std::string available_platforms(const image::Index& index) {
  std::vector<std::string> names;
  for (const auto& entry : index.manifests)
    if (entry.platform)
      names.push_back(entry.platform->str());
  return names.empty() ? "none listed" : util::join(names, ", ");
}

// The platform manifest for `ref`: the manifest itself, or the index entry for the platform.
struct Resolved {
  FetchedManifest manifest;
  image::Manifest parsed;
  std::optional<image::Digest> index_digest; // when reached through an index
  std::string index_bytes;
};

Resolved resolve_manifest(RegistryClient& client, const image::ImageRef& ref,
                          const PullOptions& options) {
  FetchedManifest top =
      client.fetch_manifest(ref.repository(), manifest_reference(ref), ref.digest());
  auto parsed = image::parse_manifest(top.bytes, top.content_type);
  if (auto* manifest = std::get_if<image::Manifest>(&parsed))
    return Resolved{std::move(top), std::move(*manifest), std::nullopt, {}};

  const auto& index = std::get<image::Index>(parsed);
  image::Platform want = options.platform.value_or(image::Platform::host());
  std::optional<image::Descriptor> entry = image::select_platform(index, want);
  if (!entry)
    throw util::Error(util::cat("no image for platform ", want.str(), " in ", ref.str(),
                                " (available: ", available_platforms(index), ")"));
  LOG_DEBUG("platform ", want.str(), " -> manifest ", entry->digest.str());
  FetchedManifest chosen =
      client.fetch_manifest(ref.repository(), entry->digest.str(), entry->digest, entry->size);
  auto inner = image::parse_manifest(chosen.bytes, chosen.content_type);
  auto* manifest = std::get_if<image::Manifest>(&inner);
  if (manifest == nullptr)
    throw util::Error(
        util::cat("index entry ", entry->digest.str(), " of ", ref.str(), " is itself an index"));
  return Resolved{std::move(chosen), std::move(*manifest), top.digest, std::move(top.bytes)};
}

image::ImageConfig fetch_config(storage::Store& store, RegistryClient& client,
                                const image::ImageRef& ref, const image::Manifest& manifest) {
  std::string bytes;
  for (int attempt = 1;; ++attempt) {
    try {
      bytes = client.fetch_blob_bytes(ref.repository(), manifest.config);
      break;
    } catch (const NetworkError& e) {
      if (e.kind() != NetFailure::transient || attempt == 2)
        throw;
      util::log::warning("config ", manifest.config.digest.short_hex(), ": ", e.what(),
                         "; retrying");
    }
  }
  store.blobs().put_verified(manifest.config.digest, bytes);
  image::ImageConfig config = image::ImageConfig::from_json(bytes);
  if (config.diff_ids.size() != manifest.layers.size())
    throw util::Error(util::cat("image config ", manifest.config.digest.short_hex(), " lists ",
                                config.diff_ids.size(), " layer diff-ids but the manifest has ",
                                manifest.layers.size(), " layers"));
  return config;
}

storage::ImageRecord record_image(storage::Store& store, const image::ImageRef& ref,
                                  const Resolved& resolved, const image::ImageConfig& config) {
  store.blobs().put_verified(resolved.manifest.digest, resolved.manifest.bytes);
  if (resolved.index_digest)
    store.blobs().put_verified(*resolved.index_digest, resolved.index_bytes);
  storage::ImageRecord record{resolved.parsed.config.digest,
                              resolved.manifest.digest,
                              {},
                              {ref.name() + "@" + resolved.manifest.digest.str()},
                              config.diff_ids,
                              config.created,
                              image::now_rfc3339(),
                              0};
  if (resolved.index_digest)
    record.digests.push_back(ref.name() + "@" + resolved.index_digest->str());
  for (const auto& diff_id : config.diff_ids)
    record.size += store.layers().disk_size(diff_id);
  // A tag pinned by a digest says nothing verified about the tag: record the digest only.
  std::optional<image::ImageRef> tag_ref;
  if (!ref.digest() && !ref.tag().empty()) {
    record.names.push_back(ref.str());
    tag_ref = ref;
  }
  return store.images().add(record, tag_ref);
}

storage::ImageRecord pull_image(storage::Store& store, const image::ImageRef& ref,
                                const PullOptions& options) {
  Progress progress(options.quiet);
  progress.line(util::cat("Trying to pull ", ref.str(), "..."));
  RegistryClient client(ref.registry(), client_options(options));
  Resolved resolved = resolve_manifest(client, ref, options);
  progress.line("Getting image source signatures");
  image::ImageConfig config = fetch_config(store, client, ref, resolved.parsed);
  if (options.platform &&
      !options.platform->accepts(image::Platform{config.os, config.architecture, config.variant}))
    util::log::warning("image ", ref.str(), " is for ", config.os, "/", config.architecture,
                       ", not the requested ", options.platform->str());
  std::vector<storage::LayerLease> leases = fetch_layers(
      store, client, ref.repository(), resolved.parsed.layers, config.diff_ids, progress);
  progress.line(util::cat("Copying config ", resolved.parsed.config.digest.short_hex(), " done"));
  progress.line("Writing manifest to image destination");
  return record_image(store, ref, resolved, config); // leases end only after the record exists
}

// True when the registry still serves what we have (policy "newer"). Unreachable registries
// count as "current": the local image is used with a warning.
bool local_is_current(const image::ImageRef& ref, const storage::ImageRecord& local,
                      const PullOptions& options) {
  try {
    RegistryClient client(ref.registry(), client_options(options));
    image::Digest remote = client.resolve_digest(ref.repository(), manifest_reference(ref));
    if (remote == local.manifest_digest)
      return true;
    std::string suffix = "@" + remote.str();
    for (const auto& digest : local.digests)
      if (digest.size() >= suffix.size() &&
          digest.compare(digest.size() - suffix.size(), suffix.size(), suffix) == 0)
        return true;
    return false;
  } catch (const NetworkError& e) {
    util::log::warning("cannot check ", ref.str(), " for a newer image (", e.what(),
                       "); using the local image");
    return true;
  }
}

// What ensure_image settles on without a registry, given what the index holds.
std::optional<storage::ImageRecord> settled(std::optional<storage::ImageRecord> local,
                                            std::string_view user_text, PullPolicy policy) {
  // An image id names a local image only; there is nothing to pull by id.
  if (local && image::looks_like_id_prefix(user_text))
    return local;
  if (policy == PullPolicy::never || policy == PullPolicy::missing)
    return local;
  return std::nullopt;
}

} // namespace

PullPolicy parse_pull_policy(std::string_view text) {
  std::string lower = util::to_lower(text);
  if (lower == "always" || lower == "true")
    return PullPolicy::always;
  if (lower == "missing" || lower == "false" || lower == "ifmissing")
    return PullPolicy::missing;
  if (lower == "never")
    return PullPolicy::never;
  if (lower == "newer" || lower == "ifnewer")
    return PullPolicy::newer;
  throw util::Error(util::cat("invalid pull policy ", util::quote(text),
                              ": use always, missing, never or newer"));
}

storage::ImageRecord pull(storage::Store& store, const image::ImageRef& ref,
                          const PullOptions& options) {
  try {
    return pull_image(store, ref, options);
  } catch (...) {
    util::rethrow_with_context(util::cat("pull ", ref.str()));
  }
}

std::optional<storage::ImageRecord> local_choice(const storage::ImageIndex& images,
                                                 std::string_view user_text, PullPolicy policy) {
  return settled(images.lookup(user_text), user_text, policy);
}

storage::ImageRecord ensure_image(storage::Store& store, std::string_view user_text,
                                  PullPolicy policy, const PullOptions& options) {
  std::optional<storage::ImageRecord> local = store.images().lookup(user_text);
  if (auto chosen = settled(local, user_text, policy))
    return *chosen;
  switch (policy) {
  case PullPolicy::never:
    throw util::Error(util::cat(user_text, ": image not known"));
  case PullPolicy::missing:
  case PullPolicy::always:
    break;
  case PullPolicy::newer:
    if (local && local_is_current(image::ImageRef::parse(user_text), *local, options))
      return *local;
    break;
  }
  return pull(store, image::ImageRef::parse(user_text), options);
}

} // namespace registry
