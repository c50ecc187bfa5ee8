#include "build/cache_mount_dir.hpp"

#include "storage/store.hpp"
#include "storage/tmp_entry.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/log.hpp"
#include "util/sha256.hpp"
#include "util/strings.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>

namespace build {
namespace fs = std::filesystem;
namespace {

// Creates `dir` when missing; the caller holds its lock exclusively.
void ensure_dir(const storage::Store& store, const fs::path& dir, const RunMount& m, const CacheSeed& seed) {
  struct stat st {};
  if (::lstat(dir.c_str(), &st) == 0) {
    if (!S_ISDIR(st.st_mode))
      throw util::Error(util::cat(util::quote(dir.string()), " is not a directory"));
    return;
  }
  // Built aside and renamed in, so a killed build never leaves a half-seeded cache.
  storage::TmpEntry tmp(store.tmp_dir(), "cache-mount-");
  if (::mkdir(tmp.path().c_str(), 0700) < 0)
    util::throw_errno(util::cat("mkdir ", util::quote(tmp.path().string())));
  if (::chown(tmp.path().c_str(), m.uid, m.gid) < 0)
    util::throw_errno(util::cat("chown ", util::quote(tmp.path().string()), " to ", m.uid, ":", m.gid,
                                " (is that id mapped?)"));
  if (::chmod(tmp.path().c_str(), m.mode) < 0)
    util::throw_errno(util::cat("chmod ", util::quote(tmp.path().string())));
  if (seed)
    seed(tmp.path());
  if (::rename(tmp.path().c_str(), dir.c_str()) < 0)
    util::throw_errno(util::cat("rename ", util::quote(tmp.path().string()), " to ", util::quote(dir.string())));
  tmp.release();
  LOG_DEBUG("cache mount ", m.id, ": created ", dir.string());
}

} // namespace

CacheMountDir CacheMountDir::acquire(const storage::Store& store, const RunMount& m, const CacheSeed& seed) {
  auto base = store.root() / "build-mounts" / "cache";
  util::make_dirs(base, 0700);
  util::Sha256 hash;
  hash.update(m.id);
  auto name = hash.finish_hex();
  auto lock_of = [&](const std::string& dir) { return base / (dir + ".lock"); };
  if (m.sharing == CacheSharing::private_) {
    for (int instance = 0;; ++instance) {
      auto dir = instance == 0 ? name : util::cat(name, "-", instance);
      if (auto lock = util::FileLock::try_lock(lock_of(dir), util::LockMode::exclusive)) {
        ensure_dir(store, base / dir, m, seed);
        return CacheMountDir(base / dir, std::move(*lock));
      }
    }
  }
  util::FileLock lock(lock_of(name), util::LockMode::exclusive);
  ensure_dir(store, base / name, m, seed);
  if (m.sharing == CacheSharing::shared) {
    // flock cannot downgrade atomically; the directory is never removed while builds run, so
    // the short unlocked gap only lets a waiting builder in earlier.
    lock.unlock();
    lock = util::FileLock(lock_of(name), util::LockMode::shared);
  }
  return CacheMountDir(base / name, std::move(lock));
}

} // namespace build
