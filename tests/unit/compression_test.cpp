#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

#include "scribe/core/compression.hpp"
#include "scribe/core/error.hpp"

namespace {

using scribe::CompressionMethod;
using scribe::CompressionSpec;

constexpr CompressionMethod kAllMethods[] = {CompressionMethod::kNone, CompressionMethod::kGzip,
                                             CompressionMethod::kLz4, CompressionMethod::kZstd};
constexpr CompressionMethod kRealMethods[] = {CompressionMethod::kGzip, CompressionMethod::kLz4,
                                              CompressionMethod::kZstd};

std::string random_bytes(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(rng());
  return s;
}

// Looks like a diff file: repetitive SQL with varying numbers.
std::string compressible_bytes(std::size_t n) {
  std::string s;
  s.reserve(n + 200);
  std::mt19937 rng(7);
  for (std::size_t i = 0; s.size() < n; ++i) {
    s += "INSERT INTO public.orders (id, customer, amount, note) VALUES (" + std::to_string(i) + ", " +
         std::to_string(rng() % 1000) + ", " + std::to_string(rng() % 100000) + ", 'order note number " +
         std::to_string(rng() % 50) + "');\n";
  }
  s.resize(n);
  return s;
}

// Mostly small pieces, some large, so that both paths are exercised.
std::size_t next_chunk(std::mt19937& rng, std::size_t remaining) {
  std::size_t n;
  switch (rng() % 4) {
    case 0:
      n = 1 + rng() % 16;
      break;
    case 1:
      n = 1 + rng() % 4096;
      break;
    case 2:
      n = 1 + rng() % (256 * 1024);
      break;
    default:
      n = 1 + rng() % (3 * 1024 * 1024);
      break;
  }
  return std::min(n, remaining);
}

std::string compress(const CompressionSpec& spec, const std::string& data, unsigned seed = 1) {
  std::string out;
  auto c = scribe::make_compressor(spec, [&](const char* p, std::size_t n) { out.append(p, n); });
  std::mt19937 rng(seed);
  for (std::size_t pos = 0; pos < data.size();) {
    const std::size_t n = next_chunk(rng, data.size() - pos);
    c->write(data.data() + pos, n);
    pos += n;
  }
  c->finish();
  return out;
}

std::string decompress(CompressionMethod method, const std::string& data, unsigned seed = 2) {
  std::string out;
  auto d = scribe::make_decompressor(method, [&](const char* p, std::size_t n) { out.append(p, n); });
  std::mt19937 rng(seed);
  for (std::size_t pos = 0; pos < data.size();) {
    const std::size_t n = next_chunk(rng, data.size() - pos);
    d->write(data.data() + pos, n);
    pos += n;
  }
  d->finish();
  return out;
}

// Decodes `data` and returns the SQLSTATE of the scribe::Error raised, or ""
// when decoding succeeded. Any other exception fails the test.
std::string decode_error(CompressionMethod method, const std::string& data, std::size_t chunk = 0) {
  try {
    auto d = scribe::make_decompressor(method, [](const char*, std::size_t) {});
    const std::size_t step = chunk == 0 ? std::max<std::size_t>(data.size(), 1) : chunk;
    for (std::size_t pos = 0; pos < data.size(); pos += step)
      d->write(data.data() + pos, std::min(step, data.size() - pos));
    d->finish();
  } catch (const scribe::Error& e) {
    return e.sqlstate();
  }
  return "";
}

// ---- specifications ----

TEST(ParseCompressionSpec, Accepts) {
  struct Case {
    const char* text;
    CompressionMethod method;
    int level;
  };
  const Case cases[] = {
      {"none", CompressionMethod::kNone, 0},      {"NONE", CompressionMethod::kNone, 0},
      {"gzip", CompressionMethod::kGzip, 0},      {"gzip:1", CompressionMethod::kGzip, 1},
      {"gzip:9", CompressionMethod::kGzip, 9},    {"GZip:5", CompressionMethod::kGzip, 5},
      {"lz4", CompressionMethod::kLz4, 0},        {"lz4:1", CompressionMethod::kLz4, 1},
      {"lz4:12", CompressionMethod::kLz4, 12},    {"zstd", CompressionMethod::kZstd, 0},
      {"zstd:1", CompressionMethod::kZstd, 1},    {"zstd:19", CompressionMethod::kZstd, 19},
      {"ZSTD:3", CompressionMethod::kZstd, 3},    {"zstd:009", CompressionMethod::kZstd, 9},
      {" zstd:9\n", CompressionMethod::kZstd, 9},
  };
  for (const Case& c : cases) {
    const CompressionSpec spec = scribe::parse_compression_spec(c.text);
    EXPECT_EQ(spec.method, c.method) << c.text;
    EXPECT_EQ(spec.level, c.level) << c.text;
  }
}

TEST(ParseCompressionSpec, Rejects) {
  const std::string cases[] = {"zstd:99",
                               "foo",
                               "",
                               " ",
                               "gzip:0",
                               "gzip:10",
                               "lz4:13",
                               "lz4:0",
                               "none:1",
                               "none:",
                               "zstd:",
                               "zstd:9x",
                               "zstd:20",
                               "zstd:22",
                               "zstd:-1",
                               "zstd:+3",
                               "zstd: 3",
                               "zstd::3",
                               ":3",
                               "zstd9",
                               "gz",
                               "zstd:3:",
                               "gzip:1.5",
                               "zstd:99999999999999999999999999999",
                               std::string("zstd\0:3", 7),
                               std::string(10000, '9'),
                               "zstd:" + std::string(10000, '9')};
  for (const std::string& text : cases) {
    try {
      scribe::parse_compression_spec(text);
      ADD_FAILURE() << "accepted \"" << text << "\"";
    } catch (const scribe::Error& e) {
      EXPECT_STREQ(e.sqlstate(), "22023") << text;
      // what() is a C string: compare as one, since a text may hold a NUL.
      EXPECT_STREQ(e.what(), ("invalid compression specification \"" + text + "\"").c_str());
      EXPECT_FALSE(e.detail().empty()) << text;
      EXPECT_EQ(e.hint(), "Use none, gzip, lz4 or zstd, optionally with a level such as zstd:9.");
    }
  }
}

TEST(ParseCompressionSpec, Details) {
  auto detail = [](const char* text) {
    try {
      scribe::parse_compression_spec(text);
    } catch (const scribe::Error& e) {
      return e.detail();
    }
    return std::string("(accepted)");
  };
  EXPECT_EQ(detail("zstd:99"), "Compression level 99 is outside the range 1 to 19 for zstd.");
  EXPECT_EQ(detail("gzip:0"), "Compression level 0 is outside the range 1 to 9 for gzip.");
  EXPECT_EQ(detail("lz4:13"), "Compression level 13 is outside the range 1 to 12 for lz4.");
  EXPECT_EQ(detail("foo"), "Unrecognized compression method \"foo\".");
  EXPECT_EQ(detail(""), "The specification is empty.");
  EXPECT_EQ(detail("none:1"), "Method none takes no compression level.");
  EXPECT_EQ(detail("zstd:"), "The compression level after the colon is missing.");
  EXPECT_EQ(detail("zstd:9x"), "Compression level \"9x\" is not a whole number.");
}

TEST(CompressionSpec, ToStringRoundTrips) {
  EXPECT_EQ(scribe::to_string({CompressionMethod::kZstd, 9}), "zstd:9");
  EXPECT_EQ(scribe::to_string({CompressionMethod::kLz4, 0}), "lz4");
  EXPECT_EQ(scribe::to_string({CompressionMethod::kNone, 0}), "none");
  EXPECT_EQ(scribe::to_string(CompressionSpec{}), "none");
  for (const char* text : {"none", "gzip", "gzip:1", "lz4:12", "zstd", "zstd:19"})
    EXPECT_EQ(scribe::to_string(scribe::parse_compression_spec(text)), text);
  EXPECT_EQ(scribe::to_string(scribe::parse_compression_spec("ZSTD:03")), "zstd:3");
}

TEST(CompressionSpec, Suffixes) {
  EXPECT_STREQ(scribe::file_suffix(CompressionMethod::kNone), "");
  EXPECT_STREQ(scribe::file_suffix(CompressionMethod::kGzip), ".gz");
  EXPECT_STREQ(scribe::file_suffix(CompressionMethod::kLz4), ".lz4");
  EXPECT_STREQ(scribe::file_suffix(CompressionMethod::kZstd), ".zst");
  EXPECT_EQ(scribe::method_for_file_name("base.sql.gz"), CompressionMethod::kGzip);
  EXPECT_EQ(scribe::method_for_file_name("diff-0001.sql.lz4"), CompressionMethod::kLz4);
  EXPECT_EQ(scribe::method_for_file_name("/x/y/base.sql.zst"), CompressionMethod::kZstd);
  EXPECT_EQ(scribe::method_for_file_name("base.sql"), CompressionMethod::kNone);
  EXPECT_EQ(scribe::method_for_file_name(""), CompressionMethod::kNone);
  EXPECT_EQ(scribe::method_for_file_name("gz"), CompressionMethod::kNone);
  EXPECT_EQ(scribe::method_for_file_name("base.zstd"), CompressionMethod::kNone);
  for (CompressionMethod m : kAllMethods)
    EXPECT_EQ(scribe::method_for_file_name(std::string("f") + scribe::file_suffix(m)), m);
}

TEST(MakeCompressor, RefusesLevelsOutOfRange) {
  for (const CompressionSpec& spec :
       {CompressionSpec{CompressionMethod::kZstd, 22}, CompressionSpec{CompressionMethod::kGzip, -1},
        CompressionSpec{CompressionMethod::kNone, 3}}) {
    try {
      scribe::make_compressor(spec, [](const char*, std::size_t) {});
      ADD_FAILURE() << scribe::to_string(spec);
    } catch (const scribe::Error& e) {
      EXPECT_STREQ(e.sqlstate(), "22023");
    }
  }
}

// ---- round trips ----

struct RoundTripCase {
  CompressionSpec spec;
  bool large;  // also the 10 MB input
};

class RoundTrip : public ::testing::TestWithParam<RoundTripCase> {};

TEST_P(RoundTrip, AllSizesAndChunkings) {
  const CompressionSpec spec = GetParam().spec;
  std::vector<std::string> inputs = {std::string(), std::string("x"), random_bytes(100 * 1024, 3)};
  if (GetParam().large) inputs.push_back(compressible_bytes(10 * 1024 * 1024));
  unsigned seed = 10;
  for (const std::string& input : inputs) {
    const std::string packed = compress(spec, input, seed++);
    if (spec.method == CompressionMethod::kNone)
      EXPECT_EQ(packed, input);
    else
      EXPECT_FALSE(packed.empty());  // even an empty input makes a complete stream
    if (input.size() == 10 * 1024 * 1024 && spec.method != CompressionMethod::kNone) {
      EXPECT_LT(packed.size(), input.size() / 4) << scribe::to_string(spec);
    }
    EXPECT_TRUE(decompress(spec.method, packed, seed++) == input)
        << scribe::to_string(spec) << " size " << input.size();
  }
}

std::string case_name(const ::testing::TestParamInfo<RoundTripCase>& info) {
  std::string name = scribe::to_string(info.param.spec);
  std::replace(name.begin(), name.end(), ':', '_');
  return name;
}

INSTANTIATE_TEST_SUITE_P(
    Compression, RoundTrip,
    ::testing::Values(
        RoundTripCase{{CompressionMethod::kNone, 0}, true}, RoundTripCase{{CompressionMethod::kGzip, 0}, true},
        RoundTripCase{{CompressionMethod::kGzip, 1}, true}, RoundTripCase{{CompressionMethod::kGzip, 9}, false},
        RoundTripCase{{CompressionMethod::kLz4, 0}, true}, RoundTripCase{{CompressionMethod::kLz4, 1}, false},
        RoundTripCase{{CompressionMethod::kLz4, 9}, true}, RoundTripCase{{CompressionMethod::kLz4, 12}, false},
        RoundTripCase{{CompressionMethod::kZstd, 0}, true}, RoundTripCase{{CompressionMethod::kZstd, 1}, false},
        RoundTripCase{{CompressionMethod::kZstd, 9}, true}, RoundTripCase{{CompressionMethod::kZstd, 19}, false}),
    case_name);

TEST(Compressor, WritesLargeChunksWhateverTheWriteSize) {
  const std::string input = compressible_bytes(600 * 1024) + random_bytes(600 * 1024, 5);
  for (CompressionMethod method : kAllMethods) {
    std::vector<std::size_t> chunks;
    std::string out;
    auto c = scribe::make_compressor({method, 0}, [&](const char* p, std::size_t n) {
      chunks.push_back(n);
      out.append(p, n);
    });
    for (char ch : input) c->write(&ch, 1);
    c->finish();
    ASSERT_FALSE(chunks.empty());
    for (std::size_t i = 0; i + 1 < chunks.size(); ++i)
      EXPECT_GE(chunks[i], 64U * 1024) << scribe::method_name(method) << " chunk " << i;
    EXPECT_EQ(decompress(method, out), input);
  }
}

TEST(Compressor, FinishIsIdempotentAndWritesAfterItFail) {
  for (CompressionMethod method : kAllMethods) {
    std::string out;
    auto c = scribe::make_compressor({method, 0}, [&](const char* p, std::size_t n) { out.append(p, n); });
    c->write("hello", 5);
    c->finish();
    const std::string first = out;
    c->finish();
    EXPECT_EQ(out, first);
    EXPECT_THROW(c->write("x", 1), scribe::Error);
    EXPECT_EQ(decompress(method, out), "hello");
  }
}

TEST(Compressor, SinkErrorsPropagate) {
  for (CompressionMethod method : kAllMethods) {
    auto c =
        scribe::make_compressor({method, 0}, [](const char*, std::size_t) { throw std::runtime_error("disk full"); });
    const std::string input = random_bytes(2 * 1024 * 1024, 9);
    EXPECT_THROW(
        {
          c->write(input.data(), input.size());
          c->finish();
        },
        std::runtime_error);
    EXPECT_THROW(c->write("x", 1), scribe::Error);
    EXPECT_THROW(c->finish(), scribe::Error);
  }
}

TEST(Decompressor, ConcatenatedStreamsDecodeFully) {
  const std::string a = compressible_bytes(300 * 1024);
  const std::string b = random_bytes(70 * 1024, 4);
  for (CompressionMethod method : kRealMethods) {
    const std::string packed =
        compress({method, 0}, a) + compress({method, 0}, std::string()) + compress({method, 1}, b);
    EXPECT_TRUE(decompress(method, packed) == a + b) << scribe::method_name(method);
    // Byte by byte, so that boundaries fall everywhere.
    std::string out;
    auto d = scribe::make_decompressor(method, [&](const char* p, std::size_t n) { out.append(p, n); });
    for (char ch : packed) d->write(&ch, 1);
    d->finish();
    EXPECT_TRUE(out == a + b) << scribe::method_name(method);
  }
}

TEST(Decompressor, NoneIsPassThrough) {
  const std::string input = random_bytes(1000, 1);
  EXPECT_EQ(decompress(CompressionMethod::kNone, input), input);
  EXPECT_EQ(decompress(CompressionMethod::kNone, std::string()), "");
}

// ---- damaged input ----

TEST(Decompressor, EmptyInputIsTruncated) {
  for (CompressionMethod method : kRealMethods) {
    auto d = scribe::make_decompressor(method, [](const char*, std::size_t) {});
    try {
      d->finish();
      ADD_FAILURE() << scribe::method_name(method);
    } catch (const scribe::Error& e) {
      EXPECT_STREQ(e.sqlstate(), "XX001");
      EXPECT_STREQ(e.what(), "compressed data is truncated");
      EXPECT_EQ(e.detail(), std::string("The ") + scribe::method_name(method) + " data is empty.");
    }
  }
}

TEST(Decompressor, EveryTruncationIsDetected) {
  const std::string input = compressible_bytes(20 * 1024) + random_bytes(3000, 8);
  for (CompressionMethod method : kRealMethods) {
    const std::string packed = compress({method, 0}, input);
    ASSERT_EQ(decode_error(method, packed), "");
    for (std::size_t cut = 0; cut < packed.size(); ++cut)
      EXPECT_EQ(decode_error(method, packed.substr(0, cut), 1 + cut % 7), "XX001")
          << scribe::method_name(method) << " cut at " << cut << " of " << packed.size();
    // A truncated stream followed by nothing reports truncation, not corruption.
    auto d = scribe::make_decompressor(method, [](const char*, std::size_t) {});
    d->write(packed.data(), packed.size() / 2);
    try {
      d->finish();
      ADD_FAILURE();
    } catch (const scribe::Error& e) {
      EXPECT_STREQ(e.what(), "compressed data is truncated");
    }
  }
}

TEST(Decompressor, CorruptionIsDetected) {
  const std::string input = compressible_bytes(200 * 1024);
  for (CompressionMethod method : kRealMethods) {
    const std::string packed = compress({method, 0}, input);
    // Every byte of the payload is covered by a checksum or the format's structure.
    for (std::size_t pos = packed.size() / 10; pos < packed.size(); pos += packed.size() / 50 + 1) {
      for (unsigned char mask : {0x01, 0x80, 0xff}) {
        std::string bad = packed;
        bad[pos] = static_cast<char>(bad[pos] ^ mask);
        EXPECT_EQ(decode_error(method, bad, 4096), "XX001") << scribe::method_name(method) << " byte " << pos;
      }
    }
  }
}

TEST(Decompressor, RandomDamageNeverCrashes) {
  std::mt19937 rng(99);
  const std::string input = compressible_bytes(50 * 1024) + random_bytes(5000, 2);
  for (CompressionMethod method : kRealMethods) {
    for (int level : {1, 9}) {
      const std::string packed = compress({method, level}, input);
      int failures = 0;
      for (int round = 0; round < 300; ++round) {
        std::string bad = packed;
        const int edits = 1 + static_cast<int>(rng() % 4);
        for (int e = 0; e < edits; ++e) {
          const std::size_t pos = rng() % bad.size();
          switch (rng() % 3) {
            case 0:
              bad[pos] = static_cast<char>(rng());
              break;
            case 1:
              bad.erase(pos, 1 + rng() % 16);
              break;
            default:
              bad.insert(pos, random_bytes(1 + rng() % 16, rng()));
              break;
          }
          if (bad.empty()) bad = "x";
        }
        const std::string state = decode_error(method, bad, 1 + rng() % 5000);
        if (!state.empty()) {
          EXPECT_EQ(state, "XX001");
          ++failures;
        }
      }
      EXPECT_GT(failures, 250) << scribe::method_name(method);
    }
  }
}

TEST(Decompressor, GarbageAndWrongMethodAreCorrupt) {
  for (CompressionMethod method : kRealMethods) {
    EXPECT_EQ(decode_error(method, random_bytes(100000, 17), 1000), "XX001");
    EXPECT_EQ(decode_error(method, std::string(4096, '\0')), "XX001");
    EXPECT_EQ(decode_error(method, "hello, world; this is not compressed at all"), "XX001");
    for (CompressionMethod other : kRealMethods)
      if (other != method) {
        EXPECT_EQ(decode_error(method, compress({other, 0}, "some text")), "XX001");
      }
  }
}

TEST(Decompressor, TrailingGarbageIsCorrupt) {
  for (CompressionMethod method : kRealMethods) {
    const std::string packed = compress({method, 0}, compressible_bytes(10000));
    try {
      decompress(method, packed + "trailing garbage that is long enough");
      ADD_FAILURE() << scribe::method_name(method);
    } catch (const scribe::Error& e) {
      EXPECT_STREQ(e.sqlstate(), "XX001");
    }
  }
}

TEST(Decompressor, ErrorsAreSticky) {
  auto d = scribe::make_decompressor(CompressionMethod::kZstd, [](const char*, std::size_t) {});
  EXPECT_THROW(d->write("garbage!", 8), scribe::Error);
  EXPECT_THROW(d->write("more", 4), scribe::Error);
  EXPECT_THROW(d->finish(), scribe::Error);
}

TEST(Decompressor, ZstdHugeWindowIsRefusedNotAllocated) {
  // Frame header descriptor 0x00 (window descriptor follows) with a 2 GB window.
  std::string frame("\x28\xb5\x2f\xfd\x00", 5);
  frame += static_cast<char>((31 - 10) << 3);
  frame += std::string(64, '\0');
  EXPECT_EQ(decode_error(CompressionMethod::kZstd, frame), "XX001");
  // Single segment: the declared content size (2^62) is the window.
  std::string single("\x28\xb5\x2f\xfd\xe0", 5);
  single += std::string("\x00\x00\x00\x00\x00\x00\x00\x40", 8);
  single += std::string(64, '\0');
  EXPECT_EQ(decode_error(CompressionMethod::kZstd, single), "XX001");
}

TEST(Decompressor, Lz4HugeDeclaredSizeIsNotTrusted) {
  // A valid frame whose header claims 2^62 bytes of content: allocation must
  // not follow the claim, and the frame ends far too early.
  std::string frame("\x04\x22\x4d\x18", 4);
  std::string descriptor("\x68\x40", 2);  // version 1, independent blocks, content size present; 64 KB blocks
  descriptor += std::string("\x00\x00\x00\x00\x00\x00\x00\x40", 8);
  frame += descriptor;
  // The header checksum byte is a byte of XXH32(descriptor): found by trying
  // all 256; the right one gets past the header to the end mark, where the
  // content no longer matches the declared size.
  int past_header = 0;
  for (int hc = 0; hc < 256; ++hc) {
    const std::string candidate = frame + static_cast<char>(hc) + std::string("\x00\x00\x00\x00", 4);
    try {
      decompress(CompressionMethod::kLz4, candidate);
      ADD_FAILURE() << "accepted";
    } catch (const scribe::Error& e) {
      EXPECT_STREQ(e.sqlstate(), "XX001");
      if (e.detail().find("headerChecksum") == std::string::npos) ++past_header;
    }
  }
  EXPECT_EQ(past_header, 1);
}

// ---- command-line tools ----

bool have_tool(const char* tool) {
  return std::system((std::string("command -v ") + tool + " >/dev/null 2>&1").c_str()) == 0;
}

std::string temp_path(const std::string& name) {
  return ::testing::TempDir() + "scribe_compression_" + std::to_string(::getpid()) + "_" + name;
}

void write_file(const std::string& path, const std::string& data) {
  std::ofstream f(path, std::ios::binary);
  f.write(data.data(), static_cast<std::streamsize>(data.size()));
  ASSERT_TRUE(f.good()) << path;
}

std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

struct Tool {
  CompressionMethod method;
  const char* name;
  const char* decode;  // reads %in, writes %out
  const char* encode;
  int max_level;
};

const Tool kTools[] = {
    {CompressionMethod::kGzip, "gzip", "gzip -dc", "gzip -9 -c", 9},
    {CompressionMethod::kLz4, "lz4", "lz4 -dc", "lz4 -9 -c", 12},
    {CompressionMethod::kZstd, "zstd", "zstd -q -dc", "zstd -q -9 -c", 19},
};

class CommandLineTool : public ::testing::TestWithParam<Tool> {};

TEST_P(CommandLineTool, ReadsOurOutput) {
  const Tool& tool = GetParam();
  if (!have_tool(tool.name)) GTEST_SKIP() << tool.name << " is not installed";
  const std::string input = compressible_bytes(1536 * 1024) + random_bytes(200 * 1024, 6);
  for (int level : {0, 1, tool.max_level}) {
    const std::string in = temp_path(std::string("ours") + scribe::file_suffix(tool.method));
    const std::string out = temp_path("ours.out");
    write_file(in, compress({tool.method, level}, input));
    ASSERT_EQ(std::system((std::string(tool.decode) + " '" + in + "' > '" + out + "'").c_str()), 0)
        << tool.name << " level " << level;
    EXPECT_TRUE(read_file(out) == input) << tool.name << " level " << level;
    // Empty input makes a valid, empty stream too.
    write_file(in, compress({tool.method, level}, std::string()));
    ASSERT_EQ(std::system((std::string(tool.decode) + " '" + in + "' > '" + out + "'").c_str()), 0);
    EXPECT_EQ(read_file(out), "");
    std::remove(in.c_str());
    std::remove(out.c_str());
  }
}

TEST_P(CommandLineTool, WeReadItsOutput) {
  const Tool& tool = GetParam();
  if (!have_tool(tool.name)) GTEST_SKIP() << tool.name << " is not installed";
  const std::string input = compressible_bytes(5 * 1024 * 1024) + random_bytes(300 * 1024, 7);
  const std::string in = temp_path("theirs.in");
  const std::string out = temp_path(std::string("theirs") + scribe::file_suffix(tool.method));
  write_file(in, input);
  for (const std::string& command : {std::string(tool.encode), std::string(tool.name) + " -1 -c"}) {
    ASSERT_EQ(std::system((command + " '" + in + "' > '" + out + "'").c_str()), 0) << command;
    EXPECT_TRUE(decompress(tool.method, read_file(out)) == input) << command;
  }
  std::remove(in.c_str());
  std::remove(out.c_str());
}

INSTANTIATE_TEST_SUITE_P(Compression, CommandLineTool, ::testing::ValuesIn(kTools),
                         [](const ::testing::TestParamInfo<Tool>& info) { return std::string(info.param.name); });

}  // namespace
