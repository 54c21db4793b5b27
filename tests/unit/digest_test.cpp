#include <gtest/gtest.h>

#include <random>
#include <string>

#include "scribe/core/error.hpp"
#include "scribe/core/digest.hpp"

namespace {

using scribe::Sha256;
using scribe::sha256_hex;

TEST(Sha256, NistVectors) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(
      sha256_hex("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrs"
                 "mnopqrstnopqrstu"),
      "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
}

TEST(Sha256, OneMillionA) {
  EXPECT_EQ(sha256_hex(std::string(1000000, 'a')), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  // The same through many small updates.
  Sha256 h;
  std::string chunk(1000, 'a');
  for (int i = 0; i < 1000; ++i) h.update(chunk.data(), chunk.size());
  EXPECT_EQ(h.hex(), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256, PaddingBoundaries) {
  // Lengths around the 55/56/64-byte padding edges, checked against one-byte-at-a-time updates.
  for (std::size_t len : {55u, 56u, 57u, 63u, 64u, 65u, 119u, 120u, 128u}) {
    std::string data(len, 'x');
    Sha256 h;
    for (char c : data) h.update(&c, 1);
    EXPECT_EQ(h.hex(), sha256_hex(data)) << len;
  }
  EXPECT_EQ(sha256_hex(std::string(64, 'a')), "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb");
}

TEST(Sha256, ChunkedEqualsOneShot) {
  std::mt19937 rng(12345);
  for (int round = 0; round < 200; ++round) {
    std::string data(rng() % 1000, '\0');
    for (char& c : data) c = static_cast<char>(rng());
    std::string expected = sha256_hex(data);
    Sha256 h;
    std::size_t pos = 0;
    while (pos < data.size()) {
      std::size_t n = std::min<std::size_t>(rng() % 150, data.size() - pos);
      h.update(data.data() + pos, n);  // includes zero-length updates
      pos += n;
    }
    EXPECT_EQ(h.hex(), expected) << round;
  }
}

TEST(Sha256, FinishRawDigestAndSingleUse) {
  Sha256 h;
  h.update("abc");
  Sha256::Digest d = h.finish();
  EXPECT_EQ(d[0], 0xba);
  EXPECT_EQ(d[31], 0xad);
  EXPECT_THROW(h.finish(), scribe::Error);
  EXPECT_THROW(h.update("x"), scribe::Error);
  Sha256 empty;
  empty.update(nullptr, 0);
  EXPECT_EQ(empty.hex(), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

}  // namespace
