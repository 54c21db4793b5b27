#include <gtest/gtest.h>

#include <string>

#include "scribe/core/literal.hpp"

namespace {

using scribe::ValueStyle;

std::string value(ValueStyle style, std::string_view text, std::string_view type_name = {}) {
  std::string out;
  scribe::append_value(out, style, text, type_name);
  return out;
}

TEST(PlainNumber, Recognised) {
  EXPECT_TRUE(scribe::is_plain_number("0"));
  EXPECT_TRUE(scribe::is_plain_number("-42"));
  EXPECT_TRUE(scribe::is_plain_number("3.14159"));
  EXPECT_TRUE(scribe::is_plain_number("-0.000"));
  EXPECT_FALSE(scribe::is_plain_number(""));
  EXPECT_FALSE(scribe::is_plain_number("-"));
  EXPECT_FALSE(scribe::is_plain_number("1."));
  EXPECT_FALSE(scribe::is_plain_number(".5"));
  EXPECT_FALSE(scribe::is_plain_number("NaN"));
  EXPECT_FALSE(scribe::is_plain_number("Infinity"));
  EXPECT_FALSE(scribe::is_plain_number("1e10"));
  EXPECT_FALSE(scribe::is_plain_number("1;DROP"));
  EXPECT_FALSE(scribe::is_plain_number("--1"));
}

TEST(AppendValue, NumbersAreBareUnlessSpecial) {
  EXPECT_EQ(value(ValueStyle::kNumber, "-12"), "-12");
  EXPECT_EQ(value(ValueStyle::kNumber, "12.500"), "12.500");
  EXPECT_EQ(value(ValueStyle::kNumber, "NaN"), "'NaN'");
  EXPECT_EQ(value(ValueStyle::kNumber, "-Infinity"), "'-Infinity'");
}

TEST(AppendValue, Booleans) {
  EXPECT_EQ(value(ValueStyle::kBoolean, "t"), "true");
  EXPECT_EQ(value(ValueStyle::kBoolean, "f"), "false");
}

TEST(AppendValue, TextIsQuoted) {
  EXPECT_EQ(value(ValueStyle::kText, "2026-11-21 12:00:00+00"), "'2026-11-21 12:00:00+00'");
  EXPECT_EQ(value(ValueStyle::kText, "\\x0001"), "E'\\\\x0001'");
}

TEST(AppendValue, TypedTextCarriesItsType) {
  EXPECT_EQ(value(ValueStyle::kTypedText, "happy", "public.mood"), "'happy'::public.mood");
  EXPECT_EQ(value(ValueStyle::kTypedText, "a=>'b'", "\"My Ext\".hstore"), "'a=>''b'''::\"My Ext\".hstore");
}

}  // namespace
