#include "util/sha256.hpp"

#include "util/error.hpp"

#include <openssl/evp.h>

namespace util {

struct Sha256::Ctx {
  EVP_MD_CTX* md;
};

void Sha256::CtxDeleter::operator()(Ctx* ctx) const noexcept {
  EVP_MD_CTX_free(ctx->md);
  delete ctx;
}

Sha256::Sha256() : m_ctx(new Ctx{EVP_MD_CTX_new()}) {
  if (m_ctx->md == nullptr || EVP_DigestInit_ex(m_ctx->md, EVP_sha256(), nullptr) != 1)
    throw Error("initialize SHA-256 context: OpenSSL failure");
}

Sha256::~Sha256() = default;

void Sha256::update(const void* data, size_t size) {
  if (EVP_DigestUpdate(m_ctx->md, data, size) != 1)
    throw Error("update SHA-256: OpenSSL failure");
}

std::string Sha256::finish_hex() {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(m_ctx->md, digest, &len) != 1)
    throw Error("finish SHA-256: OpenSSL failure");
  static const char hexdigits[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(len * 2);
  for (unsigned int i = 0; i < len; ++i) {
    hex += hexdigits[digest[i] >> 4];
    hex += hexdigits[digest[i] & 0xf];
  }
  return hex;
}

std::string Sha256::hex_of(std::string_view data) {
  Sha256 h;
  h.update(data);
  return h.finish_hex();
}

} // namespace util
