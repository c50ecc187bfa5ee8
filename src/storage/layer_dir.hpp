// LayerDir: directory handles inside a layer being unpacked, resolved so that nothing can lead
// outside it. Every lookup goes through openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS) from the
// layer root: ".." stops at the root and symlinks (absolute or relative) resolve as if the layer
// were "/", the way crun's safe_openat confines container paths. Entries are then created with
// *at() calls on the last component, which never follow it.
#pragma once

#include "util/fd.hpp"

#include <filesystem>
#include <string>
#include <string_view>

namespace storage {

class LayerDir {
public:
  // Opens the (existing) layer root directory.
  explicit LayerDir(const std::filesystem::path& root);

  // The root directory fd (borrowed).
  int root_fd() const noexcept { return m_root.get(); }

  // Borrowed fd of the directory at sanitized path `dir` ("" = root), creating missing components
  // with mode 0755. The fd stays valid until the next call to dir().
  int dir(std::string_view dir);
  // Opens an existing directory (no creation); returns an invalid fd with errno set on failure.
  util::UniqueFd open_existing(std::string_view dir, int flags) const;
  // Forget cached handles (after removing anything that might be a cached directory).
  void invalidate() noexcept;

  // Makes room for a new entry `base` in `dir_fd`: an existing directory is kept when the new
  // entry is a directory too (returns true), anything else is removed (tar replaces entries).
  bool clear_for(int dir_fd, std::string_view base, bool new_is_dir);

private:
  util::UniqueFd create_dirs(std::string_view dir);

  util::UniqueFd m_root;
  std::string m_cached_path;
  util::UniqueFd m_cached_fd;
  util::UniqueFd m_retired; // invalidated but possibly still in use by the caller
};

// Removes `name` in `dir_fd` (a whole tree for a directory) without following symlinks.
void remove_at(int dir_fd, const std::string& name);

} // namespace storage
