// ImageRef: a parsed, normalized image reference, as Docker normalizes them.
#pragma once

#include "image/digest.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace image {

class ImageRef {
public:
  // Parses and normalizes:
  //   "busybox"                 -> docker.io/library/busybox:latest
  //   "user/app:1"              -> docker.io/user/app:1
  //   "localhost:5000/x"        -> localhost:5000/x:latest   (host kept: has '.' or ':' or is localhost)
  //   "x@sha256:..."            -> docker.io/library/x@sha256:...  (no implicit tag)
  //   "x:1@sha256:..."          -> tag and digest both kept
  // Throws util::Error("invalid reference format: \"...\"") for anything else (upper case in the
  // repository, bad tag characters, tag > 128 chars, bad digest, empty components...).
  static ImageRef parse(std::string_view text);

  const std::string& registry() const noexcept { return m_registry; }
  const std::string& repository() const noexcept { return m_repository; }
  // Empty when the reference was digest-only.
  const std::string& tag() const noexcept { return m_tag; }
  const std::optional<Digest>& digest() const noexcept { return m_digest; }

  // "registry/repository"
  std::string name() const;
  // Full normalized form: "registry/repository[:tag][@digest]"
  std::string str() const;
  // Same name with a different tag and no digest (for tagging).
  ImageRef with_tag(std::string_view tag) const;
  // Same name pinned to a digest, keeping the tag.
  ImageRef with_digest(const Digest& digest) const;

  friend bool operator==(const ImageRef&, const ImageRef&) = default;

private:
  std::string m_registry;
  std::string m_repository;
  std::string m_tag;
  std::optional<Digest> m_digest;
};

// True when `text` looks like a hex image-id prefix rather than a name (used by lookups).
bool looks_like_id_prefix(std::string_view text);

} // namespace image
