#include "cli/mount_args.hpp"

#include "runtime/tmpfs_options.hpp"
#include "storage/volume_store.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"

#include <sys/mount.h>

#include <filesystem>
#include <optional>

namespace cli {

namespace {

using runtime::Mount;
using runtime::MountType;

// Lexically normalized absolute path without a trailing slash ("/a/../b/" -> "/b").
std::string normalize(std::string_view path) {
  std::string out = std::filesystem::path(path).lexically_normal().string();
  while (out.size() > 1 && out.back() == '/')
    out.pop_back();
  return out;
}

// The container side: absolute, and not the root itself.
std::string destination(std::string_view path, std::string_view flag, std::string_view text) {
  auto fail = [&](std::string_view why) {
    return util::Error(util::cat("invalid ", flag, " ", util::quote(text), ": ", why));
  };
  if (path.empty())
    throw fail("no container path");
  if (path.front() != '/')
    throw fail(util::cat("the container path ", util::quote(path), " must be absolute"));
  std::string out = normalize(path);
  if (out == "/")
    throw fail("cannot mount over the container's root directory");
  return out;
}

void apply_volume_options(Mount& mount, std::string_view options, std::string_view text) {
  bool seen_ro = false;
  bool seen_rw = false;
  for (const std::string& option : util::split(options, ',')) {
    if (option == "ro")
      seen_ro = true;
    else if (option == "rw")
      seen_rw = true;
    else if (option == "U")
      mount.chown = true;
    else if (option == "nocopy" && mount.type == MountType::volume)
      mount.no_copy = true;
    else if (option != "z" && option != "Z") // no SELinux here: accepted as podman does
      throw util::Error(util::cat("invalid volume ", util::quote(text), ": unknown option ",
                                  util::quote(option)));
  }
  if (seen_ro && seen_rw)
    throw util::Error(util::cat("invalid volume ", util::quote(text), ": both ro and rw given"));
  mount.read_only = seen_ro;
}

// "true", "1", "" (a bare key) -> true; "false", "0" -> false.
bool parse_bool(std::string_view key, std::optional<std::string_view> value, std::string_view text) {
  if (!value || *value == "true" || *value == "1")
    return true;
  if (*value == "false" || *value == "0")
    return false;
  throw util::Error(util::cat("invalid --mount ", util::quote(text), ": ", key,
                              " must be true or false, not ", util::quote(*value)));
}

// --mount's key=value fields, aliases resolved.
struct MountFields {
  std::string type = "volume";
  std::string source;
  std::string target;
  bool read_only = false;
  bool no_copy = false;
  std::string tmpfs_size;
  std::string tmpfs_mode;
};

MountFields mount_fields(std::string_view text) {
  MountFields f;
  auto fail = [&](std::string_view why) {
    return util::Error(util::cat("invalid --mount ", util::quote(text), ": ", why));
  };
  for (const std::string& field : util::split(text, ',')) {
    size_t eq = field.find('=');
    std::string key = util::to_lower(field.substr(0, eq));
    std::optional<std::string_view> value;
    if (eq != std::string::npos)
      value = std::string_view(field).substr(eq + 1);
    auto need = [&]() -> std::string {
      if (!value)
        throw fail(util::cat(key, " needs a value"));
      return std::string(*value);
    };
    if (key == "type")
      f.type = need();
    else if (key == "source" || key == "src")
      f.source = need();
    else if (key == "target" || key == "destination" || key == "dst")
      f.target = need();
    else if (key == "readonly" || key == "ro")
      f.read_only = parse_bool(key, value, text);
    else if (key == "volume-nocopy")
      f.no_copy = parse_bool(key, value, text);
    else if (key == "tmpfs-size")
      f.tmpfs_size = need();
    else if (key == "tmpfs-mode")
      f.tmpfs_mode = need();
    else
      throw fail(util::cat("unknown or unsupported field ", util::quote(field)));
  }
  return f;
}

} // namespace

Mount parse_volume_flag(std::string_view text) {
  std::vector<std::string> parts = util::split(text, ':');
  Mount mount;
  if (parts.size() == 1) { // CTR-PATH: an anonymous volume
    mount.type = MountType::volume;
    mount.anonymous = true;
    mount.destination = destination(parts[0], "volume", text);
    return mount;
  }
  if (parts.size() > 3)
    throw util::Error(util::cat("invalid volume ", util::quote(text),
                                ": expected SOURCE:CONTAINER-DIR[:OPTIONS]"));
  if (parts[0].empty())
    throw util::Error(util::cat("invalid volume ", util::quote(text), ": empty source"));
  if (parts[0].front() == '/') {
    mount.source = normalize(parts[0]);
  } else {
    storage::validate_volume_name(parts[0]);
    mount.type = MountType::volume;
    mount.source = parts[0];
  }
  mount.destination = destination(parts[1], "volume", text);
  if (parts.size() == 3) {
    if (parts[2].empty())
      throw util::Error(util::cat("invalid volume ", util::quote(text), ": empty options"));
    apply_volume_options(mount, parts[2], text);
  }
  return mount;
}

Mount parse_mount_flag(std::string_view text) {
  MountFields f = mount_fields(text);
  auto fail = [&](std::string_view why) {
    return util::Error(util::cat("invalid --mount ", util::quote(text), ": ", why));
  };
  Mount mount;
  mount.destination = destination(f.target, "--mount", text);
  mount.read_only = f.read_only;
  bool tmpfs_fields = !f.tmpfs_size.empty() || !f.tmpfs_mode.empty();
  if (f.type == "bind") {
    if (f.source.empty() || f.source.front() != '/')
      throw fail("a bind mount needs an absolute source path");
    mount.source = normalize(f.source);
  } else if (f.type == "volume") {
    mount.type = MountType::volume;
    if (f.source.empty())
      mount.anonymous = true;
    else {
      try {
        storage::validate_volume_name(f.source);
      } catch (const util::Error& e) {
        throw fail(e.what());
      }
    }
    mount.source = f.source;
    mount.no_copy = f.no_copy;
  } else if (f.type == "tmpfs") {
    mount.type = MountType::tmpfs;
    if (!f.source.empty())
      throw fail("a tmpfs mount takes no source");
    std::vector<std::string> options;
    if (!f.tmpfs_size.empty())
      options.push_back("size=" + f.tmpfs_size);
    if (!f.tmpfs_mode.empty())
      options.push_back("mode=" + f.tmpfs_mode);
    mount.options = util::join(options, ",");
    try {
      runtime::parse_tmpfs_options(mount.options);
    } catch (const util::Error& e) {
      throw fail(e.what());
    }
  } else {
    throw fail(util::cat("unknown type ", util::quote(f.type), " (bind, volume or tmpfs)"));
  }
  if (f.no_copy && f.type != "volume")
    throw fail("volume-nocopy applies to volumes only");
  if (tmpfs_fields && f.type != "tmpfs")
    throw fail("tmpfs-size and tmpfs-mode apply to tmpfs only");
  return mount;
}

Mount parse_tmpfs_flag(std::string_view text) {
  size_t colon = text.find(':');
  Mount mount;
  mount.type = MountType::tmpfs;
  mount.destination = destination(text.substr(0, colon), "--tmpfs", text);
  if (colon != std::string_view::npos)
    mount.options = std::string(text.substr(colon + 1));
  try {
    mount.read_only = (runtime::parse_tmpfs_options(mount.options).flags & MS_RDONLY) != 0;
  } catch (const util::Error& e) {
    throw util::Error(util::cat("invalid --tmpfs ", util::quote(text), ": ", e.what()));
  }
  return mount;
}

std::vector<Mount> parse_mount_flags(const std::vector<std::string>& volumes,
                                     const std::vector<std::string>& mounts,
                                     const std::vector<std::string>& tmpfs) {
  std::vector<Mount> out;
  for (const std::string& text : volumes)
    out.push_back(parse_volume_flag(text));
  for (const std::string& text : mounts)
    out.push_back(parse_mount_flag(text));
  for (const std::string& text : tmpfs)
    out.push_back(parse_tmpfs_flag(text));
  return out;
}

} // namespace cli
