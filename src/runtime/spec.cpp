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

std::vector<BindMount> make_mounts(const std::vector<std::string>& volumes) {
  std::vector<BindMount> mounts;
  for (const auto& text : volumes) {
    BindMount mount = parse_volume(text);
    for (const auto& other : mounts) {
      if (other.destination == mount.destination)
        throw util::Error(util::cat("invalid volume ", util::quote(text),
                                    ": duplicate mount point ", util::quote(mount.destination)));
    }
    mounts.push_back(std::move(mount));
  }
  return mounts;
}

} // namespace

BindMount parse_volume(std::string_view text) {
  auto parts = util::split(text, ':');
  auto fail = [&](std::string_view why) {
    return util::Error(util::cat("invalid volume ", util::quote(text), ": ", why));
  };
  if (parts.size() < 2 || parts.size() > 3)
    throw fail("expected HOST-DIR:CONTAINER-DIR[:OPTIONS]");
  if (parts[0].empty() || parts[1].empty())
    throw fail("empty path");
  if (parts[0].front() != '/')
    throw fail("the host path must be absolute (named volumes are not supported)");
  if (parts[1].front() != '/')
    throw fail("the container path must be absolute");
  BindMount mount{normalize_absolute(parts[0]), normalize_absolute(parts[1]), false};
  if (mount.destination == "/")
    throw fail("cannot mount over the container's root directory");
  bool seen_ro = false;
  bool seen_rw = false;
  for (const auto& option : util::split(parts.size() == 3 ? parts[2] : std::string(), ',')) {
    if (option == "ro")
      seen_ro = true;
    else if (option == "rw")
      seen_rw = true;
    else if (option != "z" && option != "Z" && !(option.empty() && parts.size() == 2))
      throw fail(util::cat("unknown option ", util::quote(option)));
  }
  if (seen_ro && seen_rw)
    throw fail("both ro and rw given");
  mount.read_only = seen_ro;
  return mount;
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
  spec.mounts = make_mounts(request.volumes);
  spec.tty = request.tty;
  spec.stdin_open = request.interactive;
  spec.read_only = request.read_only;
  return spec;
}

nlohmann::json ContainerSpec::to_json() const {
  json mounts_json = json::array();
  for (const auto& m : mounts)
    mounts_json.push_back(
        {{"source", m.source}, {"destination", m.destination}, {"read_only", m.read_only}});
  return {{"args", args},          {"env", env},           {"cwd", cwd},
          {"user", user},          {"hostname", hostname}, {"network", network},
          {"mounts", mounts_json}, {"tty", tty},           {"stdin_open", stdin_open},
          {"read_only", read_only}, {"network_options", network_options.to_json()}};
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
      spec.mounts.push_back({m.at("source").get<std::string>(),
                             m.at("destination").get<std::string>(),
                             m.at("read_only").get<bool>()});
    json.at("tty").get_to(spec.tty);
    json.at("stdin_open").get_to(spec.stdin_open);
    json.at("read_only").get_to(spec.read_only);
    if (json.contains("network_options"))
      spec.network_options = net::NetworkOptions::from_json(json.at("network_options"));
    return spec;
  } catch (const nlohmann::json::exception& e) {
    throw util::Error(util::cat("parse container spec: ", e.what()));
  }
}

} // namespace runtime
