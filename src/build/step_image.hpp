// The stage as it stands, recorded as an unnamed image while one RUN step runs on it (the
// runtime starts containers from image records). Concurrent builds whose stages have the same
// config share one record, so its lifetime is counted, not owned by whoever added it first.
#pragma once
#include "storage/image_index.hpp"
#include "util/file_lock.hpp"

#include <filesystem>
#include <optional>

namespace storage {
class Store;
}

namespace build::detail {

// Each user holds a shared flock on <root>/build-images/<hex>.use for as long as it runs on the
// record; <hex>.temp marks a record a build added. The last user out removes a marked record;
// an image that was recorded before (a pulled or built one with the same config) is never
// removed. Adding, joining and leaving happen under <root>/build-images/.lock, so one build
// cannot remove the record between another's lookup and its run.
class StepImage {
public:
  // Records `record` (unless it is already there) and joins its users. Throws util::Error.
  StepImage(storage::Store& store, const storage::ImageRecord& record);
  StepImage(const StepImage&) = delete;
  StepImage& operator=(const StepImage&) = delete;
  // Leaves; the last user removes a record a build added. Never throws.
  ~StepImage();

private:
  std::filesystem::path file(const char* suffix) const;

  storage::Store& m_store;
  image::Digest m_id;
  std::filesystem::path m_dir;
  std::optional<util::FileLock> m_use;
};

} // namespace build::detail
