#include <gtest/gtest.h>

#include <random>
#include <string>

#include "scribe/core/quote.hpp"

namespace {

std::string ident(std::string_view s) {
  std::string out;
  scribe::append_identifier(out, s);
  return out;
}

std::string literal(std::string_view s) {
  std::string out;
  scribe::append_literal(out, s);
  return out;
}

TEST(QuoteIdentifier, PlainLowerCaseNamesStayBare) {
  EXPECT_EQ(ident("users"), "users");
  EXPECT_EQ(ident("_private"), "_private");
  EXPECT_EQ(ident("t2_col9"), "t2_col9");
}

TEST(QuoteIdentifier, NamesThatWouldFoldOrBreakAreQuoted) {
  EXPECT_EQ(ident("Users"), "\"Users\"");
  EXPECT_EQ(ident("my table"), "\"my table\"");
  EXPECT_EQ(ident("9lives"), "\"9lives\"");
  EXPECT_EQ(ident("a;b"), "\"a;b\"");
  EXPECT_EQ(ident("a--b"), "\"a--b\"");
  EXPECT_EQ(ident("line\nbreak"), "\"line\nbreak\"");
  EXPECT_EQ(ident("cost$"), "\"cost$\"");
  EXPECT_EQ(ident("naïve"), "\"naïve\"");
  EXPECT_EQ(ident(""), "\"\"");
}

TEST(QuoteIdentifier, EmbeddedDoubleQuotesAreDoubled) {
  EXPECT_EQ(ident("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(ident("\""), "\"\"\"\"");
  EXPECT_EQ(ident("x\"; DROP TABLE t; --"), "\"x\"\"; DROP TABLE t; --\"");
}

TEST(QuoteIdentifier, ReservedKeywordsAreQuotedUnreservedAreNot) {
  EXPECT_EQ(ident("select"), "\"select\"");
  EXPECT_EQ(ident("table"), "\"table\"");
  EXPECT_EQ(ident("user"), "\"user\"");        // reserved
  EXPECT_EQ(ident("between"), "\"between\"");  // col_name keyword
  EXPECT_EQ(ident("left"), "\"left\"");        // type_func_name keyword
  EXPECT_EQ(ident("abort"), "abort");          // unreserved
  EXPECT_EQ(ident("name"), "name");            // unreserved
  EXPECT_EQ(ident("zone"), "zone");            // last entry, unreserved
}

TEST(QuoteIdentifier, QualifiedNames) {
  std::string out;
  scribe::append_qualified_name(out, "My Schema", "order");
  EXPECT_EQ(out, "\"My Schema\".\"order\"");
}

TEST(QuoteLiteral, QuotesAreDoubled) {
  EXPECT_EQ(literal("O'Brien"), "'O''Brien'");
  EXPECT_EQ(literal(""), "''");
  EXPECT_EQ(literal("'); DROP TABLE x; --"), "'''); DROP TABLE x; --'");
}

TEST(QuoteLiteral, BackslashesUseEscapeStringSyntax) {
  // E'' strings mean the same under any standard_conforming_strings.
  EXPECT_EQ(literal("C:\\dir"), "E'C:\\\\dir'");
  EXPECT_EQ(literal("\\'); DROP TABLE x; --"), "E'\\\\''); DROP TABLE x; --'");
  EXPECT_EQ(literal("\\x00ff"), "E'\\\\x00ff'");
}

TEST(QuoteLiteral, QuotesAtEveryPositionAndInRuns) {
  EXPECT_EQ(literal("'"), "''''");
  EXPECT_EQ(literal("''"), "''''''");
  EXPECT_EQ(literal("'a'"), "'''a'''");
  EXPECT_EQ(literal("a''b'"), "'a''''b'''");
  EXPECT_EQ(literal("\\'"), "E'\\\\'''");
}

// Character by character, as the rule reads: the reference for the faster
// implementation, compared on random strings over the characters that matter.
std::string literal_reference(std::string_view s) {
  const bool backslash = s.find('\\') != std::string_view::npos;
  std::string out = backslash ? "E'" : "'";
  for (const char ch : s) {
    out.push_back(ch);
    if (ch == '\'' || (backslash && ch == '\\')) out.push_back(ch);
  }
  out.push_back('\'');
  return out;
}

TEST(QuoteLiteral, MatchesTheCharacterByCharacterRule) {
  std::mt19937 random(7);
  const char alphabet[] = {'a', '\'', '\\', '"', '\0', '\n', 'E', '$'};
  for (int n = 0; n < 20000; ++n) {
    std::string value(random() % 40, ' ');
    for (char& ch : value) ch = alphabet[random() % sizeof alphabet];
    ASSERT_EQ(literal(value), literal_reference(value)) << value;
  }
}

TEST(QuoteLiteral, ControlCharactersAndUnicodePassThrough) {
  EXPECT_EQ(literal("a\nb\tc\r"), "'a\nb\tc\r'");
  EXPECT_EQ(literal("日本語 🙂"), "'日本語 🙂'");
}

}  // namespace

namespace {

std::string dollar(std::string_view body) {
  std::string out;
  scribe::append_dollar_quoted(out, body);
  return out;
}

TEST(DollarQuote, PicksATagAbsentFromTheBody) {
  EXPECT_EQ(dollar("RAISE 'x'"), "$wal2sql$RAISE 'x'$wal2sql$");
  EXPECT_EQ(dollar("a $wal2sql$ b"), "$wal2sql1$a $wal2sql$ b$wal2sql1$");
  // A body ending in the tag without its last "$" would hold the closing
  // tag one byte early (found by fuzz/quote_fuzz).
  EXPECT_EQ(dollar("x $wal2sql"), "$wal2sql1$x $wal2sql$wal2sql1$");
  EXPECT_EQ(dollar("x$"), "$wal2sql$x$$wal2sql$");
  EXPECT_EQ(dollar("$wal2sql$ $wal2sql1$"), "$wal2sql2$$wal2sql$ $wal2sql1$$wal2sql2$");
}

}  // namespace
