#include "cli/container_views.hpp"

#include "cli/image_views.hpp"
#include "cli/port_list.hpp"
#include "image/config.hpp"
#include "net/network_options.hpp"
#include "net/port_mapping.hpp"
#include "runtime/restart_policy.hpp"
#include "util/strings.hpp"

#include <algorithm>
#include <tuple>

namespace cli {

namespace {

using nlohmann::ordered_json;

std::vector<std::string> spec_args(const nlohmann::json& spec) {
  if (spec.is_object() && spec.contains("args") && spec["args"].is_array())
    return spec["args"].get<std::vector<std::string>>();
  return {};
}

template <typename T> T spec_value(const nlohmann::json& spec, const char* key, T fallback) {
  if (spec.is_object() && spec.contains(key) && !spec[key].is_null())
    return spec[key].get<T>();
  return fallback;
}

ordered_json spec_config(const nlohmann::json& spec, const char* key) {
  if (spec.is_object() && spec.contains("config") && spec["config"].contains(key))
    return ordered_json::parse(spec["config"][key].dump());
  return nullptr;
}

// Docker's Ellipsis counts characters, not bytes: UTF-8 continuation bytes are skipped.
std::string ellipsis(const std::string& text, size_t max) {
  size_t chars = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) == 0x80)
      continue;
    if (++chars == max)
      return text.substr(0, i) + "…";
  }
  return text;
}

std::string go_quote(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\')
      out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string labels_text(const ordered_json& labels) {
  std::vector<std::string> parts;
  if (labels.is_object())
    for (const auto& [key, value] : labels.items())
      parts.push_back(key + "=" + value.get<std::string>());
  return util::join(parts, ",");
}

ordered_json state_json(const runtime::ContainerState& state) {
  bool running = state.status == runtime::Status::running;
  return {{"Status", std::string(runtime::status_word(state))},
          {"Running", running},
          {"Paused", running && state.paused},
          {"Restarting", running && state.restarting},
          {"OOMKilled", false},
          {"Dead", false},
          {"Pid", running && !state.restarting ? state.process.pid : 0},
          {"ExitCode", state.status == runtime::Status::exited ? state.exit_code : 0},
          {"Error", ""},
          {"StartedAt", state.started_at.empty() ? "0001-01-01T00:00:00Z" : state.started_at},
          {"FinishedAt", state.finished_at.empty() ? "0001-01-01T00:00:00Z" : state.finished_at}};
}

// HostConfig.RestartPolicy: {"Name": "on-failure", "MaximumRetryCount": 3}.
ordered_json restart_policy_json(const std::string& text) {
  runtime::RestartPolicy policy = runtime::RestartPolicy::parse(text);
  return {{"Name", std::string(policy.name())}, {"MaximumRetryCount", policy.max_retries}};
}

// Docker's Mounts entries: volumes carry their name and driver, binds their propagation.
ordered_json mounts_json(const nlohmann::json& spec) {
  ordered_json mounts = ordered_json::array();
  if (!spec.is_object() || !spec.contains("mounts"))
    return mounts;
  for (const auto& m : spec["mounts"]) {
    std::string type = m.value("type", std::string("bind"));
    bool rw = !m.value("read_only", false);
    std::string destination = m.value("destination", std::string());
    if (type == "volume")
      mounts.push_back({{"Type", "volume"},
                        {"Name", m.value("source", std::string())},
                        {"Source", m.value("host_path", std::string())},
                        {"Destination", destination},
                        {"Driver", "local"},
                        {"Mode", ""},
                        {"RW", rw},
                        {"Propagation", ""}});
    else if (type == "tmpfs")
      mounts.push_back({{"Type", "tmpfs"},
                        {"Source", ""},
                        {"Destination", destination},
                        {"Mode", m.value("options", std::string())},
                        {"RW", rw},
                        {"Propagation", ""}});
    else
      mounts.push_back({{"Type", "bind"},
                        {"Source", m.value("source", std::string())},
                        {"Destination", destination},
                        {"Mode", ""},
                        {"RW", rw},
                        {"Propagation", "rprivate"}});
  }
  return mounts;
}

std::vector<std::string> binds(const nlohmann::json& spec) {
  std::vector<std::string> out;
  for (const auto& m : mounts_json(spec)) {
    if (m["Type"] == "tmpfs")
      continue;
    std::string source = m["Type"] == "volume" ? m["Name"].get<std::string>()
                                               : m["Source"].get<std::string>();
    out.push_back(util::cat(source, ":", m["Destination"].get<std::string>(),
                            m["RW"].get<bool>() ? "" : ":ro"));
  }
  return out;
}

// podman's Ports: [{"host_ip", "container_port", "host_port", "range", "protocol"}], or null.
ordered_json ports_json(const std::vector<PortRange>& ranges) {
  if (ranges.empty())
    return nullptr;
  ordered_json out = ordered_json::array();
  for (const PortRange& r : ranges)
    out.push_back({{"host_ip", r.host_ip},
                   {"container_port", r.container_port},
                   {"host_port", r.host_port},
                   {"range", r.range},
                   {"protocol", std::string(net::to_string(r.protocol))}});
  return out;
}

ordered_json row(const ContainerView& view, const PsOptions& options) {
  const storage::ContainerRecord& r = view.record;
  std::optional<long long> created = image::parse_rfc3339(r.created);
  std::string id = options.no_trunc ? r.id : r.id.substr(0, 12);
  ordered_json labels = spec_config(r.spec, "labels");
  return {{"ID", id},
          {"Image", r.image},
          {"Command", ps_command(spec_args(r.spec), options.no_trunc)},
          {"CreatedAt", docker_time(r.created)},
          {"RunningFor", created ? util::human_duration(options.now - *created) : ""},
          {"Ports", describe_port_ranges(collapse_ports(view.ports))},
          {"State", std::string(runtime::status_word(view.state))},
          {"Status", runtime::status_text(view.state, options.now)},
          {"Names", r.name},
          {"Labels", labels_text(labels)},
          {"Mounts", ""},
          {"Networks", spec_value<std::string>(r.spec, "network", "")},
          {"Size", ""}};
}

ordered_json ps_json(const ContainerView& view) {
  const storage::ContainerRecord& r = view.record;
  std::optional<long long> created = image::parse_rfc3339(r.created);
  const runtime::ContainerState& s = view.state;
  return {{"Id", r.id},
          {"Image", r.image},
          {"ImageID", r.image_id.hex()},
          {"Command", spec_args(r.spec)},
          {"Created", created.value_or(0)},
          {"CreatedAt", docker_time(r.created)},
          {"State", std::string(runtime::status_word(s))},
          {"Status", runtime::status_text(s, 0)},
          {"Exited", s.status == runtime::Status::exited},
          {"ExitCode", s.exit_code},
          {"Pid", s.status == runtime::Status::running && !s.restarting ? s.process.pid : 0},
          {"StartedAt", image::parse_rfc3339(s.started_at).value_or(0)},
          {"ExitedAt", image::parse_rfc3339(s.finished_at).value_or(0)},
          {"Names", {r.name}},
          {"Ports", ports_json(collapse_ports(view.ports))},
          {"AutoRemove", r.auto_remove},
          {"Labels", spec_config(r.spec, "labels")}};
}

} // namespace

