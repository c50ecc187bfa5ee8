#include "storage/container_store.hpp"

#include "image/config.hpp"
#include "storage/container_names.hpp"
#include "storage/tmp_entry.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/fs.hpp"
#include "util/log.hpp"
#include "util/strings.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace storage {

namespace {

using nlohmann::json;

bool is_container_id(std::string_view name) {
  return name.size() == 64 &&
         name.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

json to_json(const ContainerRecord& r) {
  return json{{"id", r.id},           {"name", r.name},         {"image", r.image},
              {"image_id", r.image_id.str()}, {"created", r.created}, {"driver", r.driver},
              {"spec", r.spec},       {"state", r.state}, {"auto_remove", r.auto_remove},
              {"restart_policy", r.restart_policy}, {"init", r.init}};
}

ContainerRecord from_json(const json& j) {
  return ContainerRecord{j.at("id").get<std::string>(),
                         j.at("name").get<std::string>(),
                         j.value("image", std::string()),
                         image::Digest::parse(j.at("image_id").get<std::string>()),
                         j.value("created", std::string()),
                         j.value("driver", std::string()),
                         j.value("spec", json()),
                         j.value("state", json()),
                         j.value("auto_remove", false),
                         j.value("restart_policy", std::string()),
                         j.value("init", false)};
}

util::Durability durability(const ContainerRecord& r) {
  return r.auto_remove ? util::Durability::process_safe : util::Durability::crash_safe;
}

std::optional<std::string> read_link(const std::filesystem::path& link) {
  std::error_code ec;
  std::filesystem::path target = std::filesystem::read_symlink(link, ec);
  if (ec)
    return std::nullopt;
  return target.string();
}

} // namespace

ContainerStore::ContainerStore(std::filesystem::path storage_root)
    : m_root(std::move(storage_root)) {}

std::filesystem::path ContainerStore::dir(const std::string& id) const {
  return m_root / "containers" / id;
}

std::string ContainerStore::new_id() {
  return util::random_hex(32);
}

ContainerRecord ContainerStore::create(const std::string& name, const std::string& image,
                                       const image::Digest& image_id, nlohmann::json spec,
                                       bool auto_remove) {
  ContainerRecord draft{std::string(), name,           image,           image_id,
                        std::string(), std::string(),  std::move(spec), json::object(),
                        auto_remove,   std::string(),  false};
  return create(std::move(draft));
}

ContainerRecord ContainerStore::create(ContainerRecord record) {
  util::Durability how = durability(record);
  return create(std::move(record), how);
}

ContainerRecord ContainerStore::create(ContainerRecord record, util::Durability how) {
  if (record.id.empty())
    record.id = new_id();
  if (record.created.empty())
    record.created = image::now_rfc3339();
  if (!record.name.empty())
    validate_container_name(record.name);
  try {
    // Built in tmp/ and renamed, so containers/ never holds a half-made container.
    TmpEntry tmp(m_root / "tmp", "container-");
    util::make_dirs(tmp.path(), 0700);
    for (const char* sub : {"upper", "work", "merged", "userdata"})
      util::make_dirs(tmp.path() / sub, 0700);
    publish(record, tmp, how);
  } catch (...) {
    util::rethrow_with_context(
        util::cat("create container ", record.name.empty() ? record.id.substr(0, 12) : record.name));
  }
  return record;
}

util::FileLock ContainerStore::lock_names() const {
  return util::FileLock(m_root / "names" / ".lock", util::LockMode::exclusive);
}

// The name protocol. A creator claims names/<name> (symlink(2): atomic, EEXIST if taken) and
// renames its finished directory into containers/ while holding names/.lock; a remover renames
// the directory away before it unlinks the name, also under the lock. So whoever holds the lock
// and sees a link whose directory is missing knows no creator is between its two steps: the
// link is stale (a crash, or a removal in progress) and can go. Without the lock, a link made a
// moment before its directory looked stale and a concurrent `run --name` stole it. The lock is
// held only for a symlink, one small file write and a rename; nothing slow runs under it.
void ContainerStore::publish(ContainerRecord& record, TmpEntry& tmp,
                             util::Durability how) const {
  util::FileLock lock = lock_names();
  if (record.name.empty()) {
    record.name = claim_generated_name(m_root / "names", record.id, [this](const std::string& n) {
      return release_stale_name(n);
    });
  } else {
    claim_name(record.name, record.id);
  }
  try {
    util::write_file_atomic(tmp.path() / "container.json", to_json(record).dump(), 0600, how);
    if (::rename(tmp.path().c_str(), dir(record.id).c_str()) < 0)
      util::throw_errno(util::cat("rename ", util::quote(tmp.path().string()), " to ",
                                  util::quote(dir(record.id).string())));
    tmp.release();
  } catch (...) {
    // Still under the lock: the link is ours and nobody else can have replaced it.
    ::unlink((m_root / "names" / record.name).c_str());
    throw;
  }
}

void ContainerStore::claim_name(const std::string& name, const std::string& id) const {
  if (try_claim_name(m_root / "names", name, id) ||
      (release_stale_name(name) && try_claim_name(m_root / "names", name, id)))
    return;
  std::string owner = read_link(m_root / "names" / name).value_or("another container");
  throw util::Error(util::cat("the container name ", util::quote(name), " is already in use by ",
                              owner, ". You have to remove (or rename) that container to be able "
                              "to reuse that name"));
}

bool ContainerStore::release_stale_name(const std::string& name) const {
  std::filesystem::path link = m_root / "names" / name;
  auto owner = read_link(link);
  if (!owner)
    return false;
  struct stat st{};
  if (::stat(dir(*owner).c_str(), &st) == 0)
    return false;
  LOG_DEBUG("container name ", util::quote(name), " was held by missing ", *owner, "; freed");
  return ::unlink(link.c_str()) == 0;
}

void ContainerStore::save(const ContainerRecord& record) const {
  save(record, durability(record));
}

void ContainerStore::sync(const ContainerRecord& record) const {
  for (const std::filesystem::path& path :
       {dir(record.id) / "container.json", dir(record.id), m_root / "containers"}) {
    util::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd || ::fsync(fd.get()) < 0)
      util::throw_errno(util::cat("fsync ", util::quote(path.string())));
  }
}

