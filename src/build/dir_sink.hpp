// DirSink: a LayerSink that writes the entries into a directory instead of a tar, so what a COPY
// would put in a layer (the context filtered by .dockerignore) can be bind-mounted into a RUN.
#pragma once
#include "build/tar_writer.hpp"

#include <filesystem>

namespace build {

class DirSink : public LayerSink {
public:
  // Entries land under `root`, which must exist; paths never leave it (no "..", no symlink
  // is followed for the last component).
  explicit DirSink(std::filesystem::path root) : m_root(std::move(root)) {}

  void add_dir(const std::string& path, const EntryMeta& meta) override;
  void add_file(const std::string& path, int source, std::int64_t size, const EntryMeta& meta) override;
  void add_bytes(const std::string& path, std::string_view bytes, const EntryMeta& meta) override;
  void add_symlink(const std::string& path, const std::string& target, const EntryMeta& meta) override;

private:
  std::filesystem::path at(const std::string& path) const;
  std::filesystem::path m_root;
};

} // namespace build
