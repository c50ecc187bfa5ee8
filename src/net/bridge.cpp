#include "net/bridge.hpp"

#include "net/hosts_sync.hpp"
#include "net/netlink.hpp"
#include "net/netns_ports.hpp"
#include "net/network_store.hpp"
#include "net/rootless_netns.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/log.hpp"
#include "util/strings.hpp"

#include <fcntl.h>

#include <algorithm>

namespace net {

namespace {

// The bridges and veths carry slirp4netns' MTU: larger frames, fewer packets per byte.
constexpr unsigned bridge_mtu = 65520;

unsigned long long start_time_of(pid_t pid) {
  std::string stat = util::read_file(util::cat("/proc/", pid, "/stat"));
  size_t paren = stat.rfind(')');
  std::vector<std::string> fields = util::split(std::string_view(stat).substr(paren + 2), ' ');
  if (fields.size() < 20)
    throw util::Error(util::cat("read the start time of process ", pid));
  return std::stoull(fields[19]);
}

// The bridge of `record` in the shared namespace, created on first use. A new bridge gets
// "unreachable" rules both ways against every other bridge present, so traffic between networks
// is never forwarded; an internal network also gets no route out (a rule that only lets its own
// subnet through).
int ensure_bridge(NetlinkSocket& holder, const NetworkRecord& record,
                  const std::vector<NetworkRecord>& all) {
  std::string name = record.bridge_name();
  if (std::optional<int> index = holder.link_index(name))
    return *index;
  holder.add_bridge(name, bridge_mtu);
  int index = holder.link_index(name).value_or(0);
  for (const NetworkRecord& other : all) {
    if (other.id == record.id || !holder.link_index(other.bridge_name()))
      continue;
    holder.add_unreachable_rule(name, other.subnet);
    holder.add_unreachable_rule(other.bridge_name(), record.subnet);
  }
  if (record.internal)
    holder.add_internal_rules(name, record.subnet);
  holder.add_address(index, record.gateway, record.subnet.prefix);
  holder.set_up(index);
  LOG_DEBUG("created bridge ", name, " for network ", record.name, " (", record.subnet.str(), ")");
  return index;
}

// The container-side name and the host-side name (unique in the shared namespace) of the veth
// pair for network number `n`.
std::string veth_name(const std::string& container_id, size_t n) {
  return util::cat("v", container_id.substr(0, 11), n);
}

// The container's MAC address, derived from its IP address as Docker does (02:42 and the four
// bytes): a container that gets a released address also gets its MAC, so the neighbours' ARP
// caches are still right and traffic to the new container does not wait for a stale entry.
std::array<unsigned char, 6> mac_for(Ipv4 address) {
  return {0x02, 0x42, static_cast<unsigned char>(address.value >> 24),
          static_cast<unsigned char>(address.value >> 16),
          static_cast<unsigned char>(address.value >> 8), static_cast<unsigned char>(address.value)};
}

std::vector<Ipv4> used_addresses(const NetworkRecord& record) {
  std::vector<Ipv4> used;
  for (const Endpoint& e : record.endpoints)
    used.push_back(e.address);
  return used;
}

void write_ports_file(const std::filesystem::path& path, const std::vector<PortMapping>& ports) {
  if (path.empty())
    return;
  std::string text;
  for (const PortMapping& port : ports)
    text += describe(port) + "\n";
  util::write_file_atomic(path, text, 0644, util::Durability::process_safe);
}

util::UniqueFd open_netns(pid_t pid) {
  std::string path = util::cat("/proc/", pid, "/ns/net");
  util::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd)
    util::throw_errno(util::cat("open ", util::quote(path)));
  return fd;
}

} // namespace

BridgeAttachment BridgeAttachment::attach(pid_t pid, const BridgeRequest& request,
                                          const NetnsLease& lease) {
  BridgeAttachment attachment;
  attachment.m_storage_root = request.storage_root;
  attachment.m_api = lease.api_socket();
  NetworkStore store(request.storage_root);
  util::FileLock lock = store.lock();
  std::vector<NetworkRecord> all = store.list();
  for (NetworkRecord& record : all)
    prune_dead_endpoints(record);
  util::UniqueFd container_netns = open_netns(pid);
  NetlinkSocket holder = NetlinkSocket::open_in(lease.network_namespace());
  NetlinkSocket inside = NetlinkSocket::open_in(container_netns.get());
  Endpoint endpoint;
  endpoint.container_id = request.container_id;
  endpoint.container_name = request.container_name;
  endpoint.aliases = request.aliases;
  endpoint.pid = pid;
  endpoint.start_time = start_time_of(pid);
  endpoint.hosts_file = request.hosts_file;
  attachment.m_active = true; // from here on the destructor releases what was recorded
  std::vector<NetworkRecord*> joined;
  for (size_t n = 0; n < request.networks.size(); ++n) {
    auto it = std::find_if(all.begin(), all.end(), [&](const NetworkRecord& r) {
      return r.name == request.networks[n] || r.id == request.networks[n];
    });
    if (it == all.end())
      throw util::Error(util::cat("network ", request.networks[n], " not found"));
    NetworkRecord& record = *it;
    int bridge = ensure_bridge(holder, record, all);
    std::optional<Ipv4> address =
        allocate_address(record.subnet, record.gateway, used_addresses(record));
    if (!address)
      throw util::Error(util::cat("network ", record.name, ": no free address left in ",
                                  record.subnet.str()));
    std::string host_side = veth_name(request.container_id, n);
    std::string inner = util::cat("eth", n);
    holder.add_veth(host_side, inner, container_netns.get(), bridge_mtu, mac_for(*address));
    int host_index = holder.link_index(host_side).value_or(0);
    holder.set_master(host_index, bridge);
    holder.set_up(host_index);
    int inner_index = inside.link_index(inner).value_or(0);
    inside.add_address(inner_index, *address, record.subnet.prefix);
    inside.set_up(inner_index);
    if (n == 0 && !record.internal)
      inside.add_default_route(record.gateway);
    endpoint.address = *address;
    endpoint.interface = inner;
    record.endpoints.push_back(endpoint);
    joined.push_back(&record);
    LOG_DEBUG("container ", request.container_name, " is ", address->str(), " on ", record.name);
  }
  if (!request.ports.empty() && !joined.empty()) {
    Endpoint& first = joined.front()->endpoints.back();
    for (PortMapping port : request.ports) {
      first.forwards.push_back(add_forward(lease.api_socket(), port, first.address));
      attachment.m_ports.push_back(port);
      store.save(*joined.front()); // a forward is never added without being recorded
    }
  }
  for (NetworkRecord* record : joined)
    store.save(*record);
  write_ports_file(request.ports_file, attachment.m_ports);
  sync_hosts(all);
  return attachment;
}

BridgeAttachment::BridgeAttachment(BridgeAttachment&& other) noexcept
    : m_storage_root(std::move(other.m_storage_root)), m_api(std::move(other.m_api)),
      m_ports(std::move(other.m_ports)), m_active(std::exchange(other.m_active, false)) {}

BridgeAttachment::~BridgeAttachment() {
  // The container's process is gone (or the start failed and it was killed): its endpoints are
  // dead, and the veths went with its namespace.
  if (m_active)
    release_dead_endpoints(m_storage_root, m_api);
}

} // namespace net
