#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "scribe/core/diff_scan.hpp"

namespace {

using scribe::DiffFileInfo;
using scribe::DiffScanner;
using scribe::DiffTransaction;

const std::string kExample = R"(-- pg_scribe diff chain=20261121T120000Z start_lsn=0/3A1F000
-- wal2sql: replay settings (values below read back exactly under these)
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SET search_path = pg_catalog, pg_temp;
-- scribe xid=7421 lsn=0/3A1F2B8 commit=2026-11-21T12:00:01.123456Z
BEGIN;
INSERT INTO public.users (id, name) VALUES (1, 'Alice
with a newline; and -- not a comment, COMMIT; not a statement');
UPDATE ONLY public.users SET name = E'O\'Brien \\ $$' WHERE id = 1;
COMMIT;
-- scribe xid=7422 lsn=0/3A1F400 commit=2026-11-21T12:00:02.000001Z
BEGIN;
SELECT pg_catalog.set_config('search_path', 'public', false);
SET ROLE "alice";
CREATE FUNCTION f() RETURNS text LANGUAGE plpgsql AS $fn$ BEGIN RETURN 'x;'; END $fn$
;
RESET ROLE;
END;
CREATE INDEX CONCURRENTLY i ON t (a)
;
START TRANSACTION;
COMMIT;
-- pg_scribe sequences at sealing
SELECT pg_catalog.setval(...);
-- pg_scribe sealed end_lsn=0/3A20000 transactions=2
)";

bool same(const DiffTransaction& a, const DiffTransaction& b) {
  return a.xid == b.xid && a.commit_lsn == b.commit_lsn && a.commit_time == b.commit_time &&
         a.begin_offset == b.begin_offset && a.end_offset == b.end_offset;
}

bool same(const DiffFileInfo& a, const DiffFileInfo& b) {
  return a.chain_id == b.chain_id && a.start_lsn == b.start_lsn && a.has_start == b.has_start && a.sealed == b.sealed &&
         a.end_lsn == b.end_lsn && a.sealed_transactions == b.sealed_transactions;
}

// Everything a scan reports, to compare scans of one text fed differently.
struct Scan {
  std::vector<DiffTransaction> delivered;
  std::uint64_t bytes_fed = 0, clean_end = 0, transactions = 0;
  bool in_transaction = false, at_clean_end = false;
  DiffFileInfo info;

  bool operator==(const Scan& o) const {
    if (delivered.size() != o.delivered.size()) return false;
    for (std::size_t i = 0; i < delivered.size(); ++i)
      if (!same(delivered[i], o.delivered[i])) return false;
    return bytes_fed == o.bytes_fed && clean_end == o.clean_end && transactions == o.transactions &&
           in_transaction == o.in_transaction && at_clean_end == o.at_clean_end && same(info, o.info);
  }
};

// Feeds `text` in chunks of the sizes `next_chunk` returns, then finish().
template <class NextChunk>
Scan scan_chunked(const std::string& text, NextChunk next_chunk, bool finish = true) {
  Scan s;
  DiffScanner scanner([&](const DiffTransaction& tx) { s.delivered.push_back(tx); });
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t n = std::min(text.size() - i, next_chunk());
    scanner.feed(text.data() + i, n);
    i += n;
  }
  if (finish) scanner.finish();
  s.bytes_fed = scanner.bytes_fed();
  s.clean_end = scanner.clean_end();
  s.transactions = scanner.transactions();
  s.in_transaction = scanner.in_transaction();
  s.at_clean_end = scanner.at_clean_end();
  s.info = scanner.info();
  return s;
}

Scan scan(const std::string& text, bool finish = true) {
  return scan_chunked(
      text, [&] { return text.size() + 1; }, finish);
}

std::uint64_t end_of(const std::string& text, const std::string& what, std::size_t from = 0) {
  const std::size_t at = text.find(what, from);
  EXPECT_NE(at, std::string::npos) << what;
  return at + what.size();
}

