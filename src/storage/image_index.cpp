#include "storage/image_index.hpp"

#include "util/error.hpp"
#include "util/file_lock.hpp"
#include "util/fs.hpp"
#include "util/strings.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>

namespace storage {

namespace {

using nlohmann::json;

json to_json(const ImageRecord& r) {
  json layers = json::array();
  for (const image::Digest& d : r.layers)
    layers.push_back(d.str());
  return json{{"id", r.id.str()},           {"manifest_digest", r.manifest_digest.str()},
              {"names", r.names},           {"digests", r.digests},
              {"layers", layers},           {"created", r.created},
              {"pulled", r.pulled},         {"size", r.size}};
}

ImageRecord from_json(const json& j) {
  ImageRecord r{image::Digest::parse(j.at("id").get<std::string>()),
                image::Digest::parse(j.at("manifest_digest").get<std::string>()),
                j.value("names", std::vector<std::string>{}),
                j.value("digests", std::vector<std::string>{}),
                {},
                j.value("created", std::string()),
                j.value("pulled", std::string()),
                j.value("size", std::uint64_t{0})};
  for (const auto& d : j.value("layers", std::vector<std::string>{}))
    r.layers.push_back(image::Digest::parse(d));
  return r;
}

bool erase_value(std::vector<std::string>& values, const std::string& value) {
  auto it = std::find(values.begin(), values.end(), value);
  if (it == values.end())
    return false;
  values.erase(it);
  return true;
}

void add_unique(std::vector<std::string>& values, const std::string& value) {
  if (std::find(values.begin(), values.end(), value) == values.end())
    values.push_back(value);
}

// The name a reference is stored under: "name:tag", or "name@digest" for digest references.
std::string stored_name(const image::ImageRef& ref, bool& is_digest) {
  is_digest = ref.digest().has_value();
  return is_digest ? ref.name() + "@" + ref.digest()->str() : ref.name() + ":" + ref.tag();
}

// Points `name` at `target` alone: a tag belongs to one image at a time.
void move_name(std::vector<ImageRecord>& records, ImageRecord& target, const std::string& name,
               bool is_digest) {
  for (ImageRecord& r : records) {
    if (&r != &target)
      erase_value(is_digest ? r.digests : r.names, name);
  }
  add_unique(is_digest ? target.digests : target.names, name);
}

bool has_name(const std::vector<std::string>& names, std::string_view repo) {
  return std::any_of(names.begin(), names.end(), [&](const std::string& n) {
    return n.size() > repo.size() && n.compare(0, repo.size(), repo) == 0 &&
           (n[repo.size()] == ':' || n[repo.size()] == '@');
  });
}

} // namespace

ImageIndex::ImageIndex(std::filesystem::path storage_root) : m_root(std::move(storage_root)) {}

std::vector<ImageRecord> ImageIndex::load() const {
  std::filesystem::path path = m_root / "images.json";
  try {
    auto text = util::read_file_if_exists(path);
    std::vector<ImageRecord> out;
    if (!text)
      return out;
    json doc = json::parse(*text);
    for (const json& j : doc.at("images"))
      out.push_back(from_json(j));
    return out;
  } catch (const json::exception& e) {
    throw util::Error(util::cat("read ", util::quote(path.string()), ": ", e.what()));
  } catch (...) {
    util::rethrow_with_context(util::cat("read ", util::quote(path.string())));
  }
}

void ImageIndex::save(const std::vector<ImageRecord>& records) const {
  json images = json::array();
  for (const ImageRecord& r : records)
    images.push_back(to_json(r));
  util::write_file_atomic(m_root / "images.json", json{{"images", images}}.dump(1), 0600);
}

std::vector<ImageRecord> ImageIndex::list() const {
  std::vector<ImageRecord> records = load();
  std::stable_sort(records.begin(), records.end(), [](const ImageRecord& a, const ImageRecord& b) {
    return a.created != b.created ? a.created > b.created : a.pulled > b.pulled;
  });
  return records;
}

std::optional<ImageRecord> ImageIndex::find(const image::ImageRef& ref) const {
  for (ImageRecord& r : load()) {
    if (ref.digest()) {
      // A digest names content; any tag given with it is informational.
      if (r.manifest_digest == *ref.digest() &&
          (has_name(r.digests, ref.name()) || has_name(r.names, ref.name())))
        return r;
    } else if (std::find(r.names.begin(), r.names.end(), ref.str()) != r.names.end()) {
      return r;
    }
  }
  return std::nullopt;
}

std::optional<ImageRecord> ImageIndex::lookup(std::string_view user_text) const {
  bool digest_form = user_text.substr(0, 7) == "sha256:";
  if (!digest_form) {
    try {
      if (auto found = find(image::ImageRef::parse(user_text)))
        return found;
    } catch (const util::Error&) {
      if (!image::looks_like_id_prefix(user_text))
        throw;
    }
  }
  std::string_view prefix = digest_form ? user_text.substr(7) : user_text;
  if (prefix.empty() || (!digest_form && !image::looks_like_id_prefix(prefix)))
    return std::nullopt;
  std::optional<ImageRecord> match;
  for (ImageRecord& r : load()) {
    if (r.id.hex().compare(0, prefix.size(), prefix) != 0)
      continue;
    if (match)
      throw util::Error(util::cat("image id prefix ", util::quote(user_text),
                                  " is ambiguous: matches ", match->id.short_hex(), " and ",
                                  r.id.short_hex()));
    match = std::move(r);
  }
  return match;
}

ImageRecord ImageIndex::add(const ImageRecord& record, const std::optional<image::ImageRef>& ref) {
  util::FileLock lock(m_root / "meta.lock", util::LockMode::exclusive);
  std::vector<ImageRecord> records = load();
  auto it = std::find_if(records.begin(), records.end(),
                         [&](const ImageRecord& r) { return r.id == record.id; });
  if (it == records.end()) {
    records.push_back(record);
    it = records.end() - 1;
    it->names.clear();
    it->digests.clear();
  } else {
    std::vector<std::string> names = it->names;
    std::vector<std::string> digests = it->digests;
    *it = record;
    it->names = names;
    it->digests = digests;
  }
  ImageRecord& target = *it;
  for (const std::string& n : record.names)
    move_name(records, target, n, false);
  for (const std::string& d : record.digests)
    move_name(records, target, d, true);
  if (ref) {
    bool is_digest = false;
    std::string name = stored_name(*ref, is_digest);
    move_name(records, target, name, is_digest);
    if (is_digest && !ref->tag().empty())
      move_name(records, target, ref->name() + ":" + ref->tag(), false);
  }
  ImageRecord result = target;
  save(records);
  return result;
}

void ImageIndex::tag(const image::Digest& id, const image::ImageRef& ref) {
  util::FileLock lock(m_root / "meta.lock", util::LockMode::exclusive);
  std::vector<ImageRecord> records = load();
  auto it = std::find_if(records.begin(), records.end(),
                         [&](const ImageRecord& r) { return r.id == id; });
  if (it == records.end())
    throw util::Error(util::cat("tag ", ref.str(), ": image ", id.str(), " not known"));
  bool is_digest = false;
  std::string name = stored_name(ref, is_digest);
  if (is_digest)
    throw util::Error(util::cat("tag ", ref.str(), ": a tag cannot contain a digest"));
  move_name(records, *it, name, false);
  save(records);
}

std::optional<ImageRecord> ImageIndex::untag(const image::ImageRef& ref) {
  util::FileLock lock(m_root / "meta.lock", util::LockMode::exclusive);
  std::vector<ImageRecord> records = load();
  bool is_digest = false;
  std::string name = stored_name(ref, is_digest);
  for (ImageRecord& r : records) {
    if (!erase_value(is_digest ? r.digests : r.names, name))
      continue;
    save(records);
    if (r.names.empty())
      return r;
    return std::nullopt;
  }
  throw util::Error(util::cat("untag ", ref.str(), ": image not known"));
}

void ImageIndex::remove(const image::Digest& id) {
  util::FileLock lock(m_root / "meta.lock", util::LockMode::exclusive);
  std::vector<ImageRecord> records = load();
  auto it = std::remove_if(records.begin(), records.end(),
                           [&](const ImageRecord& r) { return r.id == id; });
  if (it == records.end())
    return;
  records.erase(it, records.end());
  save(records);
}

} // namespace storage
