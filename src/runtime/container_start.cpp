#include "runtime/container_start.hpp"

#include "image/config.hpp"
#include "net/etc_files.hpp"
#include "runtime/confined.hpp"
#include "runtime/container_init.hpp"
#include "runtime/mount_plan.hpp"
#include "runtime/user.hpp"
#include "runtime/volumes.hpp"
#include "storage/store.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/log.hpp"
#include "util/strings.hpp"

#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

namespace runtime {

namespace {

NetworkNamespace network_namespace(const std::string& mode) {
  bool own = net::NetworkMode::parse(mode.empty() ? "host" : mode).private_namespace();
  return own ? NetworkNamespace::private_ : NetworkNamespace::shared;
}

// The user from the image's own passwd/group (read confined to the rootfs), and HOME from passwd
// when neither the image nor -e sets it (Docker's rule).
ResolvedUser resolve_in_rootfs(ContainerSpec& spec, const std::filesystem::path& rootfs) {
  std::string passwd = read_file_in_root(rootfs, "/etc/passwd").value_or("");
  std::string group = read_file_in_root(rootfs, "/etc/group").value_or("");
  ResolvedUser user = resolve_user(spec.user, passwd, group);
  bool has_home = std::any_of(spec.env.begin(), spec.env.end(),
                              [](const std::string& entry) { return entry.rfind("HOME=", 0) == 0; });
  if (!has_home)
    spec.env.push_back("HOME=" + user.home);
  return user;
}

// /etc/hosts, /etc/hostname and /etc/resolv.conf for the container, bound over the image's.
void write_etc_files(const std::filesystem::path& dir, const ContainerSpec& spec) {
  util::make_dirs(dir, 0755);
  net::NetworkMode mode = net::NetworkMode::parse(spec.network.empty() ? "host" : spec.network);
  net::write_etc_files(dir, spec.network_options.etc_files(mode, spec.hostname));
}

// setgroups(2) is denied in a user namespace with a single-id mapping.
bool setgroups_allowed() {
  std::optional<std::string> text = util::read_file_if_exists("/proc/self/setgroups");
  return !text || util::trim(*text) != "deny";
}

// The host's own user namespace (PROC_USER_INIT_INO), where root may raise hard limits.
bool in_initial_user_namespace() {
  struct stat st{};
  return ::stat("/proc/self/ns/user", &st) == 0 && st.st_ino == 0xEFFFFFFDU;
}

// A hard limit above cove's own can be set only with CAP_SYS_RESOURCE over the host (root):
// said before anything starts, in the words of the flag.
void check_ulimits(const std::vector<Ulimit>& ulimits) {
  for (const Ulimit& u : ulimits) {
    rlimit own{};
    if (::getrlimit(u.resource, &own) < 0 || own.rlim_max == RLIM_INFINITY ||
        (u.hard != RLIM_INFINITY && u.hard <= own.rlim_max) ||
        (::geteuid() == 0 && in_initial_user_namespace()))
      continue;
    throw util::Error(util::cat("--ulimit ", u.str(), ": the hard limit is above this user's (",
                                own.rlim_max, "); only root can raise it"));
  }
}

ChildPlan make_child_plan(const ContainerSpec& spec, const ResolvedUser& user,
                          const std::filesystem::path& rootfs, MountPlan mounts) {
  ChildPlan plan;
  plan.mounts = std::move(mounts);
  plan.rootfs = rootfs.string();
  plan.hostname = spec.hostname;
  plan.cwd = spec.cwd;
  plan.uid = user.uid;
  plan.gid = user.gid;
  plan.groups = user.groups;
  plan.set_groups = setgroups_allowed();
  plan.loopback_up = network_namespace(spec.network) == NetworkNamespace::private_;
  plan.args = spec.args;
  plan.env = spec.env;
  plan.ulimits = spec.ulimits;
  check_ulimits(spec.ulimits);
  return plan;
}

// The attachment to a user-defined network, for a container whose mode names one. The CLI
// (`run`, `start`, `restart`) leases the shared namespace before entering its user namespace.
std::optional<net::BridgeRequest> bridge_request(const storage::Store& store,
                                                 const RuntimeOptions& options,
                                                 const storage::ContainerRecord& record,
                                                 const ContainerSpec& spec,
                                                 const net::ContainerNetwork::Request& network) {
  net::NetworkMode mode = net::NetworkMode::parse(spec.network.empty() ? "host" : spec.network);
  if (mode.driver != net::NetworkDriver::bridge)
    return std::nullopt;
  if (options.netns_lease == nullptr)
    throw util::Error(util::cat("start container ", record.name, " on network ", mode.str(),
                                ": the shared network namespace was not leased"));
  const std::filesystem::path userdata = store.containers().dir(record.id) / "userdata";
  net::BridgeRequest request;
  request.networks = mode.networks;
  request.container_id = record.id;
  request.container_name = record.name;
  request.storage_root = store.root();
  request.hosts_file = userdata / "hosts";
  request.ports_file = userdata / "ports";
  request.ports = network.ports;
  return request;
}

// The running container whose network namespace a container:NAME container joins.
std::optional<NetworkPeer> network_peer(const storage::Store& store, const ContainerSpec& spec) {
  if (spec.network.rfind("container:", 0) != 0)
    return std::nullopt;
  return find_network_peer(store.containers(), net::NetworkMode::parse(spec.network).container);
}

std::vector<storage::LayerLease> lease_layers(const storage::Store& store,
                                              const std::vector<image::Digest>& layers) {
  std::vector<storage::LayerLease> leases;
  for (const image::Digest& layer : layers)
    leases.push_back(store.layers().lease(layer));
  return leases;
}

} // namespace

std::unique_ptr<NetnsAhead> make_netns_ahead(const std::string& network) {
  if (network.empty())
    return nullptr;
  net::NetworkDriver driver = net::NetworkMode::parse(network).driver;
  if (driver != net::NetworkDriver::slirp4netns && driver != net::NetworkDriver::none)
    return nullptr;
  return std::make_unique<NetnsAhead>();
}

PreparedStart prepare_start(storage::Store& store, const RuntimeOptions& options,
                            const storage::ContainerRecord& record, int terminal_from,
                            std::unique_ptr<NetnsAhead> netns) {
  ContainerSpec spec = ContainerSpec::from_json(record.spec);
  network_namespace(spec.network);
  // slirp4netns: the namespace needs nothing from the container, so it is made meanwhile on
  // another core (NetnsAhead; `run` starts it before the container is created), slirp4netns is
  // started on it as soon as it exists and sets itself up while the rootfs is mounted and the
  // child mounts and pivots, and the child joins it. --network none uses a namespace only when
  // `run` made it ahead: started here, a thread measured slower than CLONE_NEWNET in the clone
  // (10.1 vs 9.5 ms), while made during the create it saves about half a millisecond.
  net::NetworkDriver driver = spec.network.empty() ? net::NetworkDriver::host
                                                   : net::NetworkMode::parse(spec.network).driver;
  if (driver == net::NetworkDriver::slirp4netns && !netns)
    netns = std::make_unique<NetnsAhead>();
  else if (driver != net::NetworkDriver::slirp4netns && driver != net::NetworkDriver::none)
    netns.reset();
  image::ImageConfig config = image::ImageConfig::from_json(store.blobs().read(record.image_id));
  std::vector<storage::LayerLease> leases = lease_layers(store, config.diff_ids);
  const std::filesystem::path dir = store.containers().dir(record.id);
  net::ContainerNetwork::Request network = net::ContainerNetwork::plan(
      spec.network.empty() ? "host" : spec.network, spec.network_options, config.exposed_ports,
      dir / "userdata" / "ports");
  std::optional<net::ContainerNetwork> early_network =
      netns ? net::ContainerNetwork::begin(network, netns->wait()) : std::nullopt;
  DriverChoice choice = choose_driver(store, options.driver);
  MountedRootfs rootfs =
      MountedRootfs::mount(store, choice, config.diff_ids, dir, Access::read_write,
                           record.auto_remove ? Lifetime::transient : Lifetime::persistent);
  ResolvedUser user = resolve_in_rootfs(spec, rootfs.path());
  storage::VolumeStore volumes(store.root());
  prepare_mount_sources(volumes, spec, rootfs.path(), user.uid, user.gid);
  write_etc_files(dir / "userdata", spec);
  std::optional<NetworkPeer> peer = network_peer(store, spec);
  if (peer) // Docker's rule: the other container's hosts, resolv.conf and host name
    spec.hostname = adopt_peer_etc_files(*peer, dir / "userdata");
  std::optional<Pty> pty;
  if (spec.tty)
    pty.emplace(Pty::for_container(terminal_from));
  MountInputs inputs{rootfs.path(), dir / "userdata", std::string()};
  ChildPlan plan = make_child_plan(spec, user, rootfs.path(), make_mount_plan(spec, inputs));
  if (record.init)
    add_init(plan, find_init_binary());
  std::string freezer_error;
  std::optional<FreezerCgroup> freezer = FreezerCgroup::create(record.id, freezer_error);
  std::optional<net::BridgeRequest> bridge =
      bridge_request(store, options, record, spec, network);
  return PreparedStart{std::move(leases),  std::move(rootfs),        std::move(spec),
                       std::move(pty),     std::move(plan),          std::move(network),
                       std::nullopt,       std::move(freezer),       std::move(freezer_error),
                       std::move(bridge),  options.netns_lease,      std::nullopt,
                       std::move(peer),    std::move(netns),         std::move(early_network)};
}

ContainerProcess launch(PreparedStart& prepared) {
  // -t: the container creates its pty in its own devpts and passes the master back.
  prepared.plan.console = prepared.pty.has_value();
  if (prepared.pty)
    prepared.plan.console_size = prepared.pty->initial_size();
  // container:NAME: this process enters the other container's network namespace and the
  // container, cloned without CLONE_NEWNET, shares it.
  if (prepared.network_peer)
    join_peer_network(*prepared.network_peer);
  // The namespace made ahead serves the first start only; a restart's clone makes a new one.
  util::UniqueFd netns = prepared.netns ? prepared.netns->take() : util::UniqueFd();
  prepared.netns.reset();
  prepared.plan.netns_fd = netns ? netns.get() : -1;
  prepared.plan.loopback_up =
      !netns && network_namespace(prepared.spec.network) == NetworkNamespace::private_;
  std::optional<net::SocketFilter> filter = net::ContainerNetwork::socket_filter(prepared.network);
  prepared.plan.intercept_sockets = filter.has_value();
  if (filter)
    prepared.plan.socket_filter = *filter;
  // A restart: the previous run's network helpers go first (they hold the published ports).
  prepared.connected.reset();
  prepared.bridged.reset();
  // The first start's helper, started with the namespace made ahead, may still be setting
  // itself up: the child waits for its ready byte right before exec
  // (ChildPlan::network_ready_fd), so the two set up side by side. The ports are published
  // after the clone (finish(), the forwarder needs nothing from slirp4netns).
  bool child_waits_for_network = false;
  if (prepared.early_network) {
    if (prepared.early_network->ready_fd() >= 0) {
      prepared.plan.network_ready_fd = prepared.early_network->ready_fd();
      child_waits_for_network = true;
    } else {
      prepared.early_network->finish(prepared.network);
    }
    prepared.connected.emplace(std::move(*prepared.early_network));
    prepared.early_network.reset();
  }
  // Work between the clone and the exec needs the child in a copy of cove's memory, waiting;
  // without any, the launcher spawns it vfork-style (no page tables copied, one address space
  // less). Anything added to the hook below must be added to this condition too.
  const bool helper_after_clone = !prepared.connected && prepared.network.mode.has_helper();
  const bool between = prepared.freezer || prepared.bridge || helper_after_clone;
  AfterClone after_clone;
  if (between) {
    after_clone = [&](pid_t pid) {
      if (prepared.freezer) // before exec: every process of the container is in it
        prepared.freezer->add(pid);
      if (!prepared.connected)
        prepared.connected.emplace(net::ContainerNetwork::connect(pid, prepared.network));
      if (prepared.bridge)
        prepared.bridged.emplace(
            net::BridgeAttachment::attach(pid, *prepared.bridge, *prepared.netns_lease));
    };
  } else if (!prepared.connected) {
    prepared.connected.emplace(); // nothing to connect
  }
  std::optional<ContainerProcess> started;
  try {
    started.emplace(
        Launcher::start(prepared.plan, network_namespace(prepared.spec.network), after_clone));
  } catch (...) {
    prepared.plan.network_ready_fd = -1;
    // The child failed before it read the ready byte, or the helper failed: finish() waits for
    // the helper and throws its own error, which says more than the child's.
    if (child_waits_for_network)
      prepared.connected->finish(prepared.network);
    throw;
  }
  ContainerProcess process = std::move(*started);
  if (child_waits_for_network) { // the command runs, so the child read the byte
    prepared.plan.network_ready_fd = -1;
    prepared.connected->ready_seen();
    prepared.connected->finish(prepared.network);
  }
  if (util::UniqueFd listener = process.take_socket_listener()) // after the forwarder started
    prepared.connected->serve_sockets(std::move(listener), process.take_relay_listener(),
                                      prepared.network);
  else if (prepared.plan.intercept_sockets)
    LOG_DEBUG("no seccomp user notifications: the container's sockets stay in its namespace");
  if (prepared.pty)
    prepared.pty->attach(process.take_console());
  return process;
}

void set_freezer(ContainerState& state, const PreparedStart& prepared) {
  state.freezer = prepared.freezer ? prepared.freezer->dir().string() : std::string();
  state.freezer_error = prepared.freezer_error;
}

ContainerState state_of(const storage::ContainerRecord& record) {
  return ContainerState::from_json(record.state);
}

void save_state(const storage::ContainerStore& containers, storage::ContainerRecord& record,
                const ContainerState& state) {
  record.state = state.to_json();
  containers.save(record);
}

} // namespace runtime