std::string ps_command(const std::vector<std::string>& args, bool no_trunc) {
  std::string command = util::join(args, " ");
  if (!no_trunc)
    command = ellipsis(command, 20);
  return go_quote(command);
}

ListOutput container_list(const std::vector<ContainerView>& views, const PsOptions& options) {
  ListOutput list;
  list.default_format =
      "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}";
  list.headers = {{"ID", "CONTAINER ID"}, {"Image", "IMAGE"},      {"Command", "COMMAND"},
                  {"CreatedAt", "CREATED AT"}, {"RunningFor", "CREATED"}, {"Ports", "PORTS"},
                  {"State", "STATE"},       {"Status", "STATUS"},    {"Names", "NAMES"},
                  {"Labels", "LABELS"},     {"Mounts", "MOUNTS"},    {"Networks", "NETWORKS"},
                  {"Size", "SIZE"}};
  list.rows = ordered_json::array();
  list.json = ordered_json::array();
  for (const ContainerView& view : views) {
    list.rows.push_back(row(view, options));
    list.json.push_back(ps_json(view));
  }
  return list;
}

namespace {

std::string port_key(const net::PortMapping& port) {
  return util::cat(port.container_port, "/", net::to_string(port.protocol));
}

// NetworkSettings.Ports: {"80/tcp": [{"HostIp": "0.0.0.0", "HostPort": "8080"}, ...]}, the ports
// published while the container runs (Docker's idiom `(index .NetworkSettings.Ports "80/tcp")`).
ordered_json published_ports_json(std::vector<net::PortMapping> ports) {
  std::stable_sort(ports.begin(), ports.end(), [](const auto& a, const auto& b) {
    return std::tie(a.container_port, a.protocol) < std::tie(b.container_port, b.protocol);
  });
  ordered_json out = ordered_json::object();
  for (const net::PortMapping& port : ports)
    out[port_key(port)].push_back(
        {{"HostIp", port.host_ip}, {"HostPort", std::to_string(port.host_port)}});
  return out;
}

// HostConfig.Ulimits: [{"Name": "nofile", "Soft": 1024, "Hard": 2048}] (-1: unlimited).
ordered_json ulimits_json(const nlohmann::json& spec) {
  ordered_json out = ordered_json::array();
  if (spec.contains("ulimits"))
    for (const nlohmann::json& u : spec.at("ulimits"))
      out.push_back({{"Name", u.value("name", "")},
                     {"Soft", u.value("soft", 0LL)},
                     {"Hard", u.value("hard", 0LL)}});
  return out;
}

// HostConfig.PortBindings: what -p asked for, "" where no address or port was given.
ordered_json port_bindings_json(const nlohmann::json& spec) {
  ordered_json out = ordered_json::object();
  if (!spec.is_object() || !spec.contains("network_options"))
    return out;
  try {
    net::NetworkOptions options = net::NetworkOptions::from_json(spec.at("network_options"));
    for (const std::string& text : options.publish)
      for (const net::PortMapping& port : net::parse_port_mapping(text))
        out[port_key(port)].push_back(
            {{"HostIp", port.dual_stack ? std::string() : port.host_ip},
             {"HostPort", port.host_port == 0 ? std::string() : std::to_string(port.host_port)}});
  } catch (const std::exception&) {
    // A record written by another version: the bindings are left out, not the whole inspect.
  }
  return out;
}

} // namespace