void ContainerStore::save(const ContainerRecord& record, util::Durability durability) const {
  // Under the names lock, so that a rename between reading the name and writing is impossible.
  util::FileLock lock = lock_names();
  json document = to_json(record);
  if (std::optional<ContainerRecord> current = load(record.id)) {
    document["name"] = current->name;
    // The network list is set_network()'s once written (network connect/disconnect).
    if (current->spec.is_object() && current->spec.contains("network") &&
        document["spec"].is_object())
      document["spec"]["network"] = current->spec["network"];
  }
  util::write_file_atomic(dir(record.id) / "container.json", document.dump(), 0600,
                          durability);
}

void ContainerStore::set_network(ContainerRecord& record, const std::string& network) const {
  util::FileLock lock = lock_names();
  std::optional<ContainerRecord> current = load(record.id);
  if (!current)
    throw util::Error(util::cat("no such container: ", util::quote(record.name)));
  current->spec["network"] = network;
  util::write_file_atomic(dir(record.id) / "container.json", to_json(*current).dump(), 0600,
                          durability(*current));
  record.spec["network"] = network;
}

void ContainerStore::rename(ContainerRecord& record, const std::string& new_name) const {
  validate_container_name(new_name);
  util::FileLock lock = lock_names();
  std::optional<ContainerRecord> current = load(record.id);
  if (!current)
    throw util::Error(util::cat("no such container: ", util::quote(record.name)));
  if (current->name == new_name)
    throw util::Error(util::cat("renaming a container with the same name as its current name: ",
                                util::quote(new_name)));
  const std::string old_name = current->name;
  claim_name(new_name, record.id);
  try {
    current->name = new_name;
    util::write_file_atomic(dir(record.id) / "container.json", to_json(*current).dump(), 0600,
                            durability(*current));
  } catch (...) {
    ::unlink((m_root / "names" / new_name).c_str()); // still ours: we hold the lock
    throw;
  }
  std::filesystem::path old_link = m_root / "names" / old_name;
  if (read_link(old_link) == record.id)
    ::unlink(old_link.c_str());
  record.name = new_name;
}

namespace {

// The parsed record; nullopt when it is missing, empty or not JSON (an incomplete create).
std::optional<json> parse_record(const std::filesystem::path& path) {
  std::optional<std::string> text = util::read_file_if_exists(path);
  if (!text)
    return std::nullopt;
  json document = json::parse(*text, nullptr, false);
  if (document.is_discarded())
    return std::nullopt;
  return document;
}

} // namespace

