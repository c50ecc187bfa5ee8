// The zstd and ISA-L functions layer decompression uses, loaded on first use (see
// util/dynlib.hpp for why): only pulls and imports decompress anything.
#pragma once

#include <isa-l/igzip_lib.h>
#include <zstd.h>

namespace storage {

struct ZstdApi {
  decltype(&::ZSTD_createDCtx) createDCtx;
  decltype(&::ZSTD_decompressStream) decompressStream;
  decltype(&::ZSTD_freeDCtx) freeDCtx;
  decltype(&::ZSTD_getErrorName) getErrorName;
  decltype(&::ZSTD_isError) isError;
};

struct IsalApi {
  decltype(&::isal_inflate) inflate;
  decltype(&::isal_inflate_init) inflate_init;
};

// Load libzstd.so.1 / libisal.so.2 once per process (thread-safe); throw util::Error if they
// cannot be loaded.
const ZstdApi& zstd_api();
const IsalApi& isal_api();

} // namespace storage
