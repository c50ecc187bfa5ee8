// The part of containers-registries.conf(5) cove honours: which registries are insecure.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace registry {

// One [[registry]] table (or an entry of the old [registries.insecure] list).
struct RegistryEntry {
  std::string location; // "host[:port][/path]", or "*.domain"
  bool insecure = false;
};

struct RegistriesConf {
  std::vector<RegistryEntry> registries;

  // The insecure flag of the most specific entry matching `name` ("host[:port]/repo/path"),
  // or nullopt when no entry matches.
  std::optional<bool> insecure_for(std::string_view name) const;
};

// Parses the TOML subset: [[registry]] tables with location/insecure, and the v1 form
// [registries.insecure] registries = ["a", "b"]. Other keys and tables are skipped. Throws
// util::Error("<origin>:<line>: ...") for malformed lines.
RegistriesConf parse_registries_conf(std::string_view text, std::string_view origin);

// ~/.config/containers/registries.conf when it exists (it replaces the system file, as in
// containers' tools), else /etc/containers/registries.conf, else empty.
RegistriesConf load_registries_conf();

} // namespace registry
