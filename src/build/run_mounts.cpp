#include "build/run_mounts.hpp"

#include "build/ignore.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"

#include <algorithm>
#include <set>

namespace build {
namespace {

// One CSV record: fields split on ',', a field in double quotes may hold ',' and "" for '"'.
std::vector<std::string> csv_fields(std::string_view text) {
  std::vector<std::string> fields;
  std::string field;
  bool quoted = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"')
        field += text[++i];
      else if (c == '"')
        quoted = false;
      else
        field += c;
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      fields.push_back(std::move(field));
      field.clear();
    } else {
      field += c;
    }
  }
  if (quoted)
    throw util::Error("unterminated quote");
  fields.push_back(std::move(field));
  return fields;
}

struct Field {
  std::string key; // lower-case
  std::string value;
  bool has_value = false;
};

std::vector<Field> fields_of(std::string_view text) {
  std::vector<Field> out;
  for (auto& raw : csv_fields(text)) {
    auto text_field = util::trim(raw);
    if (text_field.empty())
      continue;
    auto eq = text_field.find('=');
    Field f{util::to_lower(text_field.substr(0, eq)), "", eq != std::string_view::npos};
    if (f.has_value)
      f.value = std::string(text_field.substr(eq + 1));
    out.push_back(std::move(f));
  }
  return out;
}

RunMountType type_of(const std::vector<Field>& fields) {
  for (const auto& f : fields)
    if (f.key == "type") {
      if (f.value == "bind")
        return RunMountType::bind;
      if (f.value == "cache")
        return RunMountType::cache;
      if (f.value == "tmpfs")
        return RunMountType::tmpfs;
      if (f.value == "secret")
        return RunMountType::secret;
      if (f.value == "ssh")
        return RunMountType::ssh;
      throw util::Error(util::cat("type=", f.value, " is not supported (bind, cache, tmpfs, secret or ssh)"));
    }
  return RunMountType::bind; // BuildKit's default
}

bool boolean(const Field& f) {
  if (!f.has_value || f.value == "true" || f.value == "1")
    return true;
  if (f.value == "false" || f.value == "0")
    return false;
  throw util::Error(util::cat(f.key, "=", f.value, ": expected true or false"));
}

unsigned long long number(const Field& f) {
  if (f.value.empty() || f.value.find_first_not_of("0123456789") != std::string::npos)
    throw util::Error(util::cat(f.key, "=", f.value, ": expected a number"));
  return util::parse_unsigned(f.value, f.key);
}

unsigned octal(const Field& f) {
  if (f.value.empty() || f.value.size() > 4 || f.value.find_first_not_of("01234567") != std::string::npos)
    throw util::Error(util::cat("mode=", f.value, ": expected an octal mode such as 0755"));
  return static_cast<unsigned>(std::stoul(f.value, nullptr, 8));
}

// A tmpfs size: bytes, or with a k, m or g suffix (binary units, as Docker's RAMInBytes).
unsigned long long size_of(const Field& f) {
  std::string digits = f.value;
  unsigned long long unit = 1;
  if (!digits.empty()) {
    char last = static_cast<char>(std::tolower(static_cast<unsigned char>(digits.back())));
    if (last == 'b')
      digits.pop_back();
    if (!digits.empty()) {
      last = static_cast<char>(std::tolower(static_cast<unsigned char>(digits.back())));
      unit = last == 'k' ? 1ULL << 10 : last == 'm' ? 1ULL << 20 : last == 'g' ? 1ULL << 30 : 1;
      if (unit != 1)
        digits.pop_back();
    }
  }
  if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos)
    throw util::Error(util::cat("size=", f.value, ": expected a size such as 64m"));
  return util::parse_unsigned(digits, "size") * unit;
}

// Which keys each type takes; anything else is refused rather than silently ignored.
bool applies(RunMountType type, const std::string& key) {
  static const std::set<std::string> common{"type", "target", "dst", "destination"};
  if (common.count(key))
    return true;
  switch (type) {
  case RunMountType::bind:
    return key == "source" || key == "src" || key == "from" || key == "rw" || key == "readwrite" ||
           key == "ro" || key == "readonly";
  case RunMountType::cache:
    return key == "source" || key == "src" || key == "from" || key == "id" || key == "sharing" ||
           key == "ro" || key == "readonly" || key == "rw" || key == "readwrite" || key == "mode" ||
           key == "uid" || key == "gid";
  case RunMountType::tmpfs:
    return key == "size";
  case RunMountType::secret:
  case RunMountType::ssh:
    return key == "id" || key == "required" || key == "mode" || key == "uid" || key == "gid";
  }
  return false;
}

const char* type_name(RunMountType type) {
  switch (type) {
  case RunMountType::bind:
    return "bind";
  case RunMountType::cache:
    return "cache";
  case RunMountType::tmpfs:
    return "tmpfs";
  case RunMountType::secret:
    return "secret";
  case RunMountType::ssh:
    return "ssh";
  }
  return "bind";
}

