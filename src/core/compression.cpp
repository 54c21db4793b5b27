#include "scribe/core/compression.hpp"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <utility>

#include <lz4frame.h>
#include <zlib.h>
#include <zstd.h>
#include <zstd_errors.h>

#include "scribe/core/error.hpp"

namespace scribe {
namespace {

using sqlstate::kDataCorrupted;

// Output is gathered up to this size before it reaches the sink, so that
// callers writing to files or sockets see few large writes.
constexpr std::size_t kOutChunk = 256 * 1024;

// zlib counts in 32-bit uInt; larger writes are fed in pieces.
constexpr std::size_t kMaxZlibChunk = 1U << 30;

// What LZ4F_compressUpdate is given at a time; bounds the output space it needs.
constexpr std::size_t kLz4InChunk = 64 * 1024;

// The zstd tool's default limit (128 MB): frames needing a larger window are
// refused rather than letting hostile input choose our allocation size.
constexpr int kZstdWindowLogMax = 27;

constexpr const char kSpecHint[] = "Use none, gzip, lz4 or zstd, optionally with a level such as zstd:9.";

struct LevelRange {
  int min;
  int max;
};

LevelRange level_range(CompressionMethod method) noexcept {
  switch (method) {
    case CompressionMethod::kGzip:
      return {1, 9};
    case CompressionMethod::kLz4:
      return {1, 12};
    case CompressionMethod::kZstd:
      return {1, 19};  // 20-22 are zstd's "ultra" levels, whose memory use we do not want
    case CompressionMethod::kNone:
      break;
  }
  return {0, 0};
}

[[noreturn]] void bad_spec(std::string_view text, std::string detail) {
  throw Error(sqlstate::kInvalidParameterValue, "invalid compression specification \"" + std::string(text) + "\"",
              std::move(detail), kSpecHint);
}

std::string range_detail(std::string_view level_text, CompressionMethod method) {
  const LevelRange range = level_range(method);
  return "Compression level " + std::string(level_text) + " is outside the range " + std::to_string(range.min) +
         " to " + std::to_string(range.max) + " for " + method_name(method) + ".";
}

bool known_method(CompressionMethod method) noexcept {
  return method == CompressionMethod::kNone || method == CompressionMethod::kGzip ||
         method == CompressionMethod::kLz4 || method == CompressionMethod::kZstd;
}

[[noreturn]] void unknown_method(CompressionMethod method) {
  throw Error(sqlstate::kInternalError, "unknown compression method",
              "Method number " + std::to_string(static_cast<int>(method)) + " is not defined.");
}

[[noreturn]] void library_error(const char* method, const char* what, const std::string& reason) {
  throw Error(sqlstate::kInternalError, std::string("could not ") + what + " " + method + " data",
              "The " + std::string(method) + " library reported \"" + reason + "\".");
}

[[noreturn]] void corrupt(const char* method, const std::string& reason) {
  throw Error(kDataCorrupted, "compressed data is corrupt",
              "The " + std::string(method) + " decoder reported \"" + reason + "\".");
}

[[noreturn]] void truncated(const char* method, bool empty, const char* unit) {
  throw Error(kDataCorrupted, "compressed data is truncated",
              empty ? "The " + std::string(method) + " data is empty."
                    : "The " + std::string(method) + " data ends before the end of its last " + unit + ".");
}

[[noreturn]] void no_progress(const char* method) {
  throw Error(sqlstate::kInternalError, std::string("the ") + method + " library made no progress",
              "It neither consumed input nor produced output.");
}

// Gathers output in one buffer and hands it to the sink when full or flushed.
class OutputBuffer {
 public:
  OutputBuffer(ByteSink sink, std::size_t capacity)
      : sink_(std::move(sink)), data_(new char[capacity]), capacity_(capacity) {}

