// Whiteouts: how a layer tar says "delete this" (".wh.NAME") or "hide the lower directory"
// (".wh..wh..opq"), and the overlay form they take on disk (pure mapping, no I/O).
#pragma once

#include <string>
#include <string_view>

namespace storage {

inline constexpr std::string_view whiteout_prefix = ".wh.";
inline constexpr std::string_view opaque_marker = ".wh..wh..opq";
// Overlay (mounted with userxattr) and fuse-overlayfs read these to treat a directory as opaque.
inline constexpr const char* overlay_opaque_xattr = "user.overlay.opaque";
inline constexpr const char* fuse_overlay_opaque_xattr = "user.fuseoverlayfs.opaque";
// Read by a kernel overlay mounted by real root without userxattr.
inline constexpr const char* trusted_opaque_xattr = "trusted.overlay.opaque";

enum class WhiteoutKind {
  none,   // an ordinary entry
  file,   // remove `target` from the lower layers: stored as a 0/0 char device named `target`
  opaque, // hide the lower contents of directory `target`: stored as opaque xattrs on it
  meta,   // other ".wh..wh.*" bookkeeping entries (aufs hardlink dirs): skipped
};

struct Whiteout {
  WhiteoutKind kind = WhiteoutKind::none;
  std::string target; // sanitized path the whiteout applies to ("" is the layer root)
};

// Classifies a sanitized entry path. Throws util::Error for ".wh." with nothing after it.
Whiteout classify_whiteout(std::string_view sanitized_path);

// The reverse direction, for writing layer tars: the tar entry name that deletes `path`
// ("a/b" -> "a/.wh.b") and the one that marks directory `dir` opaque ("a" -> "a/.wh..wh..opq").
std::string whiteout_entry_name(std::string_view path);
std::string opaque_entry_name(std::string_view dir);

} // namespace storage
