#include <gtest/gtest.h>

#include <string>

#include "scribe/core/ddl_message.hpp"

namespace {

const std::string kMac(64, 'a');

TEST(SignedDdl, ParsesTagMacAndStatement) {
  const std::string msg = "scribe-ddl v1 hmac=" + kMac + "\nCREATE TABLE t ();\nsecond line";
  auto parsed = scribe::parse_signed_ddl(msg);
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->mac_hex, kMac);
  EXPECT_EQ(parsed->statement, "CREATE TABLE t ();\nsecond line");
}

TEST(SignedDdl, RejectsAnythingElse) {
  for (const std::string& bad :
       {std::string("CREATE TABLE t ();"), std::string("scribe-ddl v1 hmac=") + kMac,  // no newline
        std::string("scribe-ddl v1 hmac=") + std::string(63, 'a') + "\nX",
        std::string("scribe-ddl v1 hmac=") + std::string(64, 'A') + "\nX",  // upper case
        std::string("scribe-ddl v1 hmac=") + std::string(64, 'g') + "\nX",
        std::string("scribe-ddl v2 hmac=") + kMac + "\nX", std::string()})
    EXPECT_FALSE(scribe::parse_signed_ddl(bad).has_value()) << bad;
}

TEST(SignedDdl, HexAndConstantTimeCompare) {
  const unsigned char bytes[] = {0x00, 0x9f, 0xff};
  char hex[6];
  scribe::hex_encode(bytes, 3, hex);
  EXPECT_EQ(std::string(hex, 6), "009fff");
  EXPECT_TRUE(scribe::constant_time_equal("abc", "abc"));
  EXPECT_FALSE(scribe::constant_time_equal("abc", "abd"));
  EXPECT_FALSE(scribe::constant_time_equal("abc", "ab"));
}

}  // namespace