  char* free_space() noexcept { return data_.get() + used_; }
  std::size_t free_size() const noexcept { return capacity_ - used_; }
  std::size_t capacity() const noexcept { return capacity_; }
  void commit(std::size_t n) noexcept { used_ += n; }
  // Makes at least `n` bytes free; n must not exceed the capacity.
  void reserve(std::size_t n) {
    if (free_size() < n) flush();
  }
  void flush() {
    if (used_ == 0) return;
    const std::size_t n = used_;
    used_ = 0;
    sink_(data_.get(), n);
  }
  void pass_through(const char* data, std::size_t len) { sink_(data, len); }

 private:
  ByteSink sink_;
  std::unique_ptr<char[]> data_;
  std::size_t capacity_;
  std::size_t used_ = 0;
};

// ---- compressors ----

class PlainCompressor final : public Compressor {
 public:
  explicit PlainCompressor(ByteSink sink) : out_(std::move(sink), kOutChunk) {}

 private:
  void do_write(const char* data, std::size_t len) override {
    if (len >= out_.capacity()) {
      // Large writes are already large chunks: no copy.
      out_.flush();
      out_.pass_through(data, len);
      return;
    }
    out_.reserve(len);
    std::memcpy(out_.free_space(), data, len);
    out_.commit(len);
  }
  void do_finish() override { out_.flush(); }

  OutputBuffer out_;
};

class GzipCompressor final : public Compressor {
 public:
  GzipCompressor(int level, ByteSink sink) : out_(std::move(sink), kOutChunk) {
    // windowBits 15 + 16 asks zlib for a gzip header and trailer instead of zlib's own.
    const int rc =
        deflateInit2(&z_, level == 0 ? Z_DEFAULT_COMPRESSION : level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
    if (rc != Z_OK) library_error("gzip", "initialize compression of", zError(rc));
  }
  ~GzipCompressor() override { deflateEnd(&z_); }

 private:
  void do_write(const char* data, std::size_t len) override {
    while (len > 0) {
      const std::size_t n = std::min(len, kMaxZlibChunk);
      z_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data));
      z_.avail_in = static_cast<uInt>(n);
      while (z_.avail_in > 0) deflate_step(Z_NO_FLUSH);
      data += n;
      len -= n;
    }
  }
  void do_finish() override {
    z_.next_in = nullptr;
    z_.avail_in = 0;
    while (deflate_step(Z_FINISH) != Z_STREAM_END) {
    }
    out_.flush();
  }

  int deflate_step(int flush) {
    out_.reserve(1);
    const std::size_t space = out_.free_size();
    const uInt space_in = z_.avail_in;
    z_.next_out = reinterpret_cast<Bytef*>(out_.free_space());
    z_.avail_out = static_cast<uInt>(std::min(space, kMaxZlibChunk));
    const uInt avail_out = z_.avail_out;
    const int rc = deflate(&z_, flush);
    out_.commit(avail_out - z_.avail_out);
    if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR)
      library_error("gzip", "compress", z_.msg != nullptr ? z_.msg : zError(rc));
    if (rc == Z_BUF_ERROR && z_.avail_out == avail_out && z_.avail_in == space_in) no_progress("zlib");
    return rc;
  }

  z_stream z_{};
  OutputBuffer out_;
};

class Lz4Compressor final : public Compressor {
 public:
  Lz4Compressor(int level, ByteSink sink) : prefs_(make_prefs(level)), out_(std::move(sink), buffer_size(prefs_)) {
    LZ4F_cctx* ctx = nullptr;
    const LZ4F_errorCode_t rc = LZ4F_createCompressionContext(&ctx, LZ4F_VERSION);
    ctx_.reset(ctx);
    if (LZ4F_isError(rc)) library_error("lz4", "initialize compression of", LZ4F_getErrorName(rc));
    const std::size_t n = LZ4F_compressBegin(ctx_.get(), out_.free_space(), out_.free_size(), &prefs_);
    if (LZ4F_isError(n)) library_error("lz4", "compress", LZ4F_getErrorName(n));
    out_.commit(n);
  }