TEST(DiffScan, ExampleFile) {
  const Scan s = scan(kExample);
  ASSERT_EQ(s.delivered.size(), 2u);
  EXPECT_EQ(s.transactions, 2u);
  EXPECT_FALSE(s.in_transaction);
  EXPECT_TRUE(s.at_clean_end);
  EXPECT_EQ(s.clean_end, kExample.size());

  const DiffTransaction& t1 = s.delivered[0];
  EXPECT_EQ(t1.xid, 7421u);
  EXPECT_EQ(t1.commit_lsn, 0x3A1F2B8u);
  EXPECT_EQ(t1.commit_time, "2026-11-21T12:00:01.123456Z");
  EXPECT_EQ(t1.begin_offset, kExample.find("-- scribe xid=7421"));
  EXPECT_EQ(t1.end_offset, end_of(kExample, "WHERE id = 1;\nCOMMIT;\n"));

  const DiffTransaction& t2 = s.delivered[1];
  EXPECT_EQ(t2.xid, 7422u);
  EXPECT_EQ(t2.commit_lsn, 0x3A1F400u);
  EXPECT_EQ(t2.commit_time, "2026-11-21T12:00:02.000001Z");
  EXPECT_EQ(t2.begin_offset, kExample.find("-- scribe xid=7422"));
  EXPECT_EQ(t2.end_offset, end_of(kExample, "START TRANSACTION;\nCOMMIT;\n"));

  // Each transaction's bytes run from its header through "COMMIT;\n".
  const std::string body = kExample.substr(t1.begin_offset, t1.end_offset - t1.begin_offset);
  EXPECT_EQ(body.rfind("-- scribe xid=7421 ", 0), 0u);
  EXPECT_EQ(body.substr(body.size() - 9), "\nCOMMIT;\n");

  EXPECT_EQ(s.info.chain_id, "20261121T120000Z");
  EXPECT_TRUE(s.info.has_start);
  EXPECT_EQ(s.info.start_lsn, 0x3A1F000u);
  EXPECT_TRUE(s.info.sealed);
  EXPECT_EQ(s.info.end_lsn, 0x3A20000u);
  EXPECT_EQ(s.info.sealed_transactions, 2u);
}

TEST(DiffScan, AnyChunkingGivesTheSameResult) {
  const Scan whole = scan(kExample);
  EXPECT_TRUE(scan_chunked(kExample, [] { return std::size_t{1}; }) == whole);
  std::mt19937 rng(42);
  for (int round = 0; round < 300; ++round) {
    const std::size_t max_chunk = 1 + rng() % (round < 150 ? 8 : 200);
    EXPECT_TRUE(scan_chunked(kExample, [&] { return static_cast<std::size_t>(rng() % (max_chunk + 1)); }) == whole)
        << "round " << round;
  }
}

// Each statement below is the single statement of a transaction. None may
// end the transaction early or start another one, whatever it contains.
const std::vector<std::string> kHostile = {
    // Standard strings: '' doubles a quote, backslash is an ordinary character.
    R"(INSERT INTO t VALUES ('COMMIT;'))",
    R"(INSERT INTO t VALUES ('it''s; COMMIT; -- not a comment'''))",
    R"(INSERT INTO t VALUES ('C:\', 'x;COMMIT;'))",
    "INSERT INTO t VALUES ('\n-- scribe xid=1 lsn=0/1 commit=x\nBEGIN;\nCOMMIT;\n')",
    "INSERT INTO t VALUES ('\n-- pg_scribe sealed end_lsn=0/1 transactions=9\n')",
    // Escape strings: \' and \\ and '' all occur.
    R"(INSERT INTO t VALUES (E'O\'Brien; COMMIT; \\', 'x'))",
    R"(INSERT INTO t VALUES (e'it''s \\'' COMMIT;'))",
    R"(INSERT INTO t VALUES (E'\\\'; COMMIT; \x41\101\u0041'))",
    // An e ending an identifier is no E prefix: name'\' is a typed literal.
    R"(SELECT name'\')",
    R"(SELECT note'\', typee'\')",
    // U&'', B'', X'', N'' follow standard-string rules.
    R"(SELECT U&'d\0061t\+000061\', U&'\' AS "U&"";COMMIT;")",
    R"(SELECT B'0101', b'1''', X'1F', x'', N'it''s; COMMIT;', n'\')",
    // Quoted identifiers.
    R"(CREATE TABLE "COMMIT;"" -- x" ("a;b" int, "'" text, U&"\0041;" int))",
    // Dollar quotes; $1 is a parameter; $ inside an identifier opens nothing.
    "SELECT $$COMMIT;$$, $a$ $$ COMMIT; $b$ $a$, $x1$;$x1$, $_$'$_$, $\xc3\xa9$;$\xc3\xa9$",
    "SELECT $fn$ BEGIN RETURN 'x;'; END $fn$",
    R"(PREPARE p(int) AS SELECT $1, a$b$, x$$ FROM t)",
    R"(SELECT 1 FROM a$, b$c WHERE d$ = $2)",
    // Comments.
    "SELECT 1 -- COMMIT;\n-- scribe xid=5 lsn=0/5 commit=t\n+ 1",
    R"(SELECT /* COMMIT; /* nested; */ COMMIT; */ 1 /*/ ; */ /**/ /***/)",
    R"(SELECT 1 /* -- */ - 1 --+ ; */)",
    // A string continues past a newline only in psql's way (a '\r' inside a
    // line); after '\n' the quote opens a new standard string.
    "SELECT E'x'\r'\\'; COMMIT;'",
    "SELECT E'x'\n'\\'",
    // psql's :name variable reference: the e is no E prefix.
    R"(SELECT a[1:e'\'])",
    // Numbers: an identifier glued to a number is taken with it.
    R"(SELECT 1e5$$, 1ee'\', 0x'\', 1_0$$, 1.5_0$$, $1_0$$, 1e$$)",
    // SQL-standard function bodies and parenthesised rule actions.
    "CREATE FUNCTION f(a int) RETURNS int LANGUAGE sql\nBEGIN ATOMIC\n  SELECT CASE WHEN a > 0 THEN 1 ELSE 2 END;\n"
    "  COMMIT;\n  SELECT 1;\nEND",
    "create or replace procedure p() language sql begin atomic insert into t values (1); commit; end",
    R"(CREATE RULE r AS ON INSERT TO t DO ALSO (INSERT INTO a VALUES (1); COMMIT; INSERT INTO b VALUES (2)))",
    "CREATE FUNCTION begin_t(begin int) RETURNS int LANGUAGE sql RETURN CASE WHEN true THEN 1 END",
};

