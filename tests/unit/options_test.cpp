#include <gtest/gtest.h>

#include "scribe/core/error.hpp"
#include "scribe/core/options.hpp"

namespace {

using scribe::DecoderOptions;
using scribe::TableFilter;

TEST(ParseBool, PostgresSpellings) {
  for (const char* t : {"true", "TRUE", "t", "tr", "yes", "y", "on", "ON", "1", " on "})
    EXPECT_EQ(scribe::parse_bool(t), true) << t;
  for (const char* f : {"false", "f", "no", "N", "off", "of", "0"}) EXPECT_EQ(scribe::parse_bool(f), false) << f;
  for (const char* bad : {"", "o", "2", "truex", "yess", "maybe"})
    EXPECT_FALSE(scribe::parse_bool(bad).has_value()) << bad;
}

TEST(DecoderOptions, Defaults) {
  DecoderOptions o;
  EXPECT_TRUE(o.include_transaction);
  EXPECT_TRUE(o.include_header);
  EXPECT_TRUE(o.skip_empty_xacts);
  EXPECT_TRUE(o.include_settings);
  EXPECT_TRUE(o.table_wanted("public", "t"));
}

TEST(DecoderOptions, BooleansWithAndWithoutValue) {
  DecoderOptions o;
  scribe::set_decoder_option(o, "include_transaction", "off");
  scribe::set_decoder_option(o, "include-header", "0");
  scribe::set_decoder_option(o, "skip_empty_xacts", "false");
  EXPECT_FALSE(o.include_transaction);
  EXPECT_FALSE(o.include_header);
  EXPECT_FALSE(o.skip_empty_xacts);
  scribe::set_decoder_option(o, "include_header", nullptr);
  EXPECT_TRUE(o.include_header);
}

TEST(DecoderOptions, UnknownOptionAndBadValueAreErrors) {
  DecoderOptions o;
  try {
    scribe::set_decoder_option(o, "include_xids", "on");
    FAIL() << "no error";
  } catch (const scribe::Error& e) {
    EXPECT_STREQ(e.sqlstate(), "22023");
    EXPECT_NE(std::string(e.what()).find("include_xids"), std::string::npos);
    EXPECT_NE(e.hint().find("include_transaction"), std::string::npos);
  }
  EXPECT_THROW(scribe::set_decoder_option(o, "skip_empty_xacts", "sometimes"), scribe::Error);
  EXPECT_THROW(scribe::set_decoder_option(o, "add_tables", nullptr), scribe::Error);
  EXPECT_THROW(scribe::set_decoder_option(o, "filter_tables", " , "), scribe::Error);
}

TEST(TableFilter, ExactSchemaAndWildcards) {
  const TableFilter f = TableFilter::parse("public.orders, *.audit ,sales.*", "add_tables");
  EXPECT_TRUE(f.matches("public", "orders"));
  EXPECT_FALSE(f.matches("public", "Orders"));
  EXPECT_FALSE(f.matches("other", "orders"));
  EXPECT_TRUE(f.matches("anything", "audit"));
  EXPECT_TRUE(f.matches("sales", "q1"));
  EXPECT_FALSE(f.matches("salesx", "q1"));
}

TEST(TableFilter, EscapedSpecialCharacters) {
  const TableFilter f = TableFilter::parse("my\\.schema.t\\,1,s.\\*,s.a\\ b,s.back\\\\slash", "filter_tables");
  EXPECT_TRUE(f.matches("my.schema", "t,1"));
  EXPECT_TRUE(f.matches("s", "*"));
  EXPECT_FALSE(f.matches("s", "other"));
  EXPECT_TRUE(f.matches("s", "a b"));
  EXPECT_TRUE(f.matches("s", "back\\slash"));
}

TEST(TableFilter, MalformedPatternsAreErrors) {
  for (const char* bad : {"nodot", "a.b.c", ".t", "s.", "s.ab*", "s.t\\"}) {
    EXPECT_THROW(TableFilter::parse(bad, "add_tables"), scribe::Error) << bad;
  }
  EXPECT_TRUE(TableFilter::parse(" , ", "add_tables").empty());
}

TEST(DecoderOptions, FiltersAndScribeSchema) {
  DecoderOptions o;
  EXPECT_FALSE(o.table_wanted("scribe", "anything"));
  scribe::set_decoder_option(o, "add_tables", "public.*");
  scribe::set_decoder_option(o, "filter_tables", "public.secret");
  EXPECT_TRUE(o.table_wanted("public", "t"));
  EXPECT_FALSE(o.table_wanted("public", "secret"));
  EXPECT_FALSE(o.table_wanted("other", "t"));
  scribe::set_decoder_option(o, "add_tables", "scribe.*");
  EXPECT_FALSE(o.table_wanted("scribe", "state"));
}

}  // namespace
