#include "net/network_store.hpp"

#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/strings.hpp"

#include <algorithm>
#include <ctime>

namespace net {

namespace {

constexpr std::string_view reserved_names[] = {"none", "host", "bridge", "default", "private",
                                                "slirp4netns", "pasta", "container", "ns"};

std::string now_rfc3339() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  ::gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// The start time (field 22 of /proc/PID/stat) of a live, non-zombie process.
std::optional<unsigned long long> live_start_time(pid_t pid) {
  std::optional<std::string> stat =
      util::read_file_if_exists(util::cat("/proc/", pid, "/stat"));
  if (!stat)
    return std::nullopt;
  size_t paren = stat->rfind(')');
  if (paren == std::string::npos)
    return std::nullopt;
  std::vector<std::string> fields = util::split(std::string_view(*stat).substr(paren + 2), ' ');
  if (fields.size() < 20 || fields[0] == "Z" || fields[0] == "X")
    return std::nullopt;
  return std::stoull(fields[19]); // field 22 overall: fields[0] is field 3
}

nlohmann::json endpoint_json(const Endpoint& e) {
  return {{"container_id", e.container_id}, {"container_name", e.container_name},
          {"aliases", e.aliases},           {"address", e.address.str()},
          {"interface", e.interface},       {"pid", e.pid},
          {"start_time", e.start_time},     {"hosts_file", e.hosts_file.string()},
          {"publishes", e.publishes}};
}

Endpoint endpoint_from_json(const nlohmann::json& j) {
  Endpoint e;
  e.container_id = j.at("container_id").get<std::string>();
  e.container_name = j.at("container_name").get<std::string>();
  e.aliases = j.value("aliases", std::vector<std::string>{});
  e.address = Ipv4::parse(j.at("address").get<std::string>());
  e.interface = j.value("interface", "eth0");
  e.pid = j.at("pid").get<pid_t>();
  e.start_time = j.at("start_time").get<unsigned long long>();
  e.hosts_file = j.value("hosts_file", "");
  e.publishes = j.value("publishes", false);
  return e;
}

} // namespace

bool Endpoint::alive() const {
  std::optional<unsigned long long> started = live_start_time(pid);
  return started && *started == start_time;
}

std::string NetworkRecord::bridge_name() const {
  return "cove" + id.substr(0, 10);
}

nlohmann::json NetworkRecord::to_json() const {
  nlohmann::json endpoints_json = nlohmann::json::array();
  for (const Endpoint& e : endpoints)
    endpoints_json.push_back(endpoint_json(e));
  return {{"name", name},       {"id", id},         {"driver", driver},
          {"subnet", subnet.str()}, {"gateway", gateway.str()}, {"internal", internal},
          {"labels", labels},   {"created", created}, {"endpoints", endpoints_json}};
}

NetworkRecord NetworkRecord::from_json(const nlohmann::json& json) {
  try {
    NetworkRecord record;
    record.name = json.at("name").get<std::string>();
    record.id = json.at("id").get<std::string>();
    record.driver = json.value("driver", "bridge");
    record.subnet = Subnet::parse(json.at("subnet").get<std::string>());
    record.gateway = Ipv4::parse(json.at("gateway").get<std::string>());
    record.internal = json.value("internal", false);
    record.labels = json.value("labels", std::map<std::string, std::string>{});
    record.created = json.value("created", "");
    for (const nlohmann::json& e : json.value("endpoints", nlohmann::json::array()))
      record.endpoints.push_back(endpoint_from_json(e));
    return record;
  } catch (const nlohmann::json::exception& e) {
    throw util::Error(util::cat("malformed network record: ", e.what()));
  }
}

void check_network_name(std::string_view name) {
  auto valid_char = [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-';
  };
  if (name.empty() || !std::isalnum(static_cast<unsigned char>(name[0])) ||
      !std::all_of(name.begin(), name.end(), valid_char) || name.size() > 128)
    throw util::Error(util::cat("invalid network name ", util::quote(name),
                                ": names must match [a-zA-Z0-9][a-zA-Z0-9_.-]*"));
  for (std::string_view reserved : reserved_names)
    if (name == reserved)
      throw util::Error(util::cat("network name ", util::quote(name),
                                  " is reserved for a network mode"));
}

NetworkStore::NetworkStore(std::filesystem::path storage_root)
    : m_dir(std::move(storage_root) / "networks") {}

util::FileLock NetworkStore::lock() const {
  util::make_dirs(m_dir, 0700);
  return util::FileLock(m_dir / ".lock", util::LockMode::exclusive);
}

std::vector<NetworkRecord> NetworkStore::list() const {
  std::vector<NetworkRecord> records;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(m_dir, ec)) {
    const std::filesystem::path& path = entry.path();
    if (path.extension() != ".json" || path.filename().string().front() == '.')
      continue;
    std::optional<std::string> text = util::read_file_if_exists(path);
    if (!text)
      continue; // removed meanwhile
    try {
      records.push_back(NetworkRecord::from_json(nlohmann::json::parse(*text)));
    } catch (const std::exception& e) {
      throw util::Error(util::cat("read ", util::quote(path.string()), ": ", e.what()));
    }
  }
  std::sort(records.begin(), records.end(),
            [](const NetworkRecord& a, const NetworkRecord& b) { return a.name < b.name; });
  return records;
}