TEST(DiffScan, HostileValuesNeverEndOrStartATransaction) {
  std::string text = "-- pg_scribe diff chain=c start_lsn=0/1\nSET a = 'BEGIN;';\n";
  std::vector<DiffTransaction> expected;
  for (std::size_t i = 0; i < kHostile.size(); ++i) {
    DiffTransaction tx;
    tx.xid = static_cast<std::uint32_t>(100 + i);
    tx.commit_lsn = 0x1000 + i;
    tx.commit_time = "t" + std::to_string(i);
    tx.begin_offset = text.size();
    char lsn[32];
    std::snprintf(lsn, sizeof lsn, "0/%X", static_cast<unsigned>(tx.commit_lsn));
    text += "-- scribe xid=" + std::to_string(tx.xid) + " lsn=" + lsn + " commit=" + tx.commit_time + "\n";
    text += "BEGIN;\n" + kHostile[i] + "\n;\nCOMMIT;\n";
    tx.end_offset = text.size();
    expected.push_back(tx);
  }
  text += "-- pg_scribe sealed end_lsn=0/2 transactions=" + std::to_string(kHostile.size()) + "\n";

  const Scan s = scan(text);
  ASSERT_EQ(s.delivered.size(), expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i)
    EXPECT_TRUE(same(s.delivered[i], expected[i])) << "statement " << i << ": " << kHostile[i];
  EXPECT_TRUE(s.at_clean_end);
  EXPECT_TRUE(s.info.sealed);
  EXPECT_EQ(s.info.sealed_transactions, kHostile.size());
  EXPECT_TRUE(scan_chunked(text, [] { return std::size_t{1}; }) == s);

  // Byte by byte, each transaction completes exactly at its COMMIT;.
  DiffScanner scanner;
  std::size_t next = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    scanner.feed(&text[i], 1);
    const bool at_commit = next < expected.size() && i + 2 == expected[next].end_offset;
    if (at_commit) ++next;
    ASSERT_EQ(scanner.transactions(), next) << "offset " << i;
  }
}

TEST(DiffScan, HostileStatementsAtTopLevelEachEndOnce) {
  // Outside transactions, clean_end() moves past each statement exactly at its ';'.
  for (const std::string& stmt : kHostile) {
    const std::string text = stmt + "\n;";
    DiffScanner scanner;
    for (std::size_t i = 0; i < text.size(); ++i) {
      scanner.feed(&text[i], 1);
      if (i + 1 < text.size()) {
        ASSERT_EQ(scanner.clean_end(), 0u) << stmt << " at " << i;
      }
    }
    EXPECT_TRUE(scanner.at_clean_end()) << stmt;
    EXPECT_FALSE(scanner.in_transaction()) << stmt;
  }
}

