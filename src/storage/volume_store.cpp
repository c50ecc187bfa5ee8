#include "storage/volume_store.hpp"

#include "image/config.hpp"
#include "storage/tmp_entry.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/strings.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>

namespace storage {

namespace {

using nlohmann::json;

json to_json(const VolumeRecord& r) {
  return json{{"name", r.name}, {"created", r.created}, {"labels", r.labels},
              {"anonymous", r.anonymous}};
}

VolumeRecord from_json(const json& j) {
  VolumeRecord r;
  j.at("name").get_to(r.name);
  r.created = j.value("created", std::string());
  if (j.contains("labels") && j["labels"].is_object())
    j["labels"].get_to(r.labels);
  r.anonymous = j.value("anonymous", false);
  return r;
}

bool name_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-';
}

} // namespace

void validate_volume_name(std::string_view name) {
  bool ok = name.size() >= 2 && std::isalnum(static_cast<unsigned char>(name.front())) &&
            std::all_of(name.begin(), name.end(), name_char);
  if (!ok)
    throw util::Error(util::cat("invalid volume name ", util::quote(name),
                                ": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed, at least two "
                                "characters (a host path must be absolute)"));
}

VolumeStore::VolumeStore(std::filesystem::path storage_root) : m_root(std::move(storage_root)) {
  util::make_dirs(m_root / "volumes", 0700);
  util::make_dirs(m_root / "tmp", 0700);
}

util::FileLock VolumeStore::lock() const {
  return util::FileLock(m_root / "volumes" / ".lock", util::LockMode::exclusive);
}

std::filesystem::path VolumeStore::dir(const std::string& name) const {
  return m_root / "volumes" / name;
}

std::filesystem::path VolumeStore::data_dir(const std::string& name) const {
  return dir(name) / "_data";
}

VolumeRecord VolumeStore::create(const util::FileLock&, const std::string& name,
                                 const std::map<std::string, std::string>& labels,
                                 VolumeKind kind) {
  VolumeRecord record{name.empty() ? util::random_hex(32) : name, image::now_rfc3339(), labels,
                      kind == VolumeKind::anonymous};
  validate_volume_name(record.name);
  if (std::optional<VolumeRecord> existing = lookup(record.name))
    return *existing;
  try {
    TmpEntry tmp(m_root / "tmp", "volume-");
    util::make_dirs(tmp.path(), 0700);
    // Container root owns it and others may enter, as Docker makes it: the mount point's own
    // mode is what the container sees at the volume's root.
    if (::mkdir((tmp.path() / "_data").c_str(), 0755) < 0)
      util::throw_errno(util::cat("mkdir ", util::quote((tmp.path() / "_data").string())));
    util::write_file_atomic(tmp.path() / "volume.json", to_json(record).dump(), 0600);
    if (::rename(tmp.path().c_str(), dir(record.name).c_str()) < 0)
      util::throw_errno(util::cat("rename ", util::quote(tmp.path().string()), " to ",
                                  util::quote(dir(record.name).string())));
    tmp.release();
    util::sync_dir(m_root / "volumes");
  } catch (...) {
    util::rethrow_with_context(util::cat("create volume ", record.name));
  }
  return record;
}

std::optional<VolumeRecord> VolumeStore::lookup(std::string_view name) const {
  if (name.empty() || name.find('/') != std::string_view::npos || name.front() == '.')
    return std::nullopt;
  std::optional<std::string> text =
      util::read_file_if_exists(dir(std::string(name)) / "volume.json");
  if (!text)
    return std::nullopt;
  try {
    return from_json(json::parse(*text));
  } catch (const std::exception& e) {
    throw util::Error(util::cat("read volume ", util::quote(name), ": ", e.what()));
  }
}

std::vector<VolumeRecord> VolumeStore::list() const {
  std::vector<VolumeRecord> out;
  std::error_code ec;
  for (const auto& item : std::filesystem::directory_iterator(m_root / "volumes", ec)) {
    std::string name = item.path().filename().string();
    if (name.front() == '.')
      continue;
    if (std::optional<VolumeRecord> record = lookup(name))
      out.push_back(std::move(*record));
  }
  if (ec)
    throw util::SystemError(ec.value(), "list volumes");
  std::sort(out.begin(), out.end(),
            [](const VolumeRecord& a, const VolumeRecord& b) { return a.name < b.name; });
  return out;
}

void VolumeStore::remove(const util::FileLock&, const std::string& name) const {
  if (!lookup(name))
    throw util::Error(util::cat("no such volume: ", util::quote(name)));
  TmpEntry doomed(m_root / "tmp", "removed-volume-");
  if (::rename(dir(name).c_str(), doomed.path().c_str()) < 0)
    util::throw_errno(util::cat("remove volume ", name));
  // TmpEntry's destructor deletes the tree; a failure there is logged, and the next store
  // opening cleans the abandoned entry.
}

} // namespace storage
