// ImageConfig: the image configuration blob (OCI image config / Docker container config).
#pragma once

#include "image/digest.hpp"

#include <nlohmann/json.hpp>

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace image {

struct HistoryEntry {
  std::string created; // RFC 3339
  std::string created_by;
  std::string author;
  std::string comment;
  bool empty_layer = false;
};

struct ImageConfig {
  std::string architecture;
  std::string os;
  std::string variant;
  std::string created; // RFC 3339, may be empty
  std::string author;

  // "config" section. Entrypoint/Cmd distinguish "absent" (nullopt) from "empty list".
  std::string user;
  std::vector<std::string> env; // "K=V"
  std::optional<std::vector<std::string>> entrypoint;
  std::optional<std::vector<std::string>> cmd;
  std::string working_dir;
  std::map<std::string, std::string> labels;
  std::vector<std::string> exposed_ports; // "80/tcp"
  std::vector<std::string> volumes;       // "/data"
  std::string stop_signal;
  std::optional<std::vector<std::string>> shell;
  std::vector<std::string> on_build;
  nlohmann::json healthcheck; // null when absent; kept verbatim

  std::vector<Digest> diff_ids; // rootfs.diff_ids, bottom layer first
  std::vector<HistoryEntry> history;

  // Parses untrusted config JSON; throws util::Error naming the bad field.
  static ImageConfig from_json(std::string_view bytes);
  // Serializes as an OCI image config (also readable as a Docker config). Fields that were
  // present in the parsed JSON but are unknown to this struct are preserved.
  std::string to_json() const;

  // Value of an env entry "K=V" by key, or nullopt.
  std::optional<std::string> env_value(std::string_view key) const;

  nlohmann::json extra; // unknown top-level and config fields, kept for round-trips
};

// Current time as RFC 3339 UTC with nanoseconds ("2026-11-22T14:20:24.123456789Z").
std::string now_rfc3339();
// Parses RFC 3339 to seconds since the epoch; nullopt if malformed.
std::optional<long long> parse_rfc3339(std::string_view text);

} // namespace image