TEST(DiffScan, EndAndStartTransactionInsideATransaction) {
  const std::string text =
      "BEGIN;\nSELECT 1;\nEND;\nCREATE INDEX CONCURRENTLY i ON t (a)\n;\nSTART TRANSACTION;\nSELECT 2;\nCOMMIT;\n";
  DiffScanner scanner;
  const auto upto = [&](const std::string& what) {
    const std::uint64_t end = end_of(text, what);
    scanner.feed(text.data() + scanner.bytes_fed(), end - scanner.bytes_fed());
  };
  upto("BEGIN;");
  EXPECT_TRUE(scanner.in_transaction());
  upto("END;");
  EXPECT_TRUE(scanner.in_transaction());
  upto("(a)\n;");
  EXPECT_TRUE(scanner.in_transaction());
  upto("START TRANSACTION;");
  EXPECT_TRUE(scanner.in_transaction());
  EXPECT_EQ(scanner.clean_end(), 0u);
  upto("COMMIT;\n");
  EXPECT_FALSE(scanner.in_transaction());
  EXPECT_EQ(scanner.transactions(), 1u);
  ASSERT_TRUE(scanner.last_transaction().has_value());
  EXPECT_EQ(scanner.last_transaction()->xid, 0u);  // no header
  EXPECT_EQ(scanner.last_transaction()->begin_offset, 0u);
  EXPECT_EQ(scanner.last_transaction()->end_offset, text.size());
  EXPECT_TRUE(scanner.at_clean_end());
}

TEST(DiffScan, BeginAtomicBodiesAndRuleActions) {
  struct Case {
    std::string text;
    int statements;
  };
  const std::vector<Case> cases = {
      {"CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT 2; END;", 1},
      {"CREATE OR REPLACE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; END;", 1},
      {"create procedure p() begin atomic select case when true then 1 end; select 2; end;", 1},
      {"CREATE OR REPLACE PROCEDURE p() BEGIN ATOMIC SELECT 1; END;", 1},
      // CASE counts only inside BEGIN; BEGIN counts only outside parentheses.
      {"CREATE FUNCTION f() RETURNS int LANGUAGE sql RETURN CASE WHEN true THEN 1 END; SELECT 2;", 2},
      {"CREATE FUNCTION f(begin int) RETURNS int LANGUAGE sql RETURN 1; SELECT 2;", 2},
      // Other statements never track BEGIN ... END.
      {"CREATE TABLE begin (x int); SELECT 2;", 2},
      {"CREATE OR REPLACE VIEW v AS SELECT 1 AS begin; SELECT 2;", 2},
      {"DO $$BEGIN PERFORM 1; END$$; SELECT 2;", 2},
      {"CREATE RULE r AS ON INSERT TO t DO ALSO (INSERT INTO a VALUES (1); INSERT INTO b VALUES (2)); SELECT 2;", 2},
      {"SELECT ((1); 2); SELECT 3;", 2},
  };
  for (const Case& c : cases) {
    DiffScanner scanner;
    int ends = 0;
    for (std::size_t i = 0; i < c.text.size(); ++i) {
      const std::uint64_t before = scanner.clean_end();
      scanner.feed(&c.text[i], 1);
      if (c.text[i] == ';' && scanner.clean_end() == i + 1 && before != i + 1) ++ends;
    }
    EXPECT_EQ(ends, c.statements) << c.text;
    EXPECT_TRUE(scanner.at_clean_end()) << c.text;
  }
}

// A sample file built from pieces, remembering where a torn file may be cut.
struct Sample {
  std::string text;
  std::vector<bool> unit_end{true};  // [offset]: a complete top-level unit ends there

  void unit(const std::string& s) { add(s, true); }
  void part(const std::string& s) { add(s, false); }  // a piece that completes nothing
  void add(const std::string& s, bool ends_unit) {
    text += s;
    unit_end.resize(text.size() + 1, false);
    unit_end[text.size()] = ends_unit;
  }
  // The cut for a file torn after `len` bytes: the last unit end, plus the
  // whitespace that follows it.
  std::uint64_t expected_clean_end(std::size_t len) const {
    std::size_t clean = len;
    while (!unit_end[clean]) --clean;
    while (clean < len && std::string(" \t\n\r\f").find(text[clean]) != std::string::npos) ++clean;
    return clean;
  }
};