ordered_json container_inspect_json(const ContainerView& view, const std::string& log_path) {
  const storage::ContainerRecord& r = view.record;
  const nlohmann::json& spec = r.spec;
  std::vector<std::string> args = spec_args(spec);
  ordered_json path = args.empty() ? "" : args.front();
  ordered_json rest = ordered_json::array();
  for (size_t i = 1; i < args.size(); ++i)
    rest.push_back(args[i]);
  std::string stop_signal = view.state.stop_signal.empty() ? "SIGTERM" : view.state.stop_signal;
  ordered_json labels = spec_config(spec, "labels");
  ordered_json config = {
      {"Hostname", spec_value<std::string>(spec, "hostname", "")},
      {"User", spec_value<std::string>(spec, "user", "")},
      {"Tty", spec_value<bool>(spec, "tty", false)},
      {"OpenStdin", spec_value<bool>(spec, "stdin_open", false)},
      {"Env", spec_value<std::vector<std::string>>(spec, "env", {})},
      {"Cmd", spec_config(spec, "cmd")},
      {"Image", r.image},
      {"WorkingDir", spec_value<std::string>(spec, "cwd", "/")},
      {"Entrypoint", spec_config(spec, "entrypoint")},
      {"Labels", labels.is_null() ? ordered_json::object() : labels},
      {"StopSignal", stop_signal}};
  ordered_json host_config = {
      {"Binds", binds(spec)},
      {"NetworkMode", spec_value<std::string>(spec, "network", "host")},
      {"PortBindings", port_bindings_json(spec)},
      {"AutoRemove", r.auto_remove},
      {"RestartPolicy", restart_policy_json(r.restart_policy)},
      {"Init", r.init},
      {"ReadonlyRootfs", spec_value<bool>(spec, "read_only", false)},
      {"Ulimits", ulimits_json(spec)},
      {"LogConfig", {{"Type", "k8s-file"}, {"Config", ordered_json::object()}}}};
  return {{"Id", r.id},
          {"Created", r.created},
          {"Path", path},
          {"Args", rest},
          {"State", state_json(view.state)},
          {"Image", r.image_id.str()},
          {"LogPath", log_path},
          {"Name", "/" + r.name},
          {"RestartCount", view.state.restart_count},
          {"Driver", r.driver},
          {"Mounts", mounts_json(spec)},
          {"Config", config},
          {"HostConfig", host_config},
          {"NetworkSettings", {{"Ports", published_ports_json(view.ports)}}}};
}

} // namespace cli