 private:
  static LZ4F_preferences_t make_prefs(int level) {
    LZ4F_preferences_t prefs;
    std::memset(&prefs, 0, sizeof prefs);
    // Linked blocks keep the ratio of one continuous stream despite the
    // modest block size, which bounds the memory of both ends.
    prefs.frameInfo.blockSizeID = LZ4F_max256KB;
    prefs.frameInfo.blockMode = LZ4F_blockLinked;
    prefs.frameInfo.contentChecksumFlag = LZ4F_contentChecksumEnabled;
    prefs.compressionLevel = level;
    return prefs;
  }
  // Room for one full update plus a large chunk of gathered output.
  static std::size_t buffer_size(const LZ4F_preferences_t& prefs) {
    return LZ4F_compressBound(kLz4InChunk, &prefs) + kOutChunk;
  }

  void do_write(const char* data, std::size_t len) override {
    while (len > 0) {
      const std::size_t n = std::min(len, kLz4InChunk);
      out_.reserve(LZ4F_compressBound(n, &prefs_));
      const std::size_t written =
          LZ4F_compressUpdate(ctx_.get(), out_.free_space(), out_.free_size(), data, n, nullptr);
      if (LZ4F_isError(written)) library_error("lz4", "compress", LZ4F_getErrorName(written));
      out_.commit(written);
      data += n;
      len -= n;
    }
  }
  void do_finish() override {
    out_.reserve(LZ4F_compressBound(0, &prefs_));
    const std::size_t written = LZ4F_compressEnd(ctx_.get(), out_.free_space(), out_.free_size(), nullptr);
    if (LZ4F_isError(written)) library_error("lz4", "compress", LZ4F_getErrorName(written));
    out_.commit(written);
    out_.flush();
  }

  LZ4F_preferences_t prefs_;
  std::unique_ptr<LZ4F_cctx, decltype(&LZ4F_freeCompressionContext)> ctx_{nullptr, &LZ4F_freeCompressionContext};
  OutputBuffer out_;
};

class ZstdCompressor final : public Compressor {
 public:
  ZstdCompressor(int level, ByteSink sink)
      : ctx_(ZSTD_createCCtx(), &ZSTD_freeCCtx), out_(std::move(sink), std::max(kOutChunk, ZSTD_CStreamOutSize())) {
    if (ctx_ == nullptr) library_error("zstd", "initialize compression of", "out of memory");
    check(ZSTD_CCtx_setParameter(ctx_.get(), ZSTD_c_compressionLevel, level == 0 ? ZSTD_CLEVEL_DEFAULT : level));
    check(ZSTD_CCtx_setParameter(ctx_.get(), ZSTD_c_checksumFlag, 1));
  }

 private:
  void check(std::size_t rc) {
    if (ZSTD_isError(rc)) library_error("zstd", "compress", ZSTD_getErrorName(rc));
  }

  void do_write(const char* data, std::size_t len) override {
    ZSTD_inBuffer in{data, len, 0};
    while (in.pos < in.size) step(in, ZSTD_e_continue);
  }
  void do_finish() override {
    ZSTD_inBuffer in{nullptr, 0, 0};
    while (step(in, ZSTD_e_end) != 0) {
    }
    out_.flush();
  }

  std::size_t step(ZSTD_inBuffer& in, ZSTD_EndDirective directive) {
    out_.reserve(1);
    ZSTD_outBuffer out{out_.free_space(), out_.free_size(), 0};
    const std::size_t rc = ZSTD_compressStream2(ctx_.get(), &out, &in, directive);
    check(rc);
    out_.commit(out.pos);
    return rc;
  }

  std::unique_ptr<ZSTD_CCtx, decltype(&ZSTD_freeCCtx)> ctx_;
  OutputBuffer out_;
};

// ---- decompressors ----

class PlainDecompressor final : public Decompressor {
 public:
  explicit PlainDecompressor(ByteSink sink) : sink_(std::move(sink)) {}

 private:
  void do_write(const char* data, std::size_t len) override { sink_(data, len); }
  void do_finish() override {}

  ByteSink sink_;
};

class GzipDecompressor final : public Decompressor {
 public:
  explicit GzipDecompressor(ByteSink sink) : sink_(std::move(sink)), buffer_(new char[kOutChunk]) {
    // 15 + 16: gzip format only, with the largest window; inflate never needs more than 32 KB of it.
    const int rc = inflateInit2(&z_, 15 + 16);
    if (rc != Z_OK) library_error("gzip", "initialize decompression of", zError(rc));
  }
  ~GzipDecompressor() override { inflateEnd(&z_); }

