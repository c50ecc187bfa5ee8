#include "util/temp_dir.hpp"

#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/log.hpp"

#include <cstdlib>
#include <string>

namespace util {

TempDir::TempDir(const std::filesystem::path& parent, std::string_view prefix) {
  std::string pattern = (parent / std::string(prefix)).string() + "XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr)
    throw_errno(cat("create temporary directory ", quote(pattern)));
  m_path = pattern;
}

TempDir::TempDir(TempDir&& other) noexcept
    : m_path(std::move(other.m_path)), m_keep(other.m_keep) {
  other.m_keep = true;
}

TempDir::~TempDir() {
  if (m_keep || m_path.empty())
    return;
  try {
    remove_tree(m_path);
  } catch (const std::exception& e) {
    log::warning("remove temporary directory: ", e.what());
  }
}

} // namespace util