Sample torn_sample() {
  Sample s;
  s.unit("-- pg_scribe diff chain=20261121T120000Z start_lsn=0/3A1F000\n");
  s.unit("-- wal2sql: replay settings\n");
  s.unit("SET client_encoding = 'UTF8';");
  s.part("\n");
  s.unit("SET search_path = pg_catalog, pg_temp;");
  s.part(" ");
  s.unit("-- trailing comment\n");
  s.unit("/* block; COMMIT; */");
  s.part("\n\n");
  s.part("-- scribe xid=7421 lsn=0/3A1F2B8 commit=2026-11-21T12:00:01.123456Z\n");
  s.part("BEGIN;\nINSERT INTO t VALUES (1, 'a;\nCOMMIT;\n', E'\\';', $q$;$q$, \"x;\");\n");
  s.part("-- scribe xid=1 lsn=0/1 commit=inside\n");
  s.unit("COMMIT;");
  s.part("\n");
  s.part("-- scribe xid=7422 lsn=0/3A1F400 commit=2026-11-21T12:00:02.000001Z\n");
  s.part("BEGIN;\nSELECT 1;\nEND;\nCREATE INDEX CONCURRENTLY i ON t (a)\n;\nSTART TRANSACTION;\n");
  s.unit("COMMIT;");
  s.part("\n");
  s.part("BEGIN;\nSELECT 2;\n");  // no header
  s.unit("COMMIT;");
  s.part("\n");
  s.part("-- scribe xid=9 lsn=0/9 commit=orphan\n");  // no BEGIN; follows
  s.unit("-- pg_scribe sequences at sealing\n");
  s.unit("SELECT pg_catalog.setval('s', 1);");
  s.part("\n");
  s.unit("-- pg_scribe sealed end_lsn=0/3A20000 transactions=3\n");
  s.part("\n \n");
  return s;
}

TEST(DiffScan, TornTailsCutAtTheLastCompleteUnit) {
  const Sample sample = torn_sample();
  const std::string& text = sample.text;
  const Scan full = scan(text);
  ASSERT_EQ(full.delivered.size(), 3u);
  EXPECT_TRUE(full.at_clean_end);

  for (std::size_t len = 0; len <= text.size(); ++len) {
    const std::string torn = text.substr(0, len);
    const Scan s = scan(torn, false);
    const std::uint64_t expected = sample.expected_clean_end(len);
    ASSERT_EQ(s.clean_end, expected) << "cut at " << len;
    EXPECT_EQ(s.at_clean_end, expected == len) << "cut at " << len;

    std::uint64_t complete = 0;
    for (const DiffTransaction& tx : full.delivered) {
      // A transaction is complete once its "COMMIT;" is in (the newline is optional).
      if (tx.end_offset - 1 <= len) ++complete;
    }
    EXPECT_EQ(s.transactions, complete) << "cut at " << len;
    const bool inside = std::any_of(full.delivered.begin(), full.delivered.end(), [&](const DiffTransaction& tx) {
      const std::uint64_t begin_stmt = text.find("BEGIN;", tx.begin_offset);
      return begin_stmt + 6 <= len && len < tx.end_offset - 1;
    });
    EXPECT_EQ(s.in_transaction, inside) << "cut at " << len;

    // The cut file reads as complete and keeps its transactions whole.
    const Scan cut = scan(text.substr(0, expected));
    ASSERT_TRUE(cut.at_clean_end) << "cut at " << len;
    ASSERT_EQ(cut.transactions, complete) << "cut at " << len;
    for (std::size_t i = 0; i < cut.delivered.size(); ++i) {
      EXPECT_EQ(cut.delivered[i].begin_offset, full.delivered[i].begin_offset);
      EXPECT_LE(cut.delivered[i].end_offset, full.delivered[i].end_offset);
    }
  }
}

