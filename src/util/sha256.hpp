// Streaming SHA-256 (OpenSSL EVP).
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

namespace util {

class Sha256 {
public:
  Sha256();
  Sha256(Sha256&&) noexcept = default;
  Sha256& operator=(Sha256&&) noexcept = default;
  ~Sha256();

  void update(const void* data, size_t size);
  void update(std::string_view data) { update(data.data(), data.size()); }
  // Lower-case hex of the digest; the hasher cannot be updated afterwards.
  std::string finish_hex();

  // One-shot helper.
  static std::string hex_of(std::string_view data);

private:
  struct Ctx;
  struct CtxDeleter {
    void operator()(Ctx* ctx) const noexcept;
  };
  std::unique_ptr<Ctx, CtxDeleter> m_ctx;
};

} // namespace util
