#include "storage/tmp_entry.hpp"

#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/log.hpp"
#include "util/strings.hpp"

#include <unistd.h>

#include <cerrno>

namespace storage {

namespace {
constexpr std::string_view lock_suffix = ".lock";

std::filesystem::path lock_path_of(const std::filesystem::path& entry) {
  std::filesystem::path lock = entry;
  lock += std::string(lock_suffix);
  return lock;
}
} // namespace

TmpEntry::TmpEntry(const std::filesystem::path& tmp_dir, std::string_view prefix)
    : m_path(tmp_dir / util::cat(prefix, util::random_hex(12))) {
  // The lock comes first so the entry is never visible without a held lock.
  m_lock.emplace(lock_path_of(m_path), util::LockMode::exclusive);
}

TmpEntry::TmpEntry(TmpEntry&& other) noexcept
    : m_path(std::move(other.m_path)), m_lock(std::move(other.m_lock)),
      m_released(other.m_released) {
  other.m_released = true;
  other.m_lock.reset();
  other.m_path.clear();
}

TmpEntry::~TmpEntry() {
  if (m_path.empty())
    return;
  try {
    if (!m_released)
      util::remove_tree(m_path);
  } catch (const std::exception& e) {
    util::log::warning("remove temporary ", util::quote(m_path.string()), ": ", e.what());
  }
  ::unlink(lock_path_of(m_path).c_str());
}

void clean_stale_tmp(const std::filesystem::path& tmp_dir) noexcept {
  try {
    std::error_code ec;
    for (const auto& item : std::filesystem::directory_iterator(tmp_dir, ec)) {
      std::string name = item.path().filename().string();
      if (name.size() <= lock_suffix.size() ||
          name.compare(name.size() - lock_suffix.size(), lock_suffix.size(), lock_suffix) != 0)
        continue;
      auto lock = util::FileLock::try_lock(item.path(), util::LockMode::exclusive);
      if (!lock)
        continue; // its owner is alive
      std::filesystem::path entry = tmp_dir / name.substr(0, name.size() - lock_suffix.size());
      LOG_DEBUG("remove stale temporary ", util::quote(entry.string()));
      util::remove_tree(entry);
      ::unlink(item.path().c_str());
    }
  } catch (const std::exception& e) {
    util::log::warning("clean up ", util::quote(tmp_dir.string()), ": ", e.what());
  }
}

} // namespace storage
