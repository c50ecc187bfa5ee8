// What `images` and `image inspect` print, built from stored records (pure, unit-tested).
#pragma once

#include "cli/output.hpp"
#include "image/config.hpp"
#include "storage/image_index.hpp"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace cli {

// Docker's `image inspect` document (with podman's Digest and History additions).
nlohmann::ordered_json image_inspect_json(const storage::ImageRecord& record,
                                          const image::ImageConfig& config);

// Options of `images` that change what is listed.
struct ImageListOptions {
  bool no_trunc = false; // full "sha256:<hex>" ids
  long long now = 0;     // seconds since the epoch, for "2 weeks ago"
};

// The `images` table (one row per name; "<none>" for unnamed images), its template fields
// (Repository Tag ID Digest Created CreatedSince CreatedAt Size) and podman's JSON array.
ListOutput image_list(const std::vector<storage::ImageRecord>& records,
                      const ImageListOptions& options);

// `images -q`: the ids, each once, in listing order.
std::vector<std::string> image_ids(const std::vector<storage::ImageRecord>& records,
                                   bool no_trunc);

// "docker.io/library/busybox:latest" -> {"docker.io/library/busybox", "latest"}.
std::pair<std::string, std::string> split_repo_tag(const std::string& name);

// "2026-11-22 14:20:24 +0000 UTC" as Docker prints CreatedAt; "" for an unparsable time.
std::string docker_time(const std::string& rfc3339);

} // namespace cli