void apply(RunMount& m, const Field& f) {
  if (!applies(m.type, f.key))
    throw util::Error(util::cat("unknown option ", util::quote(f.key), " for type=", type_name(m.type)));
  if (f.key == "type")
    return;
  if (f.key == "target" || f.key == "dst" || f.key == "destination")
    m.target = f.value;
  else if (f.key == "source" || f.key == "src")
    m.source = f.value;
  else if (f.key == "from")
    m.from = f.value;
  else if (f.key == "id")
    m.id = f.value;
  else if (f.key == "rw" || f.key == "readwrite")
    m.read_only = !boolean(f);
  else if (f.key == "ro" || f.key == "readonly")
    m.read_only = boolean(f);
  else if (f.key == "required")
    m.required = boolean(f);
  else if (f.key == "mode")
    m.mode = octal(f);
  else if (f.key == "uid")
    m.uid = static_cast<uid_t>(number(f));
  else if (f.key == "gid")
    m.gid = static_cast<gid_t>(number(f));
  else if (f.key == "size")
    m.size = size_of(f);
  else if (f.key == "sharing") {
    if (f.value == "shared")
      m.sharing = CacheSharing::shared;
    else if (f.value == "private")
      m.sharing = CacheSharing::private_;
    else if (f.value == "locked")
      m.sharing = CacheSharing::locked;
    else
      throw util::Error(util::cat("sharing=", f.value, ": expected shared, private or locked"));
  }
}

std::string absolute_target(const std::string& target, std::string_view workdir) {
  std::string joined = !target.empty() && target[0] == '/' ? target : util::cat(workdir, "/", target);
  auto clean = clean_path(joined);
  return clean.empty() || clean[0] != '/' ? "/" + clean : clean;
}

// "sub/dir" inside the source tree; "/" and "." are its root; ".." may not climb out.
std::string relative_source(const std::string& source) {
  auto clean = clean_path(source);
  while (!clean.empty() && clean[0] == '/')
    clean.erase(0, 1);
  if (clean.empty() || clean == ".")
    return "";
  if (clean == ".." || clean.rfind("../", 0) == 0)
    throw util::Error(util::cat("source=", source, ": outside the mount's source"));
  return clean;
}

void finish(RunMount& m, std::string_view workdir) {
  if (m.type == RunMountType::ssh) {
    if (m.id.empty())
      m.id = "default";
    if (m.target.empty())
      return; // numbered by check_run_mounts, which sees the RUN's other ssh mounts
  }
  if (m.type == RunMountType::secret) {
    if (m.id.empty() && m.target.empty())
      throw util::Error("a secret mount needs id= or target=");
    if (m.target.empty())
      m.target = "/run/secrets/" + m.id;
  }
  if (m.target.empty())
    throw util::Error("target= is required");
  m.target = absolute_target(m.target, workdir);
  if (m.target == "/")
    throw util::Error("cannot mount over the root directory");
  if (m.type == RunMountType::secret && m.id.empty())
    m.id = m.target.substr(m.target.rfind('/') + 1);
  if (m.type == RunMountType::cache && m.id.empty())
    m.id = m.target;
  if (m.type == RunMountType::cache && !m.source.empty() && m.from.empty())
    throw util::Error("source= needs from= for a cache mount");
  m.source = relative_source(m.source);
}

} // namespace

RunMount parse_run_mount(std::string_view text, std::string_view workdir) {
  try {
    auto fields = fields_of(text);
    RunMount m;
    m.type = type_of(fields);
    m.read_only = m.type == RunMountType::bind;
    if (m.type == RunMountType::secret)
      m.mode = 0400;
    if (m.type == RunMountType::ssh)
      m.mode = 0600;
    for (const auto& f : fields)
      apply(m, f);
    finish(m, workdir);
    return m;
  } catch (const util::Error&) {
    util::rethrow_with_context(util::cat("--mount=", text));
  }
}

void check_run_mounts(std::vector<RunMount>& mounts) {
  int ssh_index = 0;
  for (auto& m : mounts) {
    if (m.type != RunMountType::ssh)
      continue;
    if (m.target.empty())
      m.target = util::cat("/run/buildkit/ssh_agent.", ssh_index);
    ++ssh_index;
  }
  std::set<std::string> targets;
  for (const auto& m : mounts)
    if (!targets.insert(m.target).second)
      throw util::Error(util::cat("--mount: two mounts on ", util::quote(m.target)));
}

std::string ssh_auth_sock(const std::vector<RunMount>& mounts) {
  for (const auto& m : mounts)
    if (m.type == RunMountType::ssh)
      return m.target;
  return "";
}

std::vector<std::string> mount_from_names(const std::vector<std::string>& texts) {
  std::vector<std::string> names;
  for (const auto& text : texts) {
    try {
      for (const auto& f : fields_of(text))
        if (f.key == "from" && !f.value.empty())
          names.push_back(f.value);
    } catch (const util::Error&) {
      // a malformed value is reported when its step runs, with the line
    }
  }
  return names;
}

void check_run_network(std::string_view value) {
  if (value.empty() || value == "default" || value == "none" || value == "host")
    return;
  throw util::Error(util::cat("--network=", value, ": expected default, none or host"));
}

std::string run_network(std::string_view value, const std::string& build_network) {
  check_run_network(value);
  if (value.empty() || value == "default")
    return build_network;
  return std::string(value);
}

} // namespace build
