// Copying file trees for `cp` and `export`: a walk of a directory tree (never following a
// symlink below its top, optionally staying on one mount) or of a tar stream, into a directory
// or a tar stream. Every lookup below the top is relative to an open directory with
// RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS, so a container's files cannot lead a copy elsewhere.
#pragma once

#include <sys/stat.h>

#include <string>
#include <vector>

namespace storage {
class TarWriter;
}

namespace runtime {

// Whom the created files belong to.
enum class CopyOwners {
  creator, // the copying user: the container's root inside a container (Docker's default)
  source,  // the ids of the source (cp -a)
};

// Which mounts a directory walk descends into.
enum class MountWalk {
  all,           // every mount below the top
  no_pseudo_fs,  // not /proc, /sys, devpts, cgroup, mqueue (cp from a running container)
  top_only,      // none: another mount's root directory is reported empty (export)
};

// The data of a regular file that does not come from a descriptor (a tar entry).
class EntryContent {
public:
  virtual ~EntryContent() = default;
  // Writes the whole content into `out` (a new, empty file).
  virtual void write_to(int out) = 0;
};

// One entry of a tree being copied.
struct TreeEntry {
  std::string path;      // relative to the copy's destination: "etc", "etc/passwd"
  struct stat st {};     // type, mode, owner, size, times, rdev
  std::string link;      // a symlink's target
  std::string hardlink;  // a regular file that is a hard link to this earlier entry
  int fd = -1;           // a regular file's content, open for reading (borrowed)
  EntryContent* content = nullptr; // or from elsewhere
};

// Where entries go, parents before children.
class TreeSink {
public:
  virtual ~TreeSink() = default;
  virtual void put(const TreeEntry& entry) = 0;
  // After the last entry.
  virtual void finish() {}
};

// Walks the tree whose top is the O_PATH descriptor `top` (a symlink itself when opened with
// O_NOFOLLOW), reporting it as `top_name` and its contents below that; an empty `top_name` leaves
// the top directory itself out and reports its contents at the top level. Sockets are skipped.
void walk_tree(int top, const std::string& top_name, MountWalk mounts, TreeSink& sink);

// Reads a tar stream from `in` and reports its entries (names sanitized: absolute names and
// ".." stay inside). Throws util::Error naming the bad entry.
void read_tar(int in, TreeSink& sink);

// Creates entries in the directory `dest` (borrowed O_PATH or O_RDONLY descriptor): an existing
// entry is replaced unless both are directories (then merged); directory modes and times are set
// at finish(), after their contents.
class DirWriter final : public TreeSink {
public:
  DirWriter(int dest, CopyOwners owners) : m_dest(dest), m_owners(owners) {}
  void put(const TreeEntry& entry) override;
  void finish() override;

private:
  struct DeferredDir {
    std::string path;
    mode_t mode;
    timespec times[2];
  };
  void set_owner(int dir_fd, const std::string& base, const struct stat& st);

  int m_dest;
  CopyOwners m_owners;
  std::vector<DeferredDir> m_dirs;
  bool m_warned_owner = false;
  bool m_warned_device = false;
};

// Adds entries to a tar (cp to "-", export).
class TarSink final : public TreeSink {
public:
  explicit TarSink(storage::TarWriter& tar) : m_tar(tar) {}
  void put(const TreeEntry& entry) override;

private:
  storage::TarWriter& m_tar;
};

} // namespace runtime
