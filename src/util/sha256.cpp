#include "util/sha256.hpp"

#include "util/dynlib.hpp"
#include "util/error.hpp"

#include <openssl/evp.h>

namespace util {

namespace {

// libcrypto is loaded on first use, like libcurl and libarchive (util/dynlib.hpp): a run of a
// local image hashes nothing, and mapping libcrypto costs about 1.4 MB of RSS and half a
// millisecond at every start.
struct CryptoApi {
  decltype(&::EVP_MD_CTX_new) EVP_MD_CTX_new;
  decltype(&::EVP_MD_CTX_free) EVP_MD_CTX_free;
  decltype(&::EVP_DigestInit_ex) EVP_DigestInit_ex;
  decltype(&::EVP_sha256) EVP_sha256;
  decltype(&::EVP_DigestUpdate) EVP_DigestUpdate;
  decltype(&::EVP_DigestFinal_ex) EVP_DigestFinal_ex;
};

const CryptoApi& crypto() {
  static const CryptoApi api = [] {
    static const DynamicLibrary library("libcrypto.so.3", "libssl3");
    CryptoApi loaded{};
    loaded.EVP_MD_CTX_new = library.function<decltype(loaded.EVP_MD_CTX_new)>("EVP_MD_CTX_new");
    loaded.EVP_MD_CTX_free = library.function<decltype(loaded.EVP_MD_CTX_free)>("EVP_MD_CTX_free");
    loaded.EVP_DigestInit_ex = library.function<decltype(loaded.EVP_DigestInit_ex)>("EVP_DigestInit_ex");
    loaded.EVP_sha256 = library.function<decltype(loaded.EVP_sha256)>("EVP_sha256");
    loaded.EVP_DigestUpdate = library.function<decltype(loaded.EVP_DigestUpdate)>("EVP_DigestUpdate");
    loaded.EVP_DigestFinal_ex = library.function<decltype(loaded.EVP_DigestFinal_ex)>("EVP_DigestFinal_ex");
    return loaded;
  }();
  return api;
}

} // namespace

struct Sha256::Ctx {
  EVP_MD_CTX* md;
};

void Sha256::CtxDeleter::operator()(Ctx* ctx) const noexcept {
  crypto().EVP_MD_CTX_free(ctx->md);
  delete ctx;
}

Sha256::Sha256() : m_ctx(new Ctx{crypto().EVP_MD_CTX_new()}) {
  if (m_ctx->md == nullptr || crypto().EVP_DigestInit_ex(m_ctx->md, crypto().EVP_sha256(), nullptr) != 1)
    throw Error("initialize SHA-256 context: OpenSSL failure");
}

Sha256::~Sha256() = default;

void Sha256::update(const void* data, size_t size) {
  if (crypto().EVP_DigestUpdate(m_ctx->md, data, size) != 1)
    throw Error("update SHA-256: OpenSSL failure");
}

std::string Sha256::finish_hex() {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (crypto().EVP_DigestFinal_ex(m_ctx->md, digest, &len) != 1)
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
