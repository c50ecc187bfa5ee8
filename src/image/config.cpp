#include "image/config.hpp"

#include "util/error.hpp"
#include "util/strings.hpp"

#include <time.h>

#include <array>
#include <cstdio>

namespace image {

namespace {

using json = nlohmann::json;

[[noreturn]] void bad(std::string_view field, std::string_view why) {
  throw util::Error(util::cat("parse image config: ", field, ": ", why));
}

// Takes `key` out of `obj` (so what remains is the unknown rest); null counts as absent.
std::optional<json> take(json& obj, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end())
    return std::nullopt;
  json value = std::move(*it);
  obj.erase(it);
  if (value.is_null())
    return std::nullopt;
  return value;
}

std::string take_string(json& obj, const char* key, std::string_view field) {
  auto value = take(obj, key);
  if (!value)
    return {};
  if (!value->is_string())
    bad(field, "expected a string");
  return value->get<std::string>();
}

// Docker's StrSlice: an array of strings, or a single string meaning a one-element list.
std::optional<std::vector<std::string>> take_str_slice(json& obj, const char* key,
                                                       std::string_view field) {
  auto value = take(obj, key);
  if (!value)
    return std::nullopt;
  if (value->is_string())
    return std::vector<std::string>{value->get<std::string>()};
  if (!value->is_array())
    bad(field, "expected an array of strings");
  std::vector<std::string> out;
  for (const auto& item : *value) {
    if (!item.is_string())
      bad(field, "expected an array of strings");
    out.push_back(item.get<std::string>());
  }
  return out;
}

// {"80/tcp": {}} -> ["80/tcp"] (ExposedPorts, Volumes).
std::vector<std::string> take_key_set(json& obj, const char* key, std::string_view field) {
  std::vector<std::string> out;
  auto value = take(obj, key);
  if (!value)
    return out;
  if (!value->is_object())
    bad(field, "expected an object");
  for (const auto& item : value->items())
    out.push_back(item.key());
  return out;
}

std::map<std::string, std::string> take_labels(json& obj, std::string_view field) {
  std::map<std::string, std::string> out;
  auto value = take(obj, "Labels");
  if (!value)
    return out;
  if (!value->is_object())
    bad(field, "expected an object");
  for (const auto& item : value->items()) {
    if (!item.value().is_string())
      bad(util::cat(field, '.', item.key()), "expected a string");
    out.emplace(item.key(), item.value().get<std::string>());
  }
  return out;
}

void parse_run_config(ImageConfig& c, json section) {
  if (!section.is_object())
    bad("config", "expected an object");
  c.user = take_string(section, "User", "config.User");
  c.env = take_str_slice(section, "Env", "config.Env").value_or(std::vector<std::string>{});
  c.entrypoint = take_str_slice(section, "Entrypoint", "config.Entrypoint");
  c.cmd = take_str_slice(section, "Cmd", "config.Cmd");
  c.working_dir = take_string(section, "WorkingDir", "config.WorkingDir");
  c.labels = take_labels(section, "config.Labels");
  c.exposed_ports = take_key_set(section, "ExposedPorts", "config.ExposedPorts");
  c.volumes = take_key_set(section, "Volumes", "config.Volumes");
  c.stop_signal = take_string(section, "StopSignal", "config.StopSignal");
  c.shell = take_str_slice(section, "Shell", "config.Shell");
  c.on_build =
      take_str_slice(section, "OnBuild", "config.OnBuild").value_or(std::vector<std::string>{});
  c.healthcheck = take(section, "Healthcheck").value_or(json());
  if (!section.empty())
    c.extra["config"] = std::move(section);
}

void parse_rootfs(ImageConfig& c, json rootfs) {
  if (!rootfs.is_object())
    bad("rootfs", "expected an object");
  std::string type = take_string(rootfs, "type", "rootfs.type");
  if (!type.empty() && type != "layers")
    bad("rootfs.type", util::cat("unsupported type ", util::quote(type)));
  auto ids = take(rootfs, "diff_ids");
  if (ids && !ids->is_array())
    bad("rootfs.diff_ids", "expected an array");
  for (size_t i = 0; ids && i < ids->size(); ++i) {
    std::string field = util::cat("rootfs.diff_ids[", i, ']');
    if (!(*ids)[i].is_string())
      bad(field, "expected a string");
    try {
      c.diff_ids.push_back(Digest::parse((*ids)[i].get<std::string>()));
    } catch (const util::Error& e) {
      bad(field, e.what());
    }
  }
}

void parse_history(ImageConfig& c, const json& history) {
  if (!history.is_array())
    bad("history", "expected an array");
  for (size_t i = 0; i < history.size(); ++i) {
    std::string field = util::cat("history[", i, ']');
    json entry = history[i];
    if (!entry.is_object())
      bad(field, "expected an object");
    HistoryEntry h;
    h.created = take_string(entry, "created", field + ".created");
    h.created_by = take_string(entry, "created_by", field + ".created_by");
    h.author = take_string(entry, "author", field + ".author");
    h.comment = take_string(entry, "comment", field + ".comment");
    auto empty = take(entry, "empty_layer");
    if (empty && !empty->is_boolean())
      bad(field + ".empty_layer", "expected a boolean");
    h.empty_layer = empty && empty->get<bool>();
    c.history.push_back(std::move(h));
  }
}

ImageConfig parse_document(json doc) {
  if (!doc.is_object())
    bad("(document)", "expected a JSON object");
  ImageConfig c;
  c.extra = json::object();
  c.architecture = take_string(doc, "architecture", "architecture");
  c.os = take_string(doc, "os", "os");
  c.variant = take_string(doc, "variant", "variant");
  c.created = take_string(doc, "created", "created");
  c.author = take_string(doc, "author", "author");
  if (auto section = take(doc, "config"))
    parse_run_config(c, std::move(*section));
  if (auto rootfs = take(doc, "rootfs"))
    parse_rootfs(c, std::move(*rootfs));
  if (auto history = take(doc, "history"))
    parse_history(c, *history);
  for (auto& item : doc.items())
    c.extra[item.key()] = std::move(item.value());
  return c;
}

json key_set(const std::vector<std::string>& keys) {
  json out = json::object();
  for (const auto& key : keys)
    out[key] = json::object();
  return out;
}

json run_config_json(const ImageConfig& c) {
  json out = c.extra.is_object() && c.extra.contains("config") ? c.extra["config"] : json::object();
  auto set_if = [&](const char* key, bool present, json value) {
    if (present)
      out[key] = std::move(value);
  };
  set_if("User", !c.user.empty(), c.user);
  set_if("Env", !c.env.empty(), c.env);
  set_if("Entrypoint", c.entrypoint.has_value(), c.entrypoint.value_or(std::vector<std::string>{}));
  set_if("Cmd", c.cmd.has_value(), c.cmd.value_or(std::vector<std::string>{}));
  set_if("WorkingDir", !c.working_dir.empty(), c.working_dir);
  set_if("Labels", !c.labels.empty(), c.labels);
  set_if("ExposedPorts", !c.exposed_ports.empty(), key_set(c.exposed_ports));
  set_if("Volumes", !c.volumes.empty(), key_set(c.volumes));
  set_if("StopSignal", !c.stop_signal.empty(), c.stop_signal);
  set_if("Shell", c.shell.has_value(), c.shell.value_or(std::vector<std::string>{}));
  set_if("OnBuild", !c.on_build.empty(), c.on_build);
  set_if("Healthcheck", !c.healthcheck.is_null(), c.healthcheck);
  return out;
}

json history_json(const HistoryEntry& h) {
  json out = json::object();
  if (!h.created.empty())
    out["created"] = h.created;
  if (!h.created_by.empty())
    out["created_by"] = h.created_by;
  if (!h.author.empty())
    out["author"] = h.author;
  if (!h.comment.empty())
    out["comment"] = h.comment;
  if (h.empty_layer)
    out["empty_layer"] = true;
  return out;
}

// Reads exactly `n` decimal digits at `pos`.
bool read_digits(std::string_view text, size_t pos, size_t n, int& out) {
  if (pos + n > text.size())
    return false;
  out = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (text[i] < '0' || text[i] > '9')
      return false;
    out = out * 10 + (text[i] - '0');
  }
  return true;
}