TEST(DiffScan, CallbackWaitsForTheByteAfterCommit) {
  std::vector<DiffTransaction> got;
  DiffScanner scanner([&](const DiffTransaction& tx) { got.push_back(tx); });
  const std::string text = "BEGIN;\nCOMMIT;";
  scanner.feed(text.data(), text.size());
  EXPECT_EQ(scanner.transactions(), 1u);
  EXPECT_TRUE(scanner.at_clean_end());
  EXPECT_TRUE(got.empty());
  scanner.feed("\n", 1);  // the newline belongs to the transaction
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].end_offset, text.size() + 1);
  EXPECT_EQ(scanner.last_transaction()->end_offset, text.size() + 1);

  scanner.feed("BEGIN;COMMIT; ", 14);  // not a newline: not included
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[1].begin_offset, text.size() + 1);
  EXPECT_EQ(got[1].end_offset, text.size() + 1 + 13);

  scanner.feed("BEGIN;COMMIT;", 13);
  EXPECT_EQ(got.size(), 2u);
  scanner.finish();  // end of input delivers it
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[2].end_offset, scanner.bytes_fed());
  scanner.finish();
  EXPECT_EQ(got.size(), 3u);
}

TEST(DiffScan, StopAtAPointInTime) {
  // What a point-in-time restore does: keep the transactions committed at or
  // before a time, cut after the last one.
  std::uint64_t keep_end = 0;
  DiffScanner scanner([&](const DiffTransaction& tx) {
    if (tx.commit_time <= "2026-11-21T12:00:01.5Z") keep_end = tx.end_offset;
  });
  scanner.feed(kExample.data(), kExample.size());
  scanner.finish();
  EXPECT_EQ(keep_end, end_of(kExample, "WHERE id = 1;\nCOMMIT;\n"));
  const Scan kept = scan(kExample.substr(0, keep_end));
  EXPECT_TRUE(kept.at_clean_end);
  EXPECT_EQ(kept.transactions, 1u);
}

TEST(DiffScan, FileHeaderAndTrailer) {
  Scan s = scan("-- pg_scribe diff chain=abc-1 start_lsn=16/abcdef\n-- pg_scribe diff chain=other start_lsn=0/1\n");
  EXPECT_TRUE(s.info.has_start);
  EXPECT_EQ(s.info.chain_id, "abc-1");  // the first header counts
  EXPECT_EQ(s.info.start_lsn, 0x1600ABCDEFu);
  EXPECT_FALSE(s.info.sealed);

  s = scan("-- pg_scribe sealed end_lsn=FFFFFFFF/FFFFFFFF transactions=18446744073709551615\n");
  EXPECT_FALSE(s.info.has_start);
  EXPECT_TRUE(s.info.sealed);
  EXPECT_EQ(s.info.end_lsn, 0xFFFFFFFFFFFFFFFFu);
  EXPECT_EQ(s.info.sealed_transactions, 18446744073709551615u);
  EXPECT_TRUE(s.at_clean_end);

  // Not on a line of its own, inside a statement or a transaction, or cut
  // short: an ordinary comment.
  for (const char* text :
       {" -- pg_scribe sealed end_lsn=0/1 transactions=1\n",
        "SELECT 1 -- pg_scribe sealed end_lsn=0/1 transactions=1\n;",
        "SELECT 1;-- pg_scribe sealed end_lsn=0/1 transactions=1\n",
        "BEGIN;\n-- pg_scribe sealed end_lsn=0/1 transactions=1\nCOMMIT;\n",
        "/* x */-- pg_scribe sealed end_lsn=0/1 transactions=1\n", "-- pg_scribe sealed end_lsn=0/1 transactions=1"}) {
    s = scan(text);
    EXPECT_FALSE(s.info.sealed) << text;
  }
}

TEST(DiffScan, MalformedHeadersAreOrdinaryComments) {
  for (const char* line : {
           "-- pg_scribe diff chain= start_lsn=0/1",
           "-- pg_scribe diff chain=c start_lsn=zz",
           "-- pg_scribe diff chain=c",
           "-- pg_scribe sealed end_lsn=0/ transactions=1",
           "-- pg_scribe sealed end_lsn=0/1 transactions=-1",
           "-- pg_scribe sealed end_lsn=0/1 transactions=18446744073709551616",
           "-- pg_scribe sealed end_lsn=123456789/0 transactions=1",
           "-- scribe xid=abc lsn=0/1 commit=t",
           "-- scribe xid=4294967296 lsn=0/1 commit=t",
           "-- scribe xid=-1 lsn=0/1 commit=t",
           "-- scribe xid=1 lsn=G/1 commit=t",
           "-- scribe xid=1 lsn=0/1/2 commit=t",
           "-- scribe xid=1 lsn=0x1/2 commit=t",
           "-- scribe xid=1 lsn=0/1 commit=",
           "-- scribe xid=1 lsn=0/1",
           "-- scribe  ",
           "-- scribexid=1 lsn=0/1 commit=t",
       }) {
    const std::string text = std::string(line) + "\nBEGIN;\nCOMMIT;\n";
    const Scan s = scan(text);
    EXPECT_FALSE(s.info.has_start) << line;
    EXPECT_FALSE(s.info.sealed) << line;
    ASSERT_EQ(s.delivered.size(), 1u) << line;
    EXPECT_EQ(s.delivered[0].xid, 0u) << line;
    EXPECT_EQ(s.delivered[0].begin_offset, std::string(line).size() + 1) << line;
    // The comment is a complete unit of its own.
    EXPECT_EQ(scan(std::string(line) + "\n").clean_end, std::string(line).size() + 1) << line;
  }
  // A long line is no header, whatever it says.
  const std::string long_line = "-- scribe xid=1 lsn=0/1 commit=" + std::string(5000, 'x') + "\n";
  EXPECT_EQ(scan(long_line + "BEGIN;\nCOMMIT;\n").delivered.at(0).xid, 0u);
}

