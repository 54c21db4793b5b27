// Streaming compression of backup files (base dumps, diff files) through
// zlib, liblz4 and libzstd. Data flows through in bounded memory whatever the
// size of the file, so a base dump of many gigabytes never sits in memory.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace scribe {

enum class CompressionMethod { kNone, kGzip, kLz4, kZstd };

struct CompressionSpec {
  CompressionMethod method = CompressionMethod::kNone;
  int level = 0;  // 0 = the library's default level

  friend bool operator==(const CompressionSpec& a, const CompressionSpec& b) noexcept {
    return a.method == b.method && a.level == b.level;
  }
  friend bool operator!=(const CompressionSpec& a, const CompressionSpec& b) noexcept { return !(a == b); }
};

// Parses "none", "gzip", "lz4" or "zstd", each but none optionally followed
// by ":<level>" (gzip 1-9, lz4 1-12, zstd 1-19). Method names are
// case-insensitive; surrounding white space is ignored.
// Throws scribe::Error (22023) for anything else.
CompressionSpec parse_compression_spec(std::string_view text);

// "none", "gzip", "lz4" or "zstd".
const char* method_name(CompressionMethod method) noexcept;

// The canonical spelling that parse_compression_spec accepts: "zstd:9", "lz4", "none".
std::string to_string(const CompressionSpec& spec);

// "", ".gz", ".lz4" or ".zst".
const char* file_suffix(CompressionMethod method) noexcept;

// The method whose suffix ends `name`; kNone when no known suffix does.
CompressionMethod method_for_file_name(std::string_view name) noexcept;

// Receives output. It may throw: the exception propagates out of write() or
// finish(). After any exception a (de)compressor is unusable: further calls
// throw scribe::Error (XX000).
using ByteSink = std::function<void(const char* data, std::size_t len)>;

// Compresses what write() is given into one gzip member, LZ4 frame (with
// content checksum) or zstd frame (with checksum), readable by gzip -d,
// lz4 -d and zstd -d. Output reaches the sink in large chunks whatever the
// size of the writes. Library failures throw scribe::Error (XX000).
class Compressor {
 public:
  virtual ~Compressor() = default;
  Compressor(const Compressor&) = delete;
  Compressor& operator=(const Compressor&) = delete;

  // Any chunking, including len 0. Throws scribe::Error (XX000) after finish().
  void write(const char* data, std::size_t len);
  // Ends the stream and hands the rest of the output to the sink. Only the
  // first call does anything.
  void finish();

 protected:
  Compressor() = default;
  virtual void do_write(const char* data, std::size_t len) = 0;
  virtual void do_finish() = 0;

 private:
  enum class State { kOpen, kFinished, kFailed };
  State state_ = State::kOpen;
};

// Throws scribe::Error (22023) if spec.level is outside the method's range.
std::unique_ptr<Compressor> make_compressor(const CompressionSpec& spec, ByteSink sink);

// Decompresses what write() is given. Concatenated gzip members, LZ4 frames
// and zstd frames are decoded one after another. Damaged input throws
// scribe::Error (XX001); memory stays bounded whatever the input claims
// (zstd windows above 128 MB are refused, as by the zstd tool's default).
class Decompressor {
 public:
  virtual ~Decompressor() = default;
  Decompressor(const Decompressor&) = delete;
  Decompressor& operator=(const Decompressor&) = delete;

  // Any chunking, including len 0. Throws scribe::Error (XX001) for damaged
  // input, (XX000) after finish().
  void write(const char* data, std::size_t len);
  // Throws scribe::Error (XX001) "compressed data is truncated" unless the
  // input so far ends exactly at the end of a complete member or frame.
  // Only the first call does anything.
  void finish();

 protected:
  Decompressor() = default;
  virtual void do_write(const char* data, std::size_t len) = 0;
  virtual void do_finish() = 0;

 private:
  enum class State { kOpen, kFinished, kFailed };
  State state_ = State::kOpen;
};

std::unique_ptr<Decompressor> make_decompressor(CompressionMethod method, ByteSink sink);

}  // namespace scribe
