// NetworkOptions: the network flags of a container (-p, -P, --dns*, --add-host) as stored in its
// record, and what they turn into when the container starts.
#pragma once

#include "net/etc_files.hpp"
#include "net/network_mode.hpp"
#include "net/port_mapping.hpp"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace net {

// The name podman gives the host inside a container, when the container may reach the host.
inline constexpr std::string_view host_alias = "host.containers.internal";

struct NetworkOptions {
  std::vector<std::string> publish;     // -p texts, validated by check()
  bool publish_all = false;             // -P
  std::vector<std::string> dns;         // --dns
  std::vector<std::string> dns_search;  // --dns-search
  std::vector<std::string> dns_options; // --dns-option
  std::vector<std::string> add_hosts;   // --add-host NAME:IP ("host-gateway" = the host)

  // Validates everything against `mode` (ports need a private network; IPs must parse) so that
  // `run` fails before anything is created. Throws util::Error quoting the bad value.
  void check(const NetworkMode& mode) const;

  // The ports to publish: every -p, then with -P the image's EXPOSE entries on free host ports.
  std::vector<PortMapping> port_mappings(const std::vector<std::string>& exposed) const;

  // The /etc files request: DNS overrides, --add-host entries, and host.containers.internal
  // (the slirp4netns gateway) when the mode lets the container reach the host.
  EtcFilesRequest etc_files(const NetworkMode& mode, const std::string& hostname) const;

  // Stored form; from_json accepts records written before these options existed (missing keys).
  nlohmann::json to_json() const;
  static NetworkOptions from_json(const nlohmann::json& json);
  friend bool operator==(const NetworkOptions&, const NetworkOptions&) = default;
};

// Splits "--add-host NAME:IP" (IPv6 addresses keep their colons). "host-gateway" as IP becomes
// the host's address as seen from the container, which only exists when host loopback is allowed.
std::pair<std::string, std::string> parse_add_host(std::string_view text, const NetworkMode& mode);

} // namespace net