TEST(DiffScan, TransactionHeaderDetails) {
  // Lower-case hex, extra fields, extra blanks, CRLF.
  Scan s = scan("-- scribe  xid=4294967295 lsn=0/3a1f2b8 commit=x future=1\r\nBEGIN;\r\nCOMMIT;\r\n");
  ASSERT_EQ(s.delivered.size(), 1u);
  EXPECT_EQ(s.delivered[0].xid, 4294967295u);
  EXPECT_EQ(s.delivered[0].commit_lsn, 0x3A1F2B8u);
  EXPECT_EQ(s.delivered[0].commit_time, "x");
  EXPECT_EQ(s.delivered[0].begin_offset, 0u);

  // Blank lines between a header and its BEGIN; are fine; a comment or a
  // statement in between orphans the header.
  s = scan("-- scribe xid=7 lsn=0/7 commit=t\n\n\nBEGIN;\nCOMMIT;\n");
  EXPECT_EQ(s.delivered.at(0).xid, 7u);
  EXPECT_EQ(s.delivered.at(0).begin_offset, 0u);
  const std::string orphaned_by_comment = "-- scribe xid=7 lsn=0/7 commit=t\n-- note\nBEGIN;\nCOMMIT;\n";
  s = scan(orphaned_by_comment);
  EXPECT_EQ(s.delivered.at(0).xid, 0u);
  EXPECT_EQ(s.delivered.at(0).begin_offset, orphaned_by_comment.find("BEGIN"));
  s = scan("-- scribe xid=7 lsn=0/7 commit=t\nSELECT 1;\nBEGIN;\nCOMMIT;\n");
  EXPECT_EQ(s.delivered.at(0).xid, 0u);
  // The later header of two counts.
  s = scan("-- scribe xid=7 lsn=0/7 commit=t\n-- scribe xid=8 lsn=0/8 commit=u\nBEGIN;\nCOMMIT;\n");
  EXPECT_EQ(s.delivered.at(0).xid, 8u);
  EXPECT_EQ(s.delivered.at(0).begin_offset, 33u);
  // BEGIN and COMMIT in any case, with WORK or TRANSACTION; not other statements.
  s = scan("begin work;\ncommit transaction;\nBegin;\nCommit Work;\n");
  EXPECT_EQ(s.delivered.size(), 2u);
  s = scan("BEGIN ISOLATION LEVEL SERIALIZABLE;\nBEGIN; ROLLBACK; COMMIT AND CHAIN; END; COMMIT PREPARED 'x'; ");
  EXPECT_EQ(s.delivered.size(), 0u);
  EXPECT_TRUE(s.in_transaction);
  // A header inside a transaction is text of the transaction.
  s = scan("BEGIN;\n-- scribe xid=7 lsn=0/7 commit=t\nCOMMIT;\n");
  EXPECT_EQ(s.delivered.at(0).xid, 0u);
  EXPECT_EQ(s.delivered.at(0).begin_offset, 0u);
}

