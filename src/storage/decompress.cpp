#include "storage/decompress.hpp"

#include "storage/codec_api.hpp"
#include "util/error.hpp"
#include "util/log.hpp"
#include "util/strings.hpp"

#include <algorithm>
#include <cstdint>
#include <limits>

namespace storage {

namespace {

constexpr std::byte gzip_magic{0x1f};

std::string isal_error(int rc) {
  switch (rc) {
  case ISAL_INVALID_BLOCK:
    return "invalid deflate block";
  case ISAL_INVALID_SYMBOL:
    return "invalid deflate symbol";
  case ISAL_INVALID_LOOKBACK:
    return "invalid lookback distance";
  case ISAL_INVALID_WRAPPER:
    return "invalid gzip header";
  case ISAL_UNSUPPORTED_METHOD:
    return "unsupported compression method";
  case ISAL_INCORRECT_CHECKSUM:
    return "CRC mismatch";
  default:
    return util::cat("error ", rc);
  }
}

uint32_t clamp32(size_t n) {
  return static_cast<uint32_t>(std::min<size_t>(n, std::numeric_limits<uint32_t>::max()));
}

class GzipDecompressor final : public Decompressor {
public:
  GzipDecompressor() : m_state(std::make_unique<inflate_state>()) { start_member(); }

  size_t run(std::span<const std::byte>& in, std::span<std::byte> out) override {
    size_t produced = 0;
    while (produced < out.size()) {
      if (m_member_done) {
        if (in.empty() || m_trailing) {
          in = {}; // bytes after the last member (zero padding) are ignored, as gzip -d does
          break;
        }
        if (in[0] != gzip_magic) {
          LOG_DEBUG("gzip: ignoring ", in.size(), "+ trailing bytes after the last member");
          m_trailing = true;
          continue;
        }
        start_member();
      }
      size_t used_in = 0;
      size_t made = step(in, out.subspan(produced), used_in);
      in = in.subspan(used_in);
      produced += made;
      if (made == 0 && used_in == 0 && !m_member_done)
        break; // needs more input
    }
    return produced;
  }

  bool complete() const noexcept override { return m_member_done; }

private:
  void start_member() {
    isal_api().inflate_init(m_state.get());
    m_state->crc_flag = ISAL_GZIP;
    m_member_done = false;
  }

  size_t step(std::span<const std::byte> in, std::span<std::byte> out, size_t& used_in) {
    inflate_state* st = m_state.get();
    // ISA-L's API takes non-const input pointers but does not write through them.
    st->next_in = const_cast<uint8_t*>(reinterpret_cast<const uint8_t*>(in.data()));
    st->avail_in = clamp32(in.size());
    st->next_out = reinterpret_cast<uint8_t*>(out.data());
    st->avail_out = clamp32(out.size());
    uint32_t in_before = st->avail_in;
    uint32_t out_before = st->avail_out;
    int rc = isal_api().inflate(st);
    if (rc < 0 || rc == ISAL_NEED_DICT)
      throw util::Error(util::cat("gzip: ", isal_error(rc)));
    used_in = in_before - st->avail_in;
    if (st->block_state == ISAL_BLOCK_FINISH)
      m_member_done = true;
    return out_before - st->avail_out;
  }

  std::unique_ptr<inflate_state> m_state; // large (tens of KiB): on the heap
  bool m_member_done = false;
  bool m_trailing = false;
};

struct ZstdDeleter {
  void operator()(ZSTD_DCtx* ctx) const noexcept { zstd_api().freeDCtx(ctx); }
};

class ZstdDecompressor final : public Decompressor {
public:
  ZstdDecompressor() : m_ctx(zstd_api().createDCtx()) {
    if (!m_ctx)
      throw util::Error("zstd: cannot create a decompression context");
  }

  size_t run(std::span<const std::byte>& in, std::span<std::byte> out) override {
    ZSTD_inBuffer input{in.data(), in.size(), 0};
    ZSTD_outBuffer output{out.data(), out.size(), 0};
    while (output.pos < output.size) {
      size_t in_pos = input.pos;
      size_t out_pos = output.pos;
      size_t rc = zstd_api().decompressStream(m_ctx.get(), &output, &input);
      if (zstd_api().isError(rc) != 0)
        throw util::Error(util::cat("zstd: ", zstd_api().getErrorName(rc)));
      // A call without progress (nothing more to do) returns a hint, not a frame boundary.
      if (input.pos == in_pos && output.pos == out_pos)
        break;
      m_frame_done = rc == 0;
    }
    in = in.subspan(input.pos);
    return output.pos;
  }

  bool complete() const noexcept override { return m_frame_done; }

private:
  std::unique_ptr<ZSTD_DCtx, ZstdDeleter> m_ctx;
  bool m_frame_done = false;
};

} // namespace

std::unique_ptr<Decompressor> make_decompressor(image::Compression compression) {
  switch (compression) {
  case image::Compression::gzip:
    return std::make_unique<GzipDecompressor>();
  case image::Compression::zstd:
    return std::make_unique<ZstdDecompressor>();
  case image::Compression::none:
    break;
  }
  return nullptr;
}

} // namespace storage
