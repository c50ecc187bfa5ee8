// FileLock: an flock(2) held for the object's lifetime. Released by the kernel on crash.
#pragma once

#include "util/fd.hpp"

#include <filesystem>
#include <optional>

namespace util {

enum class LockMode { shared, exclusive };

class FileLock {
public:
  // Opens (creating) `path` and blocks until the lock is granted.
  FileLock(const std::filesystem::path& path, LockMode mode);
  // Non-blocking variant: std::nullopt when another holder has it.
  static std::optional<FileLock> try_lock(const std::filesystem::path& path, LockMode mode);
  FileLock(FileLock&&) noexcept = default;
  FileLock& operator=(FileLock&&) noexcept = default;

  // Drops the lock early.
  void unlock() noexcept { m_fd.reset(); }

private:
  FileLock() = default;
  UniqueFd m_fd;
};

} // namespace util