TEST(DiffScan, CleanEndDetails) {
  // Whitespace after complete units is clean; a header waiting for its
  // BEGIN; is not, nor anything unfinished.
  EXPECT_TRUE(scan("").at_clean_end);
  EXPECT_TRUE(scan(" \n\t\r\f").at_clean_end);
  EXPECT_TRUE(scan("SELECT 1;\n\n  \n").at_clean_end);
  EXPECT_TRUE(scan(";").at_clean_end);
  EXPECT_TRUE(scan("/* a */ /* b */\n").at_clean_end);
  EXPECT_EQ(scan("SELECT 1;\n-- scribe xid=1 lsn=0/1 commit=t\n\n").clean_end, 10u);
  EXPECT_EQ(scan("SELECT 1;\n-- a comment without its newline").clean_end, 10u);
  EXPECT_EQ(scan("SELECT 1;\nSELECT 'x").clean_end, 10u);
  EXPECT_EQ(scan("SELECT 1;\n/* a /* b */").clean_end, 10u);
  EXPECT_EQ(scan("SELECT 1;\nSELECT $a$ x $a").clean_end, 10u);
  EXPECT_EQ(scan("SELECT 1;\nSELECT \"x").clean_end, 10u);
  EXPECT_EQ(scan("SELECT 1;\nSELECT E'x\\';").clean_end, 10u);
  EXPECT_EQ(scan("SELECT 1;\nSELECT (1;").clean_end, 10u);
  EXPECT_EQ(scan("SELECT 1;\nBEGIN;\nSELECT 1;\n").clean_end, 10u);
  EXPECT_EQ(scan("SELECT 1;\n-").clean_end, 10u);
}

// Random text made of the pieces that matter to the lexer, and random bytes.
std::string random_text(std::mt19937& rng, bool raw_bytes) {
  static const std::vector<std::string> pieces = {
      "'",
      "''",
      "E'",
      "e'",
      "\\",
      "\\'",
      "$$",
      "$a$",
      "$b$",
      "$1",
      "a$",
      "$",
      "\"",
      "U&'",
      "u&\"",
      "B'",
      "X'",
      "N'",
      ";",
      ";",
      ";",
      "(",
      ")",
      "--",
      "-",
      "/*",
      "*/",
      "/",
      "*",
      "\n",
      "\n",
      " ",
      "\r",
      "BEGIN",
      "COMMIT",
      "END",
      "CASE",
      "CREATE",
      "FUNCTION",
      "OR",
      "REPLACE",
      "ATOMIC",
      "e",
      "1e5",
      ":",
      "x",
      "\xc3\xa9",
      "\n-- scribe xid=1 lsn=0/1 commit=t\n",
      "\n-- pg_scribe sealed end_lsn=0/1 transactions=1\n",
      "\n-- pg_scribe diff chain=c start_lsn=0/1\n",
      "BEGIN;\n",
      "COMMIT;\n",
      "START TRANSACTION;",
      "END;",
  };
  std::string text;
  const std::size_t n = rng() % 200;
  for (std::size_t i = 0; i < n; ++i) {
    if (raw_bytes)
      text.push_back(static_cast<char>(rng() & 0xFF));
    else
      text += pieces[rng() % pieces.size()];
  }
  return text;
}

TEST(DiffScan, FuzzNeverCrashesAndIgnoresChunking) {
  std::mt19937 rng(20261121);
  for (int round = 0; round < 3000; ++round) {
    const std::string text = random_text(rng, round % 3 == 0);
    const Scan whole = scan(text);
    const Scan chunked = scan_chunked(text, [&] { return static_cast<std::size_t>(rng() % 9); });
    ASSERT_TRUE(chunked == whole) << "round " << round;
    ASSERT_EQ(whole.bytes_fed, text.size());
    ASSERT_LE(whole.clean_end, whole.bytes_fed);
    ASSERT_EQ(whole.delivered.size(), whole.transactions);
    std::uint64_t previous_end = 0;
    for (const DiffTransaction& tx : whole.delivered) {
      ASSERT_LE(previous_end, tx.begin_offset);
      ASSERT_LT(tx.begin_offset, tx.end_offset);
      ASSERT_LE(tx.end_offset, whole.clean_end);
      ASSERT_EQ(text.compare(tx.end_offset - (text[tx.end_offset - 1] == '\n' ? 2 : 1), 1, ";"), 0);
      previous_end = tx.end_offset;
    }
    // The prefix up to clean_end() is clean and holds every transaction.
    const Scan cut = scan(text.substr(0, whole.clean_end));
    ASSERT_TRUE(cut.at_clean_end) << "round " << round;
    ASSERT_EQ(cut.transactions, whole.transactions) << "round " << round;
  }
}

}  // namespace
