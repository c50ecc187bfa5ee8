// User-defined networks on disk: one JSON record per network under <root>/networks/, replaced
// atomically, with a flock (<root>/networks/.lock) around every read-modify-write. A record also
// holds the network's endpoints (address management): one per running container attached.
#pragma once

#include "net/ipam.hpp"
#include "util/file_lock.hpp"

#include <nlohmann/json.hpp>

#include <sys/types.h>

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace net {

// A running container's attachment to a network.
struct Endpoint {
  std::string container_id;
  std::string container_name;
  std::vector<std::string> aliases; // --network-alias / connect --alias
  Ipv4 address;
  std::string interface;            // inside the container: eth0, eth1, ...
  pid_t pid = 0;                    // the container's init process, and its start time, so a
  unsigned long long start_time = 0; // reused pid never keeps an endpoint alive
  std::filesystem::path hosts_file; // the container's bind-mounted /etc/hosts
  bool publishes = false;           // its published ports go to this address (through its
                                    // forwarder, which lives as long as the container)

  // True while the recorded process is alive (same start time, not a zombie).
  bool alive() const;
};

struct NetworkRecord {
  std::string name;
  std::string id; // 64 hex digits
  std::string driver = "bridge";
  Subnet subnet;
  Ipv4 gateway;
  bool internal = false; // no route to the outside
  std::map<std::string, std::string> labels;
  std::string created; // RFC 3339
  std::vector<Endpoint> endpoints;

  // The bridge's interface name in the network namespace: "cove" and 10 hex digits of the id.
  std::string bridge_name() const;
  nlohmann::json to_json() const;
  // Throws util::Error for a malformed record.
  static NetworkRecord from_json(const nlohmann::json& json);
};

// What `network create` asks for.
struct NetworkCreateRequest {
  std::string name;
  std::optional<Subnet> subnet;  // default: the next free 10.89.x.0/24
  std::optional<Ipv4> gateway;   // default: the subnet's first host
  bool internal = false;
  std::map<std::string, std::string> labels;
};

// Throws util::Error unless `name` is a valid network name ([a-zA-Z0-9][a-zA-Z0-9_.-]*) that is
// not one of the network modes (none, host, bridge, slirp4netns, pasta, private, ...).
void check_network_name(std::string_view name);

class NetworkStore {
public:
  explicit NetworkStore(std::filesystem::path storage_root);

  // The exclusive lock every change (and every endpoint update) is made under.
  util::FileLock lock() const;
  // All records, sorted by name. Takes no lock: each file is replaced atomically.
  std::vector<NetworkRecord> list() const;
  // By name, full id or unique id prefix.
  std::optional<NetworkRecord> find(std::string_view name_or_id) const;
  // find() or util::Error "network NAME not found".
  NetworkRecord get(std::string_view name_or_id) const;
  // Validates the request (name free, subnet not overlapping another network, gateway inside)
  // and writes the new record. Call with lock() held.
  NetworkRecord create(const NetworkCreateRequest& request) const;
  // Replaces the record. Call with lock() held.
  void save(const NetworkRecord& record) const;
  // Removes the record. Call with lock() held.
  void remove(const NetworkRecord& record) const;

private:
  std::filesystem::path m_dir;
};

// Drops the endpoints whose container is no longer running; returns them.
std::vector<Endpoint> prune_dead_endpoints(NetworkRecord& record);

} // namespace net