 private:
  void do_write(const char* data, std::size_t len) override {
    seen_input_ = true;
    while (len > 0) {
      if (member_ended_) {
        // More input after a complete member: gzip -d reads it as the next member.
        inflateReset(&z_);
        member_ended_ = false;
      }
      const std::size_t n = std::min(len, kMaxZlibChunk);
      z_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data));
      z_.avail_in = static_cast<uInt>(n);
      for (;;) {
        z_.next_out = reinterpret_cast<Bytef*>(buffer_.get());
        z_.avail_out = static_cast<uInt>(kOutChunk);
        const int rc = inflate(&z_, Z_NO_FLUSH);
        const std::size_t produced = kOutChunk - z_.avail_out;
        if (rc == Z_DATA_ERROR || rc == Z_NEED_DICT) corrupt("gzip", z_.msg != nullptr ? z_.msg : zError(rc));
        if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR)
          library_error("gzip", "decompress", z_.msg != nullptr ? z_.msg : zError(rc));
        if (produced > 0) sink_(buffer_.get(), produced);
        if (rc == Z_STREAM_END) {
          member_ended_ = true;
          break;
        }
        // Z_BUF_ERROR: nothing more can be done without more input.
        if (rc == Z_BUF_ERROR || (z_.avail_in == 0 && z_.avail_out != 0)) break;
      }
      const std::size_t consumed = n - z_.avail_in;
      if (consumed == 0 && !member_ended_) no_progress("zlib");
      data += consumed;
      len -= consumed;
    }
  }
  void do_finish() override {
    if (!member_ended_) truncated("gzip", !seen_input_, "member");
  }

  ByteSink sink_;
  std::unique_ptr<char[]> buffer_;
  z_stream z_{};
  bool seen_input_ = false;
  bool member_ended_ = false;
};

class Lz4Decompressor final : public Decompressor {
 public:
  explicit Lz4Decompressor(ByteSink sink) : sink_(std::move(sink)), buffer_(new char[kOutChunk]) {
    LZ4F_dctx* ctx = nullptr;
    const LZ4F_errorCode_t rc = LZ4F_createDecompressionContext(&ctx, LZ4F_VERSION);
    ctx_.reset(ctx);
    if (LZ4F_isError(rc)) library_error("lz4", "initialize decompression of", LZ4F_getErrorName(rc));
  }

 private:
  void do_write(const char* data, std::size_t len) override {
    seen_input_ = true;
    for (;;) {
      std::size_t produced = kOutChunk;
      std::size_t consumed = len;
      // Returns 0 once a frame is complete and verified; the context then
      // starts on the next frame, so concatenated frames decode too.
      const std::size_t rc = LZ4F_decompress(ctx_.get(), buffer_.get(), &produced, data, &consumed, nullptr);
      if (LZ4F_isError(rc)) {
        // The error codes are only exported to static linkers; the names are stable.
        if (std::strcmp(LZ4F_getErrorName(rc), "ERROR_allocation_failed") == 0)
          library_error("lz4", "decompress", LZ4F_getErrorName(rc));
        corrupt("lz4", LZ4F_getErrorName(rc));
      }
      data += consumed;
      len -= consumed;
      if (produced > 0) sink_(buffer_.get(), produced);
      frame_ended_ = rc == 0;
      // A full buffer may mean more output is pending inside the library.
      if (len == 0 && (produced < kOutChunk || frame_ended_)) break;
      if (len > 0 && consumed == 0 && produced == 0) no_progress("lz4");
    }
  }
  void do_finish() override {
    if (!frame_ended_) truncated("lz4", !seen_input_, "frame");
  }

  ByteSink sink_;
  std::unique_ptr<char[]> buffer_;
  std::unique_ptr<LZ4F_dctx, decltype(&LZ4F_freeDecompressionContext)> ctx_{nullptr, &LZ4F_freeDecompressionContext};
  bool seen_input_ = false;
  bool frame_ended_ = false;
};

