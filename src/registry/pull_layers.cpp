#include "registry/pull_layers.hpp"

#include "storage/layer_ingest.hpp"
#include "storage/store.hpp"
#include "util/error.hpp"
#include "util/log.hpp"
#include "util/strings.hpp"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <exception>
#include <optional>
#include <set>
#include <thread>

namespace registry {

namespace {

struct LayerJob {
  const image::Descriptor* layer;
  const image::Digest* diff_id;
};

// Shared by the download workers of one pull.
struct Downloads {
  const storage::Store& store;
  RegistryClient& client;
  const std::string& repository;
  Progress& progress;
  std::vector<LayerJob> jobs;
  std::vector<std::optional<storage::LayerLease>> leases; // one per job
  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  std::mutex error_mutex;
  std::exception_ptr first_error;
};

// Streams one layer into a LayerIngest; one retry from scratch on a transient network error.
storage::LayerLease ingest_layer(Downloads& d, HttpClient& http, const LayerJob& job) {
  storage::LayerIngest ingest(d.store, *job.layer, *job.diff_id);
  auto sink = [&](const char* data, size_t size) {
    if (d.failed)
      throw util::Error("cancelled"); // another layer failed; its error is the one reported
    ingest.write(data, size);
  };
  for (int attempt = 1;; ++attempt) {
    try {
      d.client.fetch_blob(http, d.repository, *job.layer, sink);
      break;
    } catch (const NetworkError& e) {
      if (e.kind() != NetFailure::transient || attempt == 2 || d.failed)
        throw;
      util::log::warning("blob ", job.layer->digest.short_hex(), ": ", e.what(), "; retrying");
      ingest.restart();
    }
  }
  return ingest.finish();
}

void worker(Downloads& d) {
  try {
    HttpClient http = d.client.make_http();
    while (!d.failed) {
      size_t index = d.next++;
      if (index >= d.jobs.size())
        return;
      d.leases[index] = ingest_layer(d, http, d.jobs[index]);
      d.progress.line(util::cat("Copying blob ", d.jobs[index].layer->digest.short_hex(), " done"));
    }
  } catch (...) {
    std::lock_guard lock(d.error_mutex);
    if (!d.failed.exchange(true))
      d.first_error = std::current_exception();
  }
}

} // namespace

void Progress::line(const std::string& text) {
  if (m_quiet)
    return;
  std::lock_guard lock(m_mutex);
  std::string out = text + "\n";
  std::fwrite(out.data(), 1, out.size(), stderr);
  std::fflush(stderr);
}

std::vector<storage::LayerLease> fetch_layers(const storage::Store& store, RegistryClient& client,
                                              const std::string& repository,
                                              const std::vector<image::Descriptor>& layers,
                                              const std::vector<image::Digest>& diff_ids,
                                              Progress& progress) {
  Downloads d{store, client, repository, progress, {}, {}, {}, {}, {}, {}};
  std::vector<storage::LayerLease> leases;
  std::set<image::Digest> seen; // an image may repeat a layer: fetch and lease it once
  for (size_t i = 0; i < layers.size(); ++i) {
    if (!seen.insert(diff_ids[i]).second)
      continue;
    if (store.layers().has(diff_ids[i])) {
      leases.push_back(store.layers().lease(diff_ids[i]));
      progress.line(
          util::cat("Copying blob ", layers[i].digest.short_hex(), " skipped: already exists"));
      continue;
    }
    d.jobs.push_back(LayerJob{&layers[i], &diff_ids[i]});
  }
  d.leases.resize(d.jobs.size());
  size_t workers = std::min(parallel_downloads, d.jobs.size());
  LOG_DEBUG("pull ", repository, ": ", d.jobs.size(), " layers to download with ", workers,
            " workers");
  {
    std::vector<std::jthread> threads; // joined when this scope ends, also on exceptions
    for (size_t i = 0; i < workers; ++i)
      threads.emplace_back([&d] { worker(d); });
  }
  if (d.first_error)
    std::rethrow_exception(d.first_error);
  for (auto& lease : d.leases)
    leases.push_back(std::move(*lease));
  return leases;
}

} // namespace registry
