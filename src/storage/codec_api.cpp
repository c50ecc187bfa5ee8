#include "storage/codec_api.hpp"

#include "util/dynlib.hpp"

namespace storage {

const ZstdApi& zstd_api() {
  static const ZstdApi api = [] {
    static const util::DynamicLibrary library("libzstd.so.1", "libzstd1");
    ZstdApi loaded{};
    loaded.createDCtx = library.function<decltype(loaded.createDCtx)>("ZSTD_createDCtx");
    loaded.decompressStream = library.function<decltype(loaded.decompressStream)>("ZSTD_decompressStream");
    loaded.freeDCtx = library.function<decltype(loaded.freeDCtx)>("ZSTD_freeDCtx");
    loaded.getErrorName = library.function<decltype(loaded.getErrorName)>("ZSTD_getErrorName");
    loaded.isError = library.function<decltype(loaded.isError)>("ZSTD_isError");
    return loaded;
  }();
  return api;
}

const IsalApi& isal_api() {
  static const IsalApi api = [] {
    static const util::DynamicLibrary library("libisal.so.2", "libisal2");
    IsalApi loaded{};
    loaded.inflate = library.function<decltype(loaded.inflate)>("isal_inflate");
    loaded.inflate_init = library.function<decltype(loaded.inflate_init)>("isal_inflate_init");
    return loaded;
  }();
  return api;
}

} // namespace storage