class ZstdDecompressor final : public Decompressor {
 public:
  explicit ZstdDecompressor(ByteSink sink)
      : sink_(std::move(sink)),
        ctx_(ZSTD_createDCtx(), &ZSTD_freeDCtx),
        capacity_(std::max(kOutChunk, ZSTD_DStreamOutSize())),
        buffer_(new char[capacity_]) {
    if (ctx_ == nullptr) library_error("zstd", "initialize decompression of", "out of memory");
    const std::size_t rc = ZSTD_DCtx_setParameter(ctx_.get(), ZSTD_d_windowLogMax, kZstdWindowLogMax);
    if (ZSTD_isError(rc)) library_error("zstd", "initialize decompression of", ZSTD_getErrorName(rc));
  }

 private:
  void do_write(const char* data, std::size_t len) override {
    seen_input_ = true;
    ZSTD_inBuffer in{data, len, 0};
    for (;;) {
      const std::size_t pos_before = in.pos;
      ZSTD_outBuffer out{buffer_.get(), capacity_, 0};
      // Returns 0 once a frame is complete, checksum verified and flushed;
      // further input starts the next frame.
      const std::size_t rc = ZSTD_decompressStream(ctx_.get(), &out, &in);
      if (ZSTD_isError(rc)) {
        if (ZSTD_getErrorCode(rc) == ZSTD_error_memory_allocation)
          library_error("zstd", "decompress", ZSTD_getErrorName(rc));
        corrupt("zstd", ZSTD_getErrorName(rc));
      }
      if (out.pos > 0) sink_(buffer_.get(), out.pos);
      frame_ended_ = rc == 0;
      // A full buffer may mean more output is pending inside the library.
      if (in.pos == in.size && (out.pos < out.size || frame_ended_)) break;
      if (in.pos < in.size && in.pos == pos_before && out.pos == 0) no_progress("zstd");
    }
  }
  void do_finish() override {
    if (!frame_ended_) truncated("zstd", !seen_input_, "frame");
  }

  ByteSink sink_;
  std::unique_ptr<ZSTD_DCtx, decltype(&ZSTD_freeDCtx)> ctx_;
  std::size_t capacity_;
  std::unique_ptr<char[]> buffer_;
  bool seen_input_ = false;
  bool frame_ended_ = false;
};

}  // namespace

CompressionSpec parse_compression_spec(std::string_view text) {
  std::string_view s = text;
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  if (s.empty()) bad_spec(text, "The specification is empty.");

  const std::size_t colon = s.find(':');
  const std::string_view name = s.substr(0, colon);
  std::string lower(name);
  for (char& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));

  CompressionSpec spec;
  if (lower == "none")
    spec.method = CompressionMethod::kNone;
  else if (lower == "gzip")
    spec.method = CompressionMethod::kGzip;
  else if (lower == "lz4")
    spec.method = CompressionMethod::kLz4;
  else if (lower == "zstd")
    spec.method = CompressionMethod::kZstd;
  else
    bad_spec(text, "Unrecognized compression method \"" + std::string(name) + "\".");

  if (colon == std::string_view::npos) return spec;
  if (spec.method == CompressionMethod::kNone) bad_spec(text, "Method none takes no compression level.");

  const std::string_view level_text = s.substr(colon + 1);
  if (level_text.empty()) bad_spec(text, "The compression level after the colon is missing.");
  long value = 0;
  for (char ch : level_text) {
    if (ch < '0' || ch > '9')
      bad_spec(text, "Compression level \"" + std::string(level_text) + "\" is not a whole number.");
    // Saturate: any value this large is out of range anyway, and must not overflow.
    value = std::min(value * 10 + (ch - '0'), 1000000L);
  }
  const LevelRange range = level_range(spec.method);
  if (value < range.min || value > range.max) bad_spec(text, range_detail(level_text, spec.method));
  spec.level = static_cast<int>(value);
  return spec;
}

