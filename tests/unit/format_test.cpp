#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>

#include "scribe/core/format.hpp"

namespace {

std::string lsn(std::uint64_t v) {
  char buf[scribe::kLsnTextSize];
  scribe::format_lsn(v, buf);
  return buf;
}

std::string ts(std::int64_t v) {
  char buf[scribe::kTimestampTextSize];
  scribe::format_utc_timestamp(v, buf);
  return buf;
}

constexpr std::int64_t kUsecPerDay = 86400LL * 1000000LL;

TEST(ParseLsn, ReadsWhatFormatLsnWrites) {
  for (std::uint64_t v : {0ULL, 0x3A1F2B8ULL, 0x16ABCDEF01ULL, 0xFFFFFFFFFFFFFFFFULL})
    EXPECT_EQ(scribe::parse_lsn(lsn(v)), v);
  EXPECT_EQ(scribe::parse_lsn("16/abcdef"), 0x1600ABCDEFULL);
  for (const char* bad : {"", "/", "0/", "/0", "0x1/2", "1/2/3", "123456789/0", "0/G", " 0/1", "0/1 "})
    EXPECT_FALSE(scribe::parse_lsn(bad).has_value()) << bad;
}

TEST(FormatLsn, MatchesPgLsnText) {
  EXPECT_EQ(lsn(0), "0/0");
  EXPECT_EQ(lsn(0x3A1F2B8), "0/3A1F2B8");
  EXPECT_EQ(lsn(0x1600000000ULL | 0xABCDEFULL), "16/ABCDEF");
  EXPECT_EQ(lsn(std::numeric_limits<std::uint64_t>::max()), "FFFFFFFF/FFFFFFFF");
}

TEST(FormatTimestamp, PostgresEpoch) { EXPECT_EQ(ts(0), "2000-01-01T00:00:00.000000Z"); }

TEST(FormatTimestamp, MicrosecondsAndLeapDays) {
  // 2026-11-21 12:00:01.123456 UTC: 9821 days after 2000-01-01.
  const std::int64_t t = 9821 * kUsecPerDay + (12 * 3600 + 1) * 1000000LL + 123456;
  EXPECT_EQ(ts(t), "2026-11-21T12:00:01.123456Z");
  // 2000 is a leap year: day 59 is Feb 29.
  EXPECT_EQ(ts(59 * kUsecPerDay), "2000-02-29T00:00:00.000000Z");
}

TEST(FormatTimestamp, BeforeTheEpoch) {
  EXPECT_EQ(ts(-1), "1999-12-31T23:59:59.999999Z");
  EXPECT_EQ(ts(-10957 * kUsecPerDay), "1970-01-01T00:00:00.000000Z");
}

TEST(FormatTimestamp, SpecialValues) {
  EXPECT_EQ(ts(std::numeric_limits<std::int64_t>::max()), "infinity");
  EXPECT_EQ(ts(std::numeric_limits<std::int64_t>::min()), "-infinity");
}

TEST(FormatLsn, StringFormEqualsBufferForm) {
  for (std::uint64_t v : {0ULL, 0x3A1F2B8ULL, 0x16ABCDEF01ULL, 0xFFFFFFFFFFFFFFFFULL})
    EXPECT_EQ(scribe::lsn_text(v), lsn(v));
}

TEST(FormatTimestamp, StringFormEqualsBufferForm) {
  for (std::int64_t v : {std::int64_t{0}, std::int64_t{-1}, 9821 * kUsecPerDay + 123456,
                         std::numeric_limits<std::int64_t>::max(), std::numeric_limits<std::int64_t>::min()})
    EXPECT_EQ(scribe::utc_timestamp_text(v), ts(v));
}

TEST(FormatSize, PowersOf1024) {
  EXPECT_EQ(scribe::size_text(0), "0 bytes");
  EXPECT_EQ(scribe::size_text(1023), "1023 bytes");
  EXPECT_EQ(scribe::size_text(1024), "1.0 kB");
  EXPECT_EQ(scribe::size_text(1536), "1.5 kB");
  EXPECT_EQ(scribe::size_text(212193017), "202.4 MB");
  EXPECT_EQ(scribe::size_text(std::numeric_limits<std::uint64_t>::max()), "16384.0 PB");
}

TEST(FormatCount, GroupsOfThree) {
  EXPECT_EQ(scribe::count_text(0), "0");
  EXPECT_EQ(scribe::count_text(999), "999");
  EXPECT_EQ(scribe::count_text(1000), "1,000");
  EXPECT_EQ(scribe::count_text(1234567), "1,234,567");
}

TEST(FormatDuration, SecondsMinutesHours) {
  EXPECT_EQ(scribe::duration_text(1.254), "1.25 s");
  EXPECT_EQ(scribe::duration_text(125), "2m 5s");
  EXPECT_EQ(scribe::duration_text(3725), "1h 2m 5s");
}

}  // namespace
