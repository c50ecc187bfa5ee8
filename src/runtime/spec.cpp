#include "runtime/spec.hpp"

#include "util/error.hpp"
#include "util/strings.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>

namespace runtime {

namespace {

using json = nlohmann::json;

constexpr std::string_view default_path =
    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

// Lexically normalized absolute path without a trailing slash ("/a/../b/" -> "/b").
std::string normalize_absolute(std::string_view path) {
  std::string out = std::filesystem::path(path).lexically_normal().string();
  while (out.size() > 1 && out.back() == '/')
    out.pop_back();
  return out;
}

// An ordered "K=V" list where setting an existing key replaces its value in place.
class EnvList {
public:
  void set(std::string entry) {
    std::string_view key = key_of(entry);
    auto it = std::find_if(m_entries.begin(), m_entries.end(),
                           [&](const std::string& e) { return key_of(e) == key; });
    if (it == m_entries.end())
      m_entries.push_back(std::move(entry));
    else
      *it = std::move(entry);
  }
  std::vector<std::string> take() { return std::move(m_entries); }

private:
  static std::string_view key_of(std::string_view entry) {
    return entry.substr(0, entry.find('='));
  }
  std::vector<std::string> m_entries;
};

// "-e K=V" as given, "-e K" from the caller's environment (dropped when unset there).
void add_env_arg(EnvList& env, std::string_view arg, const EnvLookup& lookup,
                 std::string_view origin) {
  size_t eq = arg.find('=');
  std::string_view key = arg.substr(0, eq);
  if (key.empty())
    throw util::Error(
        util::cat("invalid environment variable ", util::quote(arg), origin, ": no variable name"));
  if (key.find_first_of(" \t") != std::string_view::npos)
    throw util::Error(util::cat("invalid environment variable ", util::quote(arg), origin,
                                ": variable name contains whitespace"));
  if (eq != std::string_view::npos) {
    env.set(std::string(arg));
    return;
  }
  if (auto value = lookup ? lookup(std::string(key)) : std::nullopt)
    env.set(util::cat(key, '=', *value));
}

// Docker's env-file format: one K=V or K per line, '#' comments, leading blanks ignored.
void add_env_file(EnvList& env, std::string_view content, const EnvLookup& lookup, size_t index) {
  constexpr std::string_view utf8_bom = "\xEF\xBB\xBF"; // editors on other systems add one
  if (content.substr(0, utf8_bom.size()) == utf8_bom)
    content.remove_prefix(utf8_bom.size());
  auto lines = util::split(content, '\n');
  for (size_t i = 0; i < lines.size(); ++i) {
    std::string_view line = lines[i];
    if (!line.empty() && line.back() == '\r')
      line.remove_suffix(1);
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t'))
      line.remove_prefix(1);
    if (line.empty() || line.front() == '#')
      continue;
    add_env_arg(env, line, lookup, util::cat(" in env file ", index + 1, " line ", i + 1));
  }
}

std::vector<std::string> make_args(const image::ImageConfig& config, const RunRequest& request) {
  std::vector<std::string> args;
  if (request.entrypoint) {
    if (!request.entrypoint->empty())
      args.push_back(*request.entrypoint);
    args.insert(args.end(), request.command.begin(), request.command.end());
  } else {
    if (config.entrypoint)
      args = *config.entrypoint;
    const auto& cmd =
        request.command.empty() ? config.cmd.value_or(std::vector<std::string>{}) : request.command;
    args.insert(args.end(), cmd.begin(), cmd.end());
  }
  if (args.empty())
    throw util::Error(
        "no command specified: the image has no Entrypoint or Cmd and none was given");
  return args;
}

// Letters, digits, '-', '.', '_' and at most 64 characters (HOST_NAME_MAX for sethostname).
void check_hostname(std::string_view name) {
  bool ok = !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_';
  });
  if (!ok)
    throw util::Error(util::cat("invalid hostname ", util::quote(name)));
}

// Path depth for ordering mounts: "/a" before "/a/b".
size_t depth(const std::string& path) {
  return static_cast<size_t>(std::count(path.begin(), path.end(), '/'));
}

std::vector<Mount> make_mounts(const std::vector<Mount>& requested,
                               const std::vector<std::string>& image_volumes) {
  std::vector<Mount> mounts;
  for (const Mount& mount : requested) {
    for (const Mount& other : mounts) {
      if (other.destination == mount.destination)
        throw util::Error(util::cat("duplicate mount point ", util::quote(mount.destination)));
    }
    mounts.push_back(mount);
  }
  for (const std::string& path : image_volumes) {
    if (path.empty() || path.front() != '/')
      continue; // Docker ignores relative VOLUME paths of old images too
    Mount volume;
    volume.type = MountType::volume;
    volume.destination = normalize_absolute(path);
    volume.anonymous = true;
    bool covered = volume.destination == "/" ||
                   std::any_of(mounts.begin(), mounts.end(), [&](const Mount& m) {
                     return m.destination == volume.destination;
                   });
    if (!covered)
      mounts.push_back(std::move(volume));
  }
  std::stable_sort(mounts.begin(), mounts.end(), [](const Mount& a, const Mount& b) {
    return depth(a.destination) < depth(b.destination);
  });
  return mounts;
}

json mount_to_json(const Mount& m) {
  return {{"type", to_string(m.type)}, {"source", m.source},       {"destination", m.destination},
          {"read_only", m.read_only},  {"options", m.options},     {"host_path", m.host_path},
          {"anonymous", m.anonymous},  {"chown", m.chown},         {"no_copy", m.no_copy}};
}