std::optional<ContainerRecord> ContainerStore::load(const std::string& id) const {
  std::optional<json> document = parse_record(dir(id) / "container.json");
  if (!document)
    return std::nullopt;
  try {
    return from_json(*document);
  } catch (const std::exception& e) {
    throw util::Error(util::cat("read container ", id, ": ", e.what()));
  }
}

std::vector<std::string> ContainerStore::ids() const {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& item : std::filesystem::directory_iterator(m_root / "containers", ec)) {
    std::string id = item.path().filename().string();
    if (is_container_id(id))
      out.push_back(std::move(id));
  }
  if (ec && ec != std::errc::no_such_file_or_directory) // a fresh store has no containers/ yet
    throw util::SystemError(ec.value(), "list containers");
  return out;
}

std::vector<std::string> ContainerStore::incomplete() const {
  std::vector<std::string> out;
  for (std::string& id : ids()) {
    struct stat st{};
    // Still there (not removed meanwhile) and without a readable record.
    if (!parse_record(dir(id) / "container.json") && ::stat(dir(id).c_str(), &st) == 0)
      out.push_back(std::move(id));
  }
  return out;
}

std::optional<std::string> ContainerStore::find_incomplete(std::string_view id) const {
  if (id.empty() || id.find_first_not_of("0123456789abcdef") != std::string_view::npos)
    return std::nullopt;
  std::vector<std::string> matches;
  for (const std::string& candidate : ids())
    if (candidate.compare(0, id.size(), id) == 0)
      matches.push_back(candidate);
  // Only an unambiguous prefix (among all containers) names an incomplete one.
  if (matches.size() != 1 || parse_record(dir(matches.front()) / "container.json"))
    return std::nullopt;
  return matches.front();
}

std::optional<ContainerRecord> ContainerStore::lookup(std::string_view id_or_name) const {
  std::string key(id_or_name);
  if (key.empty() || key.find('/') != std::string::npos || key == "." || key == "..")
    return std::nullopt;
  if (is_container_id(key))
    if (auto r = load(key))
      return r;
  if (auto owner = read_link(m_root / "names" / key))
    if (auto r = load(*owner))
      return r;
  if (key.find_first_not_of("0123456789abcdef") != std::string::npos)
    return std::nullopt;
  std::optional<ContainerRecord> match;
  for (ContainerRecord& r : list()) {
    if (r.id.compare(0, key.size(), key) != 0)
      continue;
    if (match)
      throw util::Error(util::cat("container id prefix ", util::quote(key),
                                  " is ambiguous: matches ", match->id.substr(0, 12), " and ",
                                  r.id.substr(0, 12)));
    match = std::move(r);
  }
  return match;
}

std::vector<ContainerRecord> ContainerStore::list() const {
  std::vector<ContainerRecord> out;
  for (const std::string& id : ids())
    if (auto r = load(id))
      out.push_back(std::move(*r));
  std::sort(out.begin(), out.end(),
            [](const ContainerRecord& a, const ContainerRecord& b) { return a.created > b.created; });
  return out;
}

void ContainerStore::remove(const ContainerRecord& record) const {
  // Out of containers/ first: a half-removed tree must not look like a container.
  TmpEntry doomed(m_root / "tmp", "removed-");
  if (::rename(dir(record.id).c_str(), doomed.path().c_str()) < 0 && errno != ENOENT)
    util::throw_errno(util::cat("remove container ", record.id));
  // Under the lock, so a name another container claimed meanwhile is left alone.
  util::FileLock lock = lock_names();
  std::filesystem::path link = m_root / "names" / record.name;
  if (read_link(link) == record.id)
    ::unlink(link.c_str());
}

void ContainerStore::remove_incomplete(const std::string& id) const {
  TmpEntry doomed(m_root / "tmp", "removed-");
  if (::rename(dir(id).c_str(), doomed.path().c_str()) < 0 && errno != ENOENT)
    util::throw_errno(util::cat("remove container ", id));
}

bool ContainerStore::image_in_use(const image::Digest& image_id) const {
  return users_of(image_id).size() > 0;
}

std::vector<std::string> ContainerStore::users_of(const image::Digest& image_id) const {
  std::vector<std::string> ids;
  for (const ContainerRecord& r : list()) {
    if (r.image_id == image_id)
      ids.push_back(r.id);
  }
  return ids;
}

} // namespace storage
