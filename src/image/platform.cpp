#include "image/platform.hpp"

#include "util/error.hpp"
#include "util/strings.hpp"

#include <sys/utsname.h>

#include <algorithm>
#include <tuple>
#include <utility>

namespace image {

namespace {

struct ArchName {
  std::string_view kernel; // uname -m
  std::string_view arch;   // Go/OCI GOARCH
  std::string_view variant;
};

// uname machine names to OCI names. 32-bit ARM on an arm64 kernel reports armv8l; the images
// it can run are arm/v7 ones, which is what registries publish.
constexpr ArchName kernel_arches[] = {
    {"x86_64", "amd64", ""},    {"amd64", "amd64", ""},   {"i386", "386", ""},
    {"i486", "386", ""},        {"i586", "386", ""},      {"i686", "386", ""},
    {"aarch64", "arm64", "v8"}, {"arm64", "arm64", "v8"}, {"armv8l", "arm", "v7"},
    {"armv7l", "arm", "v7"},    {"armv7", "arm", "v7"},   {"armv6l", "arm", "v6"},
    {"armv5tel", "arm", "v5"},  {"armv5l", "arm", "v5"},  {"ppc64le", "ppc64le", ""},
    {"ppc64", "ppc64", ""},     {"s390x", "s390x", ""},   {"riscv64", "riscv64", ""},
    {"mips64", "mips64", ""},   {"mips", "mips", ""},     {"loongarch64", "loong64", ""},
};

// The architecture this binary was compiled for, used when uname reports something unknown.
Platform compiled_platform() {
#if defined(__x86_64__)
  return {"linux", "amd64", ""};
#elif defined(__aarch64__)
  return {"linux", "arm64", "v8"};
#elif defined(__i386__)
  return {"linux", "386", ""};
#elif defined(__arm__)
  return {"linux", "arm", "v7"};
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  return {"linux", "ppc64le", ""};
#elif defined(__s390x__)
  return {"linux", "s390x", ""};
#elif defined(__riscv) && __riscv_xlen == 64
  return {"linux", "riscv64", ""};
#else
  return {"linux", "unknown", ""};
#endif
}

// Aliases users type in --platform, mapped to OCI names (containerd's normalization).
std::pair<std::string, std::string> normalize_arch(std::string arch, std::string variant) {
  if (arch == "x86_64" || arch == "x86-64" || arch == "amd64") {
    if (variant == "v1")
      variant.clear();
    return {"amd64", variant};
  }
  if (arch == "i386" || arch == "i686")
    return {"386", variant};
  if (arch == "aarch64" || arch == "arm64")
    return {"arm64", variant};
  if (arch == "armhf")
    return {"arm", variant.empty() ? "v7" : variant};
  if (arch == "armel")
    return {"arm", variant.empty() ? "v6" : variant};
  return {arch, variant};
}

bool valid_part(std::string_view part) {
  return !part.empty() && std::all_of(part.begin(), part.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
  });
}

} // namespace

Platform Platform::host() {
  struct utsname uts {};
  if (::uname(&uts) == 0) {
    std::string_view machine = uts.machine;
    for (const auto& entry : kernel_arches) {
      if (entry.kernel == machine)
        return {"linux", std::string(entry.arch), std::string(entry.variant)};
    }
  }
  return compiled_platform();
}

Platform Platform::parse(std::string_view text) {
  auto parts = util::split(util::to_lower(text), '/');
  bool ok = parts.size() <= 3 && std::all_of(parts.begin(), parts.end(), valid_part);
  if (!ok)
    throw util::Error(
        util::cat("invalid platform ", util::quote(text), ": expected os/arch[/variant]"));
  Platform platform;
  if (parts.size() == 1) {
    platform.os = "linux";
    std::tie(platform.architecture, platform.variant) = normalize_arch(parts[0], "");
  } else {
    platform.os = parts[0];
    std::tie(platform.architecture, platform.variant) =
        normalize_arch(parts[1], parts.size() == 3 ? parts[2] : "");
  }
  return platform;
}

std::string Platform::str() const {
  std::string out = util::cat(os, '/', architecture);
  if (!variant.empty())
    out += util::cat('/', variant);
  return out;
}

bool Platform::accepts(const Platform& candidate) const {
  if (os != candidate.os || architecture != candidate.architecture)
    return false;
  if (variant.empty() || candidate.variant.empty())
    return true;
  return variant == candidate.variant;
}

} // namespace image