MountType mount_type(const std::string& text) {
  for (MountType type : {MountType::bind, MountType::volume, MountType::tmpfs})
    if (text == to_string(type))
      return type;
  throw util::Error(util::cat("unknown mount type ", util::quote(text)));
}

// Records written before volumes existed hold bind mounts with only the first three keys.
Mount mount_from_json(const json& j) {
  Mount m;
  m.type = mount_type(j.value("type", std::string("bind")));
  j.at("source").get_to(m.source);
  j.at("destination").get_to(m.destination);
  j.at("read_only").get_to(m.read_only);
  m.options = j.value("options", std::string());
  m.host_path = j.value("host_path", std::string());
  m.anonymous = j.value("anonymous", false);
  m.chown = j.value("chown", false);
  m.no_copy = j.value("no_copy", false);
  return m;
}

} // namespace

const char* to_string(MountType type) noexcept {
  switch (type) {
  case MountType::bind:
    return "bind";
  case MountType::volume:
    return "volume";
  case MountType::tmpfs:
    return "tmpfs";
  }
  return "bind";
}

std::vector<std::string> env_file_entries(std::string_view content, const EnvLookup& lookup,
                                          size_t index) {
  EnvList env;
  add_env_file(env, content, lookup, index);
  return env.take();
}

ContainerSpec make_spec(const image::ImageConfig& config, const RunRequest& request,
                        const std::string& container_id,
                        const std::vector<std::string>& env_file_contents,
                        const EnvLookup& lookup) {
  ContainerSpec spec;
  spec.args = make_args(config, request);
  if (!request.hostname.empty() && request.network.rfind("container:", 0) == 0)
    throw util::Error(util::cat("conflicting options: --hostname and --network ",
                                request.network, " (the container uses the other container's "
                                "host name)"));
  spec.hostname = request.hostname.empty() ? container_id.substr(0, 12) : request.hostname;
  check_hostname(spec.hostname);

  EnvList env;
  if (!config.env_value("PATH"))
    env.set(std::string(default_path));
  for (const auto& entry : config.env)
    env.set(entry);
  env.set("HOSTNAME=" + spec.hostname);
  if (request.tty)
    env.set("TERM=xterm");
  for (size_t i = 0; i < env_file_contents.size(); ++i)
    add_env_file(env, env_file_contents[i], lookup, i);
  for (const auto& arg : request.env)
    add_env_arg(env, arg, lookup, "");
  spec.env = env.take();

  std::string cwd = !request.workdir.empty() ? request.workdir : config.working_dir;
  if (cwd.empty())
    cwd = "/";
  if (cwd.front() != '/')
    throw util::Error(
        util::cat("invalid working directory ", util::quote(cwd), ": must be an absolute path"));
  spec.cwd = normalize_absolute(cwd);

  spec.user = !request.user.empty() ? request.user : config.user;
  net::NetworkMode network =
      net::NetworkMode::parse(request.network.empty() ? "host" : request.network);
  spec.network = network.str();
  request.network_options.check(network);
  spec.network_options = request.network_options;
  spec.mounts = make_mounts(request.mounts, config.volumes);
  spec.tty = request.tty;
  spec.stdin_open = request.interactive;
  spec.read_only = request.read_only;
  spec.ulimits = request.ulimits;
  return spec;
}

nlohmann::json ContainerSpec::to_json() const {
  json mounts_json = json::array();
  for (const auto& m : mounts)
    mounts_json.push_back(mount_to_json(m));
  json ulimits_json = json::array();
  for (const Ulimit& u : ulimits)
    ulimits_json.push_back({{"name", u.name},
                            {"soft", u.soft == RLIM_INFINITY ? -1LL : static_cast<long long>(u.soft)},
                            {"hard", u.hard == RLIM_INFINITY ? -1LL : static_cast<long long>(u.hard)}});
  return {{"args", args},          {"env", env},           {"cwd", cwd},
          {"user", user},          {"hostname", hostname}, {"network", network},
          {"mounts", mounts_json}, {"tty", tty},           {"stdin_open", stdin_open},
          {"read_only", read_only}, {"network_options", network_options.to_json()},
          {"ulimits", ulimits_json}};
}

ContainerSpec ContainerSpec::from_json(const nlohmann::json& json) {
  try {
    ContainerSpec spec;
    json.at("args").get_to(spec.args);
    json.at("env").get_to(spec.env);
    json.at("cwd").get_to(spec.cwd);
    json.at("user").get_to(spec.user);
    json.at("hostname").get_to(spec.hostname);
    json.at("network").get_to(spec.network);
    for (const auto& m : json.at("mounts"))
      spec.mounts.push_back(mount_from_json(m));
    json.at("tty").get_to(spec.tty);
    json.at("stdin_open").get_to(spec.stdin_open);
    json.at("read_only").get_to(spec.read_only);
    if (json.contains("network_options"))
      spec.network_options = net::NetworkOptions::from_json(json.at("network_options"));
    if (json.contains("ulimits"))
      for (const auto& u : json.at("ulimits"))
        spec.ulimits.push_back(Ulimit::of(u.at("name").get<std::string>(),
                                          u.at("soft").get<long long>(),
                                          u.at("hard").get<long long>()));
    return spec;
  } catch (const nlohmann::json::exception& e) {
    throw util::Error(util::cat("parse container spec: ", e.what()));
  }
}

} // namespace runtime