std::optional<NetworkRecord> NetworkStore::find(std::string_view name_or_id) const {
  std::vector<NetworkRecord> records = list();
  for (NetworkRecord& record : records)
    if (record.name == name_or_id || record.id == name_or_id)
      return std::move(record);
  std::optional<NetworkRecord> match;
  for (NetworkRecord& record : records) {
    if (name_or_id.empty() || record.id.rfind(name_or_id, 0) != 0)
      continue;
    if (match)
      throw util::Error(util::cat("network id prefix ", util::quote(name_or_id),
                                  " is ambiguous"));
    match = std::move(record);
  }
  return match;
}

NetworkRecord NetworkStore::get(std::string_view name_or_id) const {
  std::optional<NetworkRecord> record = find(name_or_id);
  if (!record)
    throw util::Error(util::cat("network ", name_or_id, " not found"));
  return std::move(*record);
}

NetworkRecord NetworkStore::create(const NetworkCreateRequest& request) const {
  check_network_name(request.name);
  std::vector<NetworkRecord> existing = list();
  std::vector<Subnet> used;
  for (const NetworkRecord& other : existing) {
    if (other.name == request.name)
      throw util::Error(util::cat("network name ", request.name, " already used"));
    used.push_back(other.subnet);
  }
  NetworkRecord record;
  record.name = request.name;
  record.id = util::random_hex(32);
  record.subnet = request.subnet ? *request.subnet : allocate_subnet(used);
  for (const NetworkRecord& other : existing)
    if (other.subnet.overlaps(record.subnet))
      throw util::Error(util::cat("subnet ", record.subnet.str(), " overlaps subnet ",
                                  other.subnet.str(), " of network ", other.name));
  record.gateway = request.gateway ? *request.gateway : record.subnet.first_host();
  if (!record.subnet.contains(record.gateway) || record.gateway == record.subnet.network ||
      record.gateway == record.subnet.broadcast())
    throw util::Error(util::cat("gateway ", record.gateway.str(),
                                " is not a host address of subnet ", record.subnet.str()));
  record.internal = request.internal;
  record.labels = request.labels;
  record.created = now_rfc3339();
  util::make_dirs(m_dir, 0700);
  util::write_file_atomic(m_dir / (record.name + ".json"), record.to_json().dump(2) + "\n", 0600);
  return record;
}

void NetworkStore::save(const NetworkRecord& record) const {
  util::write_file_atomic(m_dir / (record.name + ".json"), record.to_json().dump(2) + "\n", 0600,
                          util::Durability::process_safe);
}

void NetworkStore::remove(const NetworkRecord& record) const {
  std::filesystem::path path = m_dir / (record.name + ".json");
  if (::unlink(path.c_str()) < 0 && errno != ENOENT)
    util::throw_errno(util::cat("remove network record ", util::quote(path.string())));
}

std::vector<Endpoint> prune_dead_endpoints(NetworkRecord& record) {
  std::vector<Endpoint> dead;
  auto live_end = std::stable_partition(record.endpoints.begin(), record.endpoints.end(),
                                        [](const Endpoint& e) { return e.alive(); });
  dead.assign(live_end, record.endpoints.end());
  record.endpoints.erase(live_end, record.endpoints.end());
  return dead;
}

} // namespace net
