#include "build/step_image.hpp"

#include "storage/store.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/log.hpp"
#include "util/strings.hpp"

#include <unistd.h>

namespace build::detail {

StepImage::StepImage(storage::Store& store, const storage::ImageRecord& record)
    : m_store(store), m_id(record.id), m_dir(store.root() / "build-images") {
  util::make_dirs(m_dir, 0700);
  util::FileLock guard(m_dir / ".lock", util::LockMode::exclusive);
  // Never waits for long: an exclusive holder of a .use file only ever tries, under the guard.
  m_use.emplace(file(".use"), util::LockMode::shared);
  auto& images = m_store.images();
  if (images.lookup(m_id.str()))
    return; // another build's step record, or an image of its own: either way not ours to add
  images.add(record, std::nullopt);
  util::write_file_atomic(file(".temp"), "", 0600);
}

StepImage::~StepImage() {
  try {
    util::FileLock guard(m_dir / ".lock", util::LockMode::exclusive);
    m_use.reset();
    auto alone = util::FileLock::try_lock(file(".use"), util::LockMode::exclusive);
    if (!alone)
      return; // another build is still running a step on it
    if (::access(file(".temp").c_str(), F_OK) == 0) {
      m_store.images().remove(m_id);
      ::unlink(file(".temp").c_str());
    }
    ::unlink(file(".use").c_str());
  } catch (const std::exception& e) {
    // a stale unnamed record is harmless and `cove rmi` removes it
    util::log::warning("remove the step image ", m_id.str(), ": ", e.what());
  }
}

std::filesystem::path StepImage::file(const char* suffix) const { return m_dir / (m_id.hex() + suffix); }

} // namespace build::detail
