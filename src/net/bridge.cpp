#include "net/bridge.hpp"

#include "net/namespace_fd.hpp"
#include "net/hosts_sync.hpp"
#include "net/netlink.hpp"
#include "net/ports_file.hpp"
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

} // namespace

namespace {

NetworkRecord& find_record(std::vector<NetworkRecord>& all, std::string_view name_or_id) {
  auto it = std::find_if(all.begin(), all.end(), [&](const NetworkRecord& r) {
    return r.name == name_or_id || r.id == name_or_id;
  });
  if (it == all.end())
    throw util::Error(util::cat("network ", name_or_id, " not found"));
  return *it;
}

// Both ends of the work: netlink sockets in the shared namespace and in the container's.
struct Links {
  util::UniqueFd container_netns;
  NetlinkSocket holder;
  NetlinkSocket inside;
};

Links open_links(pid_t pid, const NetnsLease& lease) {
  util::UniqueFd netns = open_namespace(pid, "net");
  NetlinkSocket holder = NetlinkSocket::open_in(lease.network_namespace());
  NetlinkSocket inside = NetlinkSocket::open_in(netns.get());
  return {std::move(netns), std::move(holder), std::move(inside)};
}

// Puts the container on `record` as eth<n>: bridge, address, veth pair; the default route via
// the gateway when asked. Returns the endpoint as added to the record (not saved).
Endpoint& join(Links& links, NetworkRecord& record, const std::vector<NetworkRecord>& all,
               Endpoint endpoint, size_t n, bool default_route) {
  int bridge = ensure_bridge(links.holder, record, all);
  std::optional<Ipv4> address =
      allocate_address(record.subnet, record.gateway, used_addresses(record));
  if (!address)
    throw util::Error(util::cat("network ", record.name, ": no free address left in ",
                                record.subnet.str()));
  std::string host_side = veth_name(endpoint.container_id, n);
  std::string inner = util::cat("eth", n);
  // The same container's previous run (a restart, or start after stop): its namespace may still
  // be being torn down, with this veth on the bridge. The name is this container's own.
  if (std::optional<int> stale = links.holder.link_index(host_side))
    links.holder.delete_link(*stale);
  links.holder.add_veth(host_side, inner, links.container_netns.get(), bridge_mtu,
                        mac_for(*address));
  int host_index = links.holder.link_index(host_side).value_or(0);
  links.holder.set_master(host_index, bridge);
  links.holder.set_up(host_index);
  int inner_index = links.inside.link_index(inner).value_or(0);
  links.inside.add_address(inner_index, *address, record.subnet.prefix);
  links.inside.set_up(inner_index);
  if (default_route && !record.internal)
    links.inside.add_default_route(record.gateway);
  endpoint.address = *address;
  endpoint.interface = inner;
  record.endpoints.push_back(std::move(endpoint));
  LOG_DEBUG("container ", record.endpoints.back().container_name, " is ", address->str(), " on ",
            record.name, " (", inner, ")");
  return record.endpoints.back();
}

// The number of the container's interface: ethN.
std::optional<size_t> interface_number(const std::string& interface) {
  if (interface.rfind("eth", 0) != 0 || interface.size() == 3)
    return std::nullopt;
  try {
    return std::stoul(interface.substr(3));
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

} // namespace

void remove_endpoint_links(NetlinkSocket& holder, const std::vector<Endpoint>& dead) noexcept {
  for (const Endpoint& e : dead) {
    try {
      if (std::optional<size_t> n = interface_number(e.interface))
        if (std::optional<int> index = holder.link_index(veth_name(e.container_id, *n)))
          holder.delete_link(*index);
    } catch (const std::exception& error) {
      LOG_DEBUG("remove the veth of ", e.container_name, ": ", error.what()); // already going
    }
  }
}

namespace {

// Prunes every record's dead endpoints; returns them.
std::vector<Endpoint> prune_all(std::vector<NetworkRecord>& all) {
  std::vector<Endpoint> dead;
  for (NetworkRecord& record : all)
    for (Endpoint& e : prune_dead_endpoints(record))
      dead.push_back(std::move(e));
  return dead;
}

} // namespace

BridgeAttachment BridgeAttachment::attach(pid_t pid, const BridgeRequest& request,
                                          const NetnsLease& lease) {
  BridgeAttachment attachment;
  attachment.m_storage_root = request.storage_root;
  attachment.m_netns.reset(::fcntl(lease.network_namespace(), F_DUPFD_CLOEXEC, 0));
  NetworkStore store(request.storage_root);
  util::FileLock lock = store.lock();
  std::vector<NetworkRecord> all = store.list();
  std::vector<Endpoint> dead = prune_all(all);
  Links links = open_links(pid, lease);
  remove_endpoint_links(links.holder, dead);
  Endpoint endpoint;
  endpoint.container_id = request.container_id;
  endpoint.container_name = request.container_name;
  endpoint.pid = pid;
  endpoint.start_time = start_time_of(pid);
  endpoint.hosts_file = request.hosts_file;
  attachment.m_active = true; // from here on the destructor releases what was recorded
  std::vector<NetworkRecord*> joined;
  for (size_t n = 0; n < request.networks.size(); ++n) {
    NetworkRecord& record = find_record(all, request.networks[n].name);
    Endpoint mine = endpoint;
    mine.aliases = request.networks[n].aliases;
    join(links, record, all, std::move(mine), n, n == 0);
    joined.push_back(&record);
  }
  if (!request.ports.empty() && !joined.empty()) {
    // Through cove's forwarder, in the shared namespace, to the container's first address.
    Endpoint& first = joined.front()->endpoints.back();
    first.publishes = true;
    attachment.m_forwarder.emplace(
        PortForwarder::start(request.ports, lease.network_namespace(), first.address));
    attachment.m_ports = attachment.m_forwarder->ports();
  }
  for (NetworkRecord* record : joined)
    store.save(*record);
  write_ports_file(request.ports_file, attachment.m_ports);
  sync_hosts(all);
  return attachment;
}

void connect_running(pid_t pid, const std::string& container_id, const UserNetwork& network,
                     const std::filesystem::path& storage_root, const NetnsLease& lease) {
  NetworkStore store(storage_root);
  util::FileLock lock = store.lock();
  std::vector<NetworkRecord> all = store.list();
  std::vector<Endpoint> dead = prune_all(all);
  // The container's live endpoints elsewhere give its name, hosts file and process, and the
  // interface numbers taken.
  std::optional<Endpoint> model;
  size_t next = 0;
  for (const NetworkRecord& record : all)
    for (const Endpoint& e : record.endpoints)
      if (e.container_id == container_id && e.pid == pid) {
        model = e;
        if (std::optional<size_t> n = interface_number(e.interface))
          next = std::max(next, *n + 1);
      }
  if (!model)
    throw util::Error(util::cat("connect container ", container_id.substr(0, 12),
                                ": it has no endpoint on a user-defined network"));
  NetworkRecord& record = find_record(all, network.name);
  for (const Endpoint& e : record.endpoints)
    if (e.container_id == container_id)
      throw util::Error(util::cat("container ", model->container_name,
                                  " is already connected to network ", record.name));
  Links links = open_links(pid, lease);
  remove_endpoint_links(links.holder, dead);
  Endpoint endpoint = *model;
  endpoint.aliases = network.aliases;
  endpoint.publishes = false; // published ports stay on the first network
  join(links, record, all, std::move(endpoint), next, false);
  store.save(record);
  sync_hosts(all);
}

void disconnect_running(const std::string& container_id, const std::string& network,
                        const std::filesystem::path& storage_root, const NetnsLease& lease,
                        const std::string* default_via) {
  NetworkStore store(storage_root);
  util::FileLock lock = store.lock();
  std::vector<NetworkRecord> all = store.list();
  for (NetworkRecord& record : all)
    prune_dead_endpoints(record);
  NetworkRecord& record = find_record(all, network);
  auto it = std::find_if(record.endpoints.begin(), record.endpoints.end(),
                         [&](const Endpoint& e) { return e.container_id == container_id; });
  if (it == record.endpoints.end())
    return; // not running there: only its configuration changes
  if (it->publishes)
    throw util::Error(util::cat("disconnect container ", it->container_name, " from ", record.name,
                                ": its published ports are forwarded on that network (stop the "
                                "container first)"));
  std::optional<size_t> n = interface_number(it->interface);
  NetlinkSocket holder = NetlinkSocket::open_in(lease.network_namespace());
  // Deleting one end of a veth pair deletes both: the container's interface goes with it.
  if (n)
    if (std::optional<int> index = holder.link_index(veth_name(container_id, *n)))
      holder.delete_link(*index);
  LOG_DEBUG("container ", it->container_name, " left ", record.name, " (", it->interface, ")");
  pid_t pid = it->pid;
  record.endpoints.erase(it);
  store.save(record);
  sync_hosts(all);
  if (default_via == nullptr)
    return;
  // The default route went with the interface; the next network's gateway takes it over.
  NetworkRecord& next = find_record(all, *default_via);
  bool on_next = std::any_of(next.endpoints.begin(), next.endpoints.end(),
                             [&](const Endpoint& e) { return e.container_id == container_id; });
  if (!on_next || next.internal)
    return;
  util::UniqueFd netns = open_namespace(pid, "net");
  NetlinkSocket::open_in(netns.get()).add_default_route(next.gateway);
  LOG_DEBUG("container ", container_id.substr(0, 12), ": default route via ", next.name);
}

BridgeAttachment::BridgeAttachment(BridgeAttachment&& other) noexcept
    : m_storage_root(std::move(other.m_storage_root)),
      m_netns(std::move(other.m_netns)), m_forwarder(std::move(other.m_forwarder)),
      m_ports(std::move(other.m_ports)),
      m_active(std::exchange(other.m_active, false)) {}

BridgeAttachment::~BridgeAttachment() {
  // The container's process is gone (or the start failed and it was killed): its endpoints are
  // dead, and the veths went with its namespace.
  if (m_active)
    release_dead_endpoints(m_storage_root, m_netns.get());
}

} // namespace net
