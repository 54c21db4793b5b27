// The fuzz targets' independent reader of PostgreSQL's lexical rules
// (fuzz/pg_lexer.hpp) is their oracle: where it is wrong, a fuzzer reports
// a violation that is not one. Checked here against psql 15, as observed
// (psql -X reading each text from a file), and against the restore's own
// scanner (DiffScanner), which follows psqlscan.l byte by byte.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "../../fuzz/pg_lexer.hpp"
#include "scribe/core/diff_scan.hpp"

namespace {

std::vector<std::string> statements_of(const std::string& text) {
  std::vector<std::string> out;
  scribe::DiffScanner scanner;
  scanner.set_statement_callback(
      [&](const scribe::DiffStatement& s) { out.push_back(text.substr(s.start, s.end - s.start)); });
  scanner.feed(text.data(), text.size());
  scanner.finish();
  return out;
}

std::vector<std::string> dollar_bodies(const std::string& text) {
  std::vector<std::string> out;
  for (const pglex::Token& t : pglex::tokenize(text))
    if (t.kind == pglex::Token::kDollar) out.push_back(t.text);
  return out;
}

// psql: "SELECT 2.00$$;\nSELECT 'b' ;$$ AS x;" is one statement (2.00, then a
// dollar quote); "SELECT 1e5$$;" ends at its ';' (1e5$$ is one token: "1"
// and the identifier "e5$$", trailing junk for the server).
TEST(PgLexer, NumbersEndWherePsqlEndsThem) {
  const std::string quote_after_number = "SELECT 2.00$$;\nSELECT 'b' ;$$ AS x;";
  EXPECT_EQ(dollar_bodies(quote_after_number), std::vector<std::string>{";\nSELECT 'b' ;"});
  EXPECT_EQ(statements_of(quote_after_number).size(), 1u);
  for (const std::string text : {"SELECT 2$$a$$;", "SELECT .5$$a$$;", "SELECT 1e+5$$a$$;", "SELECT $1$$a$$;"}) {
    EXPECT_EQ(dollar_bodies(text), std::vector<std::string>{"a"}) << text;
    EXPECT_EQ(statements_of(text).size(), 1u) << text;
  }
  for (const std::string text : {"SELECT 1e5$$;\nSELECT 'b' ;$$ AS x;", "SELECT 2x$$;\nSELECT 'b' ;$$ AS x;",
                                 "SELECT a2$$;\nSELECT 'b' ;$$ AS x;", "SELECT 1ex$$;\nSELECT 'b' ;$$ AS x;"}) {
    EXPECT_TRUE(dollar_bodies(text).empty()) << text;
    EXPECT_EQ(statements_of(text).size(), 2u) << text;
  }
}

// E'...' opens an escape string only where the E starts a token: after a
// number the E is trailing junk taken with it, and '\'' then opens a
// standard string.
TEST(PgLexer, EscapeStringOnlyWhereEStartsAToken) {
  const auto tokens = pglex::tokenize("SELECT 2E'a\\', E'b\\'c';");
  std::vector<std::string> strings;
  for (const pglex::Token& t : tokens)
    if (t.kind == pglex::Token::kString) strings.push_back(t.text);
  EXPECT_EQ(strings, (std::vector<std::string>{"a\\", "b'c"}));
}

}  // namespace
