// Digest: a validated content digest ("sha256:<64 lowercase hex>"). Never a raw string past parsing.
#pragma once

#include <compare>
#include <string>
#include <string_view>

namespace image {

class Digest {
public:
  // Parses "sha256:<64 lowercase hex>"; throws util::Error quoting the input otherwise
  // (other algorithms are rejected as unsupported).
  static Digest parse(std::string_view text);
  // Digest of the given bytes.
  static Digest sha256_of(std::string_view bytes);
  // From 64 lowercase hex characters (validated).
  static Digest from_hex(std::string_view hex);

  const std::string& algorithm() const noexcept { return m_algorithm; }
  const std::string& hex() const noexcept { return m_hex; }
  // "sha256:<hex>"
  std::string str() const { return m_algorithm + ":" + m_hex; }
  // First 12 hex characters, as image and container ids are shown.
  std::string short_hex() const { return m_hex.substr(0, 12); }

  friend bool operator==(const Digest&, const Digest&) = default;
  friend auto operator<=>(const Digest&, const Digest&) = default;

private:
  Digest(std::string algorithm, std::string hex)
      : m_algorithm(std::move(algorithm)), m_hex(std::move(hex)) {}
  std::string m_algorithm;
  std::string m_hex;
};

} // namespace image