int days_in_month(int year, int month) {
  static constexpr int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : days[month - 1];
}

// Parses the zone suffix ("Z", "+02:00", "-05:30") into seconds east of UTC.
std::optional<long long> zone_offset(std::string_view zone) {
  if (zone == "Z" || zone == "z")
    return 0;
  int hours = 0;
  int minutes = 0;
  if (zone.size() != 6 || (zone[0] != '+' && zone[0] != '-') || zone[3] != ':' ||
      !read_digits(zone, 1, 2, hours) || !read_digits(zone, 4, 2, minutes) || hours > 23 ||
      minutes > 59)
    return std::nullopt;
  long long offset = hours * 3600LL + minutes * 60LL;
  return zone[0] == '-' ? -offset : offset;
}

} // namespace

ImageConfig ImageConfig::from_json(std::string_view bytes) {
  json doc;
  try {
    doc = json::parse(bytes);
  } catch (const json::exception& e) {
    throw util::Error(util::cat("parse image config: invalid JSON: ", e.what()));
  }
  try {
    return parse_document(std::move(doc));
  } catch (const json::exception& e) {
    throw util::Error(util::cat("parse image config: ", e.what()));
  }
}

std::string ImageConfig::to_json() const {
  json out = extra.is_object() ? extra : json::object();
  out.erase("config");
  if (!created.empty())
    out["created"] = created;
  if (!author.empty())
    out["author"] = author;
  out["architecture"] = architecture;
  out["os"] = os;
  if (!variant.empty())
    out["variant"] = variant;
  out["config"] = run_config_json(*this);
  json ids = json::array();
  for (const auto& id : diff_ids)
    ids.push_back(id.str());
  out["rootfs"] = {{"type", "layers"}, {"diff_ids", std::move(ids)}};
  if (!history.empty()) {
    json entries = json::array();
    for (const auto& h : history)
      entries.push_back(history_json(h));
    out["history"] = std::move(entries);
  }
  return out.dump();
}

