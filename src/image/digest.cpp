#include "image/digest.hpp"

#include "util/error.hpp"
#include "util/sha256.hpp"
#include "util/strings.hpp"

namespace image {

namespace {

constexpr std::string_view sha256_prefix = "sha256:";

bool is_lower_hex(std::string_view text) {
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
      return false;
  }
  return true;
}

} // namespace

Digest Digest::parse(std::string_view text) {
  size_t colon = text.find(':');
  if (colon == std::string_view::npos || colon == 0)
    throw util::Error(
        util::cat("invalid digest ", util::quote(text), ": expected \"sha256:<hex>\""));
  if (text.substr(0, colon + 1) != sha256_prefix)
    throw util::Error(util::cat("unsupported digest algorithm in ", util::quote(text),
                                ": only sha256 is supported"));
  std::string_view hex = text.substr(colon + 1);
  if (hex.size() != 64 || !is_lower_hex(hex))
    throw util::Error(
        util::cat("invalid digest ", util::quote(text), ": expected 64 lowercase hex characters"));
  return Digest("sha256", std::string(hex));
}

Digest Digest::sha256_of(std::string_view bytes) {
  return Digest("sha256", util::Sha256::hex_of(bytes));
}

Digest Digest::from_hex(std::string_view hex) {
  if (hex.size() != 64 || !is_lower_hex(hex))
    throw util::Error(util::cat("invalid sha256 hex ", util::quote(hex),
                                ": expected 64 lowercase hex characters"));
  return Digest("sha256", std::string(hex));
}

} // namespace image