const char* method_name(CompressionMethod method) noexcept {
  switch (method) {
    case CompressionMethod::kNone:
      return "none";
    case CompressionMethod::kGzip:
      return "gzip";
    case CompressionMethod::kLz4:
      return "lz4";
    case CompressionMethod::kZstd:
      return "zstd";
  }
  return "unknown";
}

std::string to_string(const CompressionSpec& spec) {
  std::string text = method_name(spec.method);
  if (spec.level != 0) text += ":" + std::to_string(spec.level);
  return text;
}

const char* file_suffix(CompressionMethod method) noexcept {
  switch (method) {
    case CompressionMethod::kNone:
      return "";
    case CompressionMethod::kGzip:
      return ".gz";
    case CompressionMethod::kLz4:
      return ".lz4";
    case CompressionMethod::kZstd:
      return ".zst";
  }
  return "";
}

CompressionMethod method_for_file_name(std::string_view name) noexcept {
  for (CompressionMethod method : {CompressionMethod::kGzip, CompressionMethod::kLz4, CompressionMethod::kZstd}) {
    const std::string_view suffix = file_suffix(method);
    if (name.size() >= suffix.size() && name.substr(name.size() - suffix.size()) == suffix) return method;
  }
  return CompressionMethod::kNone;
}

namespace {

// The state rules shared by Compressor and Decompressor: no use after
// finish, none after an error (the library's stream may be half-updated).
template <class State, class Work>
void guarded_write(State& state, const char* what, Work work) {
  if (state != State::kOpen)
    throw Error(
        sqlstate::kInternalError,
        std::string(what) + (state == State::kFinished ? " written to after finish" : " used after an earlier error"));
  try {
    work();
  } catch (...) {
    state = State::kFailed;
    throw;
  }
}

template <class State, class Work>
void guarded_finish(State& state, const char* what, Work work) {
  if (state == State::kFinished) return;
  guarded_write(state, what, work);
  state = State::kFinished;
}

}  // namespace

void Compressor::write(const char* data, std::size_t len) {
  guarded_write(state_, "compressor", [&] {
    if (len > 0) do_write(data, len);
  });
}

void Compressor::finish() {
  guarded_finish(state_, "compressor", [&] { do_finish(); });
}

void Decompressor::write(const char* data, std::size_t len) {
  guarded_write(state_, "decompressor", [&] {
    if (len > 0) do_write(data, len);
  });
}

void Decompressor::finish() {
  guarded_finish(state_, "decompressor", [&] { do_finish(); });
}

std::unique_ptr<Compressor> make_compressor(const CompressionSpec& spec, ByteSink sink) {
  if (!known_method(spec.method)) unknown_method(spec.method);
  if (spec.level != 0) {
    const LevelRange range = level_range(spec.method);
    if (spec.method == CompressionMethod::kNone) bad_spec(to_string(spec), "Method none takes no compression level.");
    if (spec.level < range.min || spec.level > range.max)
      bad_spec(to_string(spec), range_detail(std::to_string(spec.level), spec.method));
  }
  switch (spec.method) {
    case CompressionMethod::kNone:
      return std::make_unique<PlainCompressor>(std::move(sink));
    case CompressionMethod::kGzip:
      return std::make_unique<GzipCompressor>(spec.level, std::move(sink));
    case CompressionMethod::kLz4:
      return std::make_unique<Lz4Compressor>(spec.level, std::move(sink));
    case CompressionMethod::kZstd:
      return std::make_unique<ZstdCompressor>(spec.level, std::move(sink));
  }
  unknown_method(spec.method);
}

std::unique_ptr<Decompressor> make_decompressor(CompressionMethod method, ByteSink sink) {
  switch (method) {
    case CompressionMethod::kNone:
      return std::make_unique<PlainDecompressor>(std::move(sink));
    case CompressionMethod::kGzip:
      return std::make_unique<GzipDecompressor>(std::move(sink));
    case CompressionMethod::kLz4:
      return std::make_unique<Lz4Decompressor>(std::move(sink));
    case CompressionMethod::kZstd:
      return std::make_unique<ZstdDecompressor>(std::move(sink));
  }
  unknown_method(method);
}

}  // namespace scribe