std::optional<std::string> ImageConfig::env_value(std::string_view key) const {
  for (const auto& entry : env) {
    if (entry.size() > key.size() && entry.compare(0, key.size(), key) == 0 &&
        entry[key.size()] == '=')
      return entry.substr(key.size() + 1);
  }
  return std::nullopt;
}

std::string now_rfc3339() {
  struct timespec ts {};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  struct tm tm {};
  ::gmtime_r(&ts.tv_sec, &tm);
  std::array<char, 64> buf{};
  std::snprintf(buf.data(), buf.size(), "%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec);
  return buf.data();
}

std::optional<long long> parse_rfc3339(std::string_view text) {
  // YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM); the fraction is dropped.
  struct tm tm {};
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  bool ok = read_digits(text, 0, 4, year) && text[4] == '-' && read_digits(text, 5, 2, month) &&
            text[7] == '-' && read_digits(text, 8, 2, day) && text.size() > 19 &&
            (text[10] == 'T' || text[10] == 't' || text[10] == ' ') &&
            read_digits(text, 11, 2, hour) && text[13] == ':' && read_digits(text, 14, 2, minute) &&
            text[16] == ':' && read_digits(text, 17, 2, second);
  if (!ok || month < 1 || month > 12 || day < 1 || day > days_in_month(year, month) || hour > 23 ||
      minute > 59 || second > 60)
    return std::nullopt;
  size_t pos = 19;
  if (text[pos] == '.') {
    size_t start = ++pos;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9')
      ++pos;
    if (pos == start)
      return std::nullopt;
  }
  auto offset = zone_offset(text.substr(pos));
  if (!offset)
    return std::nullopt;
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  return static_cast<long long>(::timegm(&tm)) - *offset;
}

} // namespace image
