// TempDir: a mkdtemp directory removed recursively on destruction unless kept.
#pragma once

#include <filesystem>

namespace util {

class TempDir {
public:
  // Creates "<parent>/<prefix>XXXXXX" (mode 0700).
  TempDir(const std::filesystem::path& parent, std::string_view prefix);
  TempDir(TempDir&& other) noexcept;
  TempDir& operator=(TempDir&&) = delete;
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir();

  const std::filesystem::path& path() const noexcept { return m_path; }
  // The directory stays after destruction (e.g. it was renamed into place).
  void keep() noexcept { m_keep = true; }

private:
  std::filesystem::path m_path;
  bool m_keep = false;
};

} // namespace util
