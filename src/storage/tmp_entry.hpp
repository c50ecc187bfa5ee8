// TmpEntry: a uniquely named path in the store's tmp/ whose owner holds "<name>.lock" (flock) for
// as long as it lives, so a later invocation can tell abandoned entries (lock free: the owner was
// killed) from ones in use, and remove only the former.
#pragma once

#include "util/file_lock.hpp"

#include <filesystem>
#include <optional>
#include <string_view>

namespace storage {

class TmpEntry {
public:
  // Reserves "<tmp_dir>/<prefix><random>" and locks its companion lock file. The entry itself
  // (file or directory) is created by the caller at path().
  TmpEntry(const std::filesystem::path& tmp_dir, std::string_view prefix);
  TmpEntry(TmpEntry&& other) noexcept;
  TmpEntry& operator=(TmpEntry&&) = delete;
  TmpEntry(const TmpEntry&) = delete;
  TmpEntry& operator=(const TmpEntry&) = delete;
  // Removes the entry (unless released) and then the lock file; logs failures.
  ~TmpEntry();

  const std::filesystem::path& path() const noexcept { return m_path; }
  // The entry was renamed elsewhere: only the lock file is left to remove.
  void release() noexcept { m_released = true; }

private:
  std::filesystem::path m_path;
  std::optional<util::FileLock> m_lock;
  bool m_released = false;
};

// Removes entries of `tmp_dir` whose lock file can be locked (their owner is gone). Entries
// without a lock file are left alone: they are not ours to judge. Never throws; logs at debug.
void clean_stale_tmp(const std::filesystem::path& tmp_dir) noexcept;

} // namespace storage
