#include "cli/image_views.hpp"

#include "util/strings.hpp"

#include <algorithm>
#include <ctime>

namespace cli {

using Json = nlohmann::ordered_json;

namespace {

// A JSON array of strings, or null for none (as Go marshals a nil slice).
Json string_list_or_null(const std::vector<std::string>& items) {
  return items.empty() ? Json() : Json(items);
}

// Docker's set-like objects: {"80/tcp": {}}.
Json set_object_or_null(const std::vector<std::string>& items) {
  if (items.empty())
    return Json();
  Json out = Json::object();
  for (const auto& item : items)
    out[item] = Json::object();
  return out;
}

Json optional_list(const std::optional<std::vector<std::string>>& items) {
  return items ? Json(*items) : Json();
}

Json config_json(const image::ImageConfig& config) {
  Json out;
  out["User"] = config.user;
  if (!config.exposed_ports.empty())
    out["ExposedPorts"] = set_object_or_null(config.exposed_ports);
  out["Env"] = string_list_or_null(config.env);
  out["Cmd"] = optional_list(config.cmd);
  if (!config.healthcheck.is_null())
    out["Healthcheck"] = Json::parse(config.healthcheck.dump());
  out["Volumes"] = set_object_or_null(config.volumes);
  out["WorkingDir"] = config.working_dir;
  out["Entrypoint"] = optional_list(config.entrypoint);
  out["OnBuild"] = string_list_or_null(config.on_build);
  out["Labels"] = config.labels.empty() ? Json() : Json(config.labels);
  if (!config.stop_signal.empty())
    out["StopSignal"] = config.stop_signal;
  if (config.shell)
    out["Shell"] = *config.shell;
  return out;
}

Json history_json(const std::vector<image::HistoryEntry>& history) {
  Json out = Json::array();
  for (const auto& entry : history) {
    Json item;
    if (!entry.created.empty())
      item["created"] = entry.created;
    if (!entry.created_by.empty())
      item["created_by"] = entry.created_by;
    if (!entry.author.empty())
      item["author"] = entry.author;
    if (!entry.comment.empty())
      item["comment"] = entry.comment;
    if (entry.empty_layer)
      item["empty_layer"] = true;
    out.push_back(item.is_null() ? Json::object() : item);
  }
  return out;
}

std::string shown_id(const image::Digest& id, bool no_trunc) {
  return no_trunc ? id.str() : id.short_hex();
}

} // namespace

std::pair<std::string, std::string> split_repo_tag(const std::string& name) {
  std::string base = name.substr(0, name.find('@'));
  size_t slash = base.rfind('/');
  size_t colon = base.rfind(':');
  if (colon == std::string::npos || (slash != std::string::npos && colon < slash))
    return {base, "<none>"};
  return {base.substr(0, colon), base.substr(colon + 1)};
}

std::string docker_time(const std::string& rfc3339) {
  std::optional<long long> seconds = image::parse_rfc3339(rfc3339);
  if (!seconds)
    return "";
  std::time_t t = static_cast<std::time_t>(*seconds);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S +0000 UTC", &tm);
  return buf;
}

Json image_inspect_json(const storage::ImageRecord& record, const image::ImageConfig& config) {
  const std::string& created = config.created.empty() ? record.created : config.created;
  Json out;
  out["Id"] = record.id.str();
  out["Digest"] = record.manifest_digest.str();
  out["RepoTags"] = Json(record.names);
  out["RepoDigests"] = Json(record.digests);
  out["Parent"] = "";
  out["Comment"] = "";
  out["Created"] = created;
  out["Author"] = config.author;
  out["Config"] = config_json(config);
  out["Architecture"] = config.architecture;
  if (!config.variant.empty())
    out["Variant"] = config.variant;
  out["Os"] = config.os;
  out["Size"] = record.size;
  out["VirtualSize"] = record.size;
  Json layers = Json::array();
  for (const auto& diff_id : config.diff_ids)
    layers.push_back(diff_id.str());
  out["RootFS"] = Json{{"Type", "layers"}, {"Layers", layers}};
  out["History"] = history_json(config.history);
  return out;
}

ListOutput image_list(const std::vector<storage::ImageRecord>& records,
                      const ImageListOptions& options) {
  ListOutput list;
  list.default_format = "table {{.Repository}}\\t{{.Tag}}\\t{{.ID}}\\t{{.CreatedSince}}\\t{{.Size}}";
  list.headers = Json{{"Repository", "REPOSITORY"}, {"Tag", "TAG"},       {"ID", "IMAGE ID"},
                      {"Digest", "DIGEST"},         {"Created", "CREATED"}, {"CreatedSince", "CREATED"},
                      {"CreatedAt", "CREATED AT"},  {"Size", "SIZE"}};
  list.rows = Json::array();
  list.json = Json::array();
  for (const auto& record : records) {
    std::optional<long long> created = image::parse_rfc3339(record.created);
    std::string since = created ? util::human_duration(options.now - *created) : "N/A";
    std::vector<std::string> names = record.names;
    if (names.empty())
      names.push_back("<none>:<none>");
    for (const auto& name : names) {
      auto [repository, tag] = split_repo_tag(name);
      list.rows.push_back(Json{{"Repository", repository},
                               {"Tag", tag},
                               {"ID", shown_id(record.id, options.no_trunc)},
                               {"Digest", record.manifest_digest.str()},
                               {"Created", since},
                               {"CreatedSince", since},
                               {"CreatedAt", docker_time(record.created)},
                               {"Size", util::human_size(record.size)}});
    }
    list.json.push_back(Json{{"Id", record.id.hex()},
                             {"ParentId", ""},
                             {"RepoTags", string_list_or_null(record.names)},
                             {"RepoDigests", Json(record.digests)},
                             {"Size", record.size},
                             {"SharedSize", 0},
                             {"VirtualSize", record.size},
                             {"Containers", 0},
                             {"Names", string_list_or_null(record.names)},
                             {"Digest", record.manifest_digest.str()},
                             {"Created", created.value_or(0)},
                             {"CreatedAt", record.created}});
  }
  return list;
}

std::vector<std::string> image_ids(const std::vector<storage::ImageRecord>& records,
                                   bool no_trunc) {
  std::vector<std::string> ids;
  for (const auto& record : records) {
    std::string id = shown_id(record.id, no_trunc);
    if (std::find(ids.begin(), ids.end(), id) == ids.end())
      ids.push_back(id);
  }
  return ids;
}

} // namespace cli
