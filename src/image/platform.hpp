// Platform: os/architecture/variant, as in OCI image indexes.
#pragma once

#include <string>
#include <string_view>

namespace image {

struct Platform {
  std::string os;
  std::string architecture;
  std::string variant; // may be empty

  // The platform this binary runs on (linux/amd64, linux/arm64/v8, ...), Go/OCI names.
  static Platform host();
  // "linux/arm64", "linux/arm/v7", "arm64" (os defaults to linux); throws util::Error otherwise.
  static Platform parse(std::string_view text);
  // "os/arch[/variant]"
  std::string str() const;
  // True when an index entry with platform `candidate` can run here: os and architecture equal,
  // variant equal when both set (arm64 treats empty and "v8" as the same).
  bool accepts(const Platform& candidate) const;

  friend bool operator==(const Platform&, const Platform&) = default;
};

} // namespace image
