#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "scribe/core/diff_scan.hpp"
#include "scribe/core/error.hpp"

namespace {

using scribe::DiffFileInfo;
using scribe::DiffScanner;
using scribe::DiffStatement;
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

// One callback call, in the order they came.
struct Event {
  enum Kind : char { kStatement = 'S', kTransaction = 'T', kMeta = 'M', kCopy = 'C' };
  char kind = 0;
  std::uint64_t a = 0, b = 0, c = 0;  // S: start, end, xid of open_transaction() + 1 (0: none)
                                      // T: begin_offset, end_offset; M: start, end
                                      // C: data_start, data_end, resume
  bool in_transaction = false;        // S
  std::string streamed;               // C: the data as a client sends it on (see scan_chunked)

  bool operator==(const Event& o) const {
    return kind == o.kind && a == o.a && b == o.b && c == o.c && in_transaction == o.in_transaction &&
           streamed == o.streamed;
  }
};

std::string describe(const std::vector<Event>& events) {
  std::string out;
  for (const Event& e : events)
    out += std::string(1, e.kind) + "(" + std::to_string(e.a) + "," + std::to_string(e.b) + "," + std::to_string(e.c) +
           (e.in_transaction ? ",tx" : "") + ") ";
  return out;
}

// Everything a scan reports, to compare scans of one text fed differently.
struct Scan {
  std::vector<DiffTransaction> delivered;
  std::vector<Event> events;
  std::uint64_t bytes_fed = 0, clean_end = 0, transactions = 0;
  bool in_transaction = false, at_clean_end = false;
  DiffFileInfo info;
  std::optional<std::uint64_t> backslash_in_statement;
  std::uint64_t variable_references = 0;

  bool operator==(const Scan& o) const {
    if (delivered.size() != o.delivered.size()) return false;
    for (std::size_t i = 0; i < delivered.size(); ++i)
      if (!same(delivered[i], o.delivered[i])) return false;
    return events == o.events && bytes_fed == o.bytes_fed && clean_end == o.clean_end &&
           backslash_in_statement == o.backslash_in_statement && variable_references == o.variable_references &&
           transactions == o.transactions && in_transaction == o.in_transaction && at_clean_end == o.at_clean_end &&
           same(info, o.info);
  }

  std::vector<Event> of_kind(char kind) const {
    std::vector<Event> out;
    for (const Event& e : events)
      if (e.kind == kind) out.push_back(e);
    return out;
  }
};

std::string lower(std::string text) {
  for (char& ch : text)
    if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
  return text;
}

// What a restore client decides from a statement's text.
bool is_copy_from_stdin(const std::string& statement) {
  const std::string s = lower(statement);
  return s.rfind("copy ", 0) == 0 && s.find("from stdin") != std::string::npos;
}

// Feeds `text` in chunks of the sizes `next_chunk` returns, then finish(),
// acting as a restore client: COPY ... FROM stdin statements get their data,
// which is sent on after each feed() up to copy_data_flushable_end() and
// the rest in the COPY data callback.
template <class NextChunk>
Scan scan_chunked(const std::string& text, NextChunk next_chunk, bool finish = true) {
  Scan s;
  DiffScanner scanner([&](const DiffTransaction& tx) {
    s.delivered.push_back(tx);
    s.events.push_back({Event::kTransaction, tx.begin_offset, tx.end_offset, 0, false, {}});
  });
  std::string streamed;    // the current COPY's data, sent so far
  std::uint64_t sent = 0;  // where it ends in `text`
  std::uint64_t flushable = 0;
  scanner.set_statement_callback([&](const DiffStatement& st) {
    const DiffTransaction* open = scanner.open_transaction();
    s.events.push_back(
        {Event::kStatement, st.start, st.end, open ? open->xid + std::uint64_t{1} : 0, st.in_transaction, {}});
    if (is_copy_from_stdin(text.substr(st.start, st.end - st.start))) {
      scanner.begin_copy_data();
      EXPECT_TRUE(scanner.in_copy_data());
      sent = flushable = 0;
      streamed.clear();
    }
  });
  scanner.set_copy_data_callback([&](std::uint64_t data_start, std::uint64_t data_end, std::uint64_t resume) {
    EXPECT_FALSE(scanner.in_copy_data());
    EXPECT_LE(flushable, data_end);
    const std::uint64_t from = std::max(sent, data_start);
    streamed += text.substr(from, data_end - from);
    EXPECT_EQ(streamed, text.substr(data_start, data_end - data_start));
    s.events.push_back({Event::kCopy, data_start, data_end, resume, false, streamed});
    sent = flushable = 0;
    streamed.clear();
  });
  scanner.set_meta_command_callback([&](std::uint64_t start, std::uint64_t end) {
    s.events.push_back({Event::kMeta, start, end, 0, false, {}});
  });
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t n = std::min(text.size() - i, next_chunk());
    scanner.feed(text.data() + i, n);
    i += n;
    if (scanner.in_copy_data()) {
      const std::uint64_t to = scanner.copy_data_flushable_end();
      EXPECT_LE(scanner.copy_data_start(), to);
      EXPECT_LE(flushable, to);  // monotonic
      EXPECT_LE(to, scanner.bytes_fed());
      flushable = to;
      const std::uint64_t from = std::max(sent, scanner.copy_data_start());
      if (to > from) {
        streamed += text.substr(from, to - from);
        sent = to;
      }
    } else {
      EXPECT_EQ(scanner.copy_data_flushable_end(), 0u);
    }
  }
  if (finish) scanner.finish();
  s.bytes_fed = scanner.bytes_fed();
  s.clean_end = scanner.clean_end();
  s.transactions = scanner.transactions();
  s.in_transaction = scanner.in_transaction();
  s.at_clean_end = scanner.at_clean_end();
  s.info = scanner.info();
  s.backslash_in_statement = scanner.backslash_in_statement();
  s.variable_references = scanner.variable_references();
  return s;
}

Scan scan(const std::string& text, bool finish = true) {
  return scan_chunked(
      text, [&] { return text.size() + 1; }, finish);
}

// The same result whether fed whole, byte by byte or in random chunks.
void expect_any_chunking_gives(const std::string& text, const Scan& whole, std::uint32_t seed = 1) {
  EXPECT_TRUE(scan_chunked(text, [] { return std::size_t{1}; }) == whole) << text;
  std::mt19937 rng(seed);
  for (int round = 0; round < 100; ++round) {
    const std::size_t max_chunk = 1 + rng() % (round < 50 ? 8 : 200);
    ASSERT_TRUE(scan_chunked(text, [&] { return static_cast<std::size_t>(rng() % (max_chunk + 1)); }) == whole)
        << "round " << round << ": " << text;
  }
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

// Row changes as wal2sql writes them, whose values and names are drawn
// from what decides a token's end: the scanner takes whole tokens of such
// statements at once (its fast path), and must end up exactly where taking
// them byte by byte does.
std::string random_row_changes(std::mt19937& rng) {
  static const std::vector<std::string> values = {"1",
                                                  "-1",
                                                  "2.25",
                                                  "1.",
                                                  ".5",
                                                  "1e5",
                                                  "1E+5",
                                                  "1e",
                                                  "1..2",
                                                  "1.2.3",
                                                  "12abc",
                                                  "1$$",
                                                  "1$",
                                                  "x$1",
                                                  "'plain'",
                                                  "'it''s'",
                                                  "''",
                                                  "'a'\r'b'",
                                                  "'a' 'b'",
                                                  "'a'\n'b'",
                                                  "'a' -- c\n",
                                                  "'a'--c\r'b'",
                                                  "'a'\t-1",
                                                  "E'\\''",
                                                  "e'x'",
                                                  "B'01'",
                                                  "x'ff'",
                                                  "N'n'",
                                                  "U&'\\0041'",
                                                  "u&\"q\"",
                                                  "u",
                                                  "e",
                                                  "b",
                                                  "n",
                                                  "x",
                                                  "eb",
                                                  "\"q\"\"i\"",
                                                  "\"\"",
                                                  "NULL",
                                                  "$$x$$",
                                                  "$t$ ; $t$",
                                                  ":v",
                                                  ":'v'",
                                                  "::int",
                                                  "a:=1",
                                                  "\\",
                                                  "/* ; */",
                                                  "/* /* */ */",
                                                  "--;\n",
                                                  "- -1",
                                                  "/ 2",
                                                  "(1;2)",
                                                  "((",
                                                  "))",
                                                  ";",
                                                  "ARRAY[1,2]",
                                                  "'{\"k\": 1}'",
                                                  "\xc3\xa9t\xc3\xa9",
                                                  "_x9$",
                                                  "BEGIN",
                                                  "END",
                                                  "CASE",
                                                  "COMMIT",
                                                  "\r",
                                                  "\n",
                                                  "\f",
                                                  "\t",
                                                  "@",
                                                  "#",
                                                  "%",
                                                  "^",
                                                  "&",
                                                  "|",
                                                  "~",
                                                  "`",
                                                  "?",
                                                  "{",
                                                  "}",
                                                  "!",
                                                  "<",
                                                  ">",
                                                  "+",
                                                  "*",
                                                  "=",
                                                  ",",
                                                  "."};
  static const std::vector<std::string> heads = {"INSERT INTO public.t (id, a, b) VALUES (",
                                                 "UPDATE ONLY public.t SET a = ",
                                                 "DELETE FROM ONLY public.t WHERE id = ",
                                                 "INSERT INTO \"s\".\"t\" VALUES (",
                                                 "UPDATE t SET ",
                                                 "CREATE FUNCTION f() RETURNS int BEGIN ATOMIC SELECT ",
                                                 "CREATE OR REPLACE PROCEDURE p() BEGIN ATOMIC ",
                                                 "SELECT a, b, c, d FROM t WHERE ",
                                                 "COMMIT ",
                                                 "BEGIN WORK "};
  const auto pick = [&](const std::vector<std::string>& from) -> const std::string& {
    return from[rng() % from.size()];
  };
  std::string text;
  const std::size_t transactions = 1 + rng() % 4;
  for (std::size_t t = 0; t < transactions; ++t) {
    text += "-- scribe xid=" + std::to_string(t + 1) + " lsn=0/" + std::to_string(t + 1) + " commit=t\nBEGIN;\n";
    const std::size_t statements = 1 + rng() % 5;
    for (std::size_t n = 0; n < statements; ++n) {
      text += pick(heads);
      const std::size_t parts = rng() % 12;
      for (std::size_t k = 0; k < parts; ++k) {
        text += pick(values);
        text += rng() % 3 == 0 ? ", " : (rng() % 2 == 0 ? " " : "");
      }
      text += rng() % 4 == 0 ? ");\n" : ";\n";
    }
    text += "COMMIT;\n";
  }
  return text;
}

TEST(DiffScan, RowChangesScanTheSameWholeAndByteByByte) {
  std::mt19937 rng(20261207);
  for (int round = 0; round < 4000; ++round) {
    const std::string text = random_row_changes(rng);
    const Scan whole = scan(text);
    ASSERT_TRUE(scan_chunked(text, [] { return std::size_t{1}; }) == whole) << "round " << round << "\n" << text;
    const std::size_t max_chunk = 2 + rng() % 40;
    ASSERT_TRUE(scan_chunked(text, [&] { return static_cast<std::size_t>(rng() % max_chunk); }) == whole)
        << "round " << round << "\n"
        << text;
  }
}

// ---- Statements ----

// The [start, end) ranges of `pieces`, found one after the other in `text`.
std::vector<std::pair<std::uint64_t, std::uint64_t>> ranges_of(const std::string& text,
                                                               const std::vector<std::string>& pieces) {
  std::vector<std::pair<std::uint64_t, std::uint64_t>> out;
  std::size_t from = 0;
  for (const std::string& piece : pieces) {
    const std::size_t at = text.find(piece, from);
    EXPECT_NE(at, std::string::npos) << piece;
    out.emplace_back(at, at + piece.size());
    from = at + piece.size();
  }
  return out;
}

TEST(DiffScanStatements, ExampleFile) {
  struct Expected {
    std::string text;
    bool in_transaction;
    std::uint32_t xid;  // of open_transaction() in the callback (0: none)
  };
  const std::vector<Expected> expected = {
      {"SET client_encoding = 'UTF8';", false, 0},
      {"SET standard_conforming_strings = on;", false, 0},
      {"SET search_path = pg_catalog, pg_temp;", false, 0},
      {"BEGIN;", true, 7421},
      {"INSERT INTO public.users (id, name) VALUES (1, 'Alice\nwith a newline; and -- not a comment, COMMIT; not a "
       "statement');",
       true, 7421},
      {"UPDATE ONLY public.users SET name = E'O\\'Brien \\\\ $$' WHERE id = 1;", true, 7421},
      {"COMMIT;", true, 0},
      {"BEGIN;", true, 7422},
      {"SELECT pg_catalog.set_config('search_path', 'public', false);", true, 7422},
      {"SET ROLE \"alice\";", true, 7422},
      {"CREATE FUNCTION f() RETURNS text LANGUAGE plpgsql AS $fn$ BEGIN RETURN 'x;'; END $fn$\n;", true, 7422},
      {"RESET ROLE;", true, 7422},
      {"END;", true, 7422},
      {"CREATE INDEX CONCURRENTLY i ON t (a)\n;", true, 7422},
      {"START TRANSACTION;", true, 7422},
      {"COMMIT;", true, 0},
      {"SELECT pg_catalog.setval(...);", false, 0},
  };
  std::vector<std::string> pieces;
  for (const Expected& e : expected) pieces.push_back(e.text);
  const auto ranges = ranges_of(kExample, pieces);

  const Scan s = scan(kExample);
  const std::vector<Event> statements = s.of_kind(Event::kStatement);
  ASSERT_EQ(statements.size(), expected.size()) << describe(s.events);
  for (std::size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(statements[i].a, ranges[i].first) << expected[i].text;
    EXPECT_EQ(statements[i].b, ranges[i].second) << expected[i].text;
    EXPECT_EQ(statements[i].in_transaction, expected[i].in_transaction) << expected[i].text;
    EXPECT_EQ(statements[i].c, expected[i].xid == 0 ? 0 : expected[i].xid + std::uint64_t{1}) << expected[i].text;
  }

  // In file order: each transaction right after its COMMIT;, before the
  // next statement.
  std::vector<char> kinds;
  for (const Event& e : s.events) kinds.push_back(e.kind);
  std::vector<char> expected_kinds(17, 'S');
  expected_kinds.insert(expected_kinds.begin() + 16, 'T');
  expected_kinds.insert(expected_kinds.begin() + 7, 'T');
  EXPECT_EQ(kinds, expected_kinds) << describe(s.events);
  EXPECT_TRUE(s.of_kind(Event::kMeta).empty());
  EXPECT_TRUE(s.of_kind(Event::kCopy).empty());

  expect_any_chunking_gives(kExample, s);
}

TEST(DiffScanStatements, OpenTransactionAtBegin) {
  std::vector<DiffTransaction> at_begin;
  int statements = 0;
  DiffScanner scanner;
  scanner.set_statement_callback([&](const DiffStatement& st) {
    ++statements;
    const DiffTransaction* open = scanner.open_transaction();
    EXPECT_EQ(open != nullptr, scanner.in_transaction());
    if (kExample.compare(st.start, 6, "BEGIN;") == 0) {
      ASSERT_NE(open, nullptr);
      at_begin.push_back(*open);
    }
  });
  EXPECT_EQ(scanner.open_transaction(), nullptr);
  scanner.feed(kExample.data(), kExample.size());
  scanner.finish();
  EXPECT_EQ(statements, 17);
  EXPECT_EQ(scanner.open_transaction(), nullptr);
  ASSERT_EQ(at_begin.size(), 2u);
  EXPECT_EQ(at_begin[0].xid, 7421u);
  EXPECT_EQ(at_begin[0].commit_lsn, 0x3A1F2B8u);
  EXPECT_EQ(at_begin[0].commit_time, "2026-11-21T12:00:01.123456Z");
  EXPECT_EQ(at_begin[0].begin_offset, kExample.find("-- scribe xid=7421"));
  EXPECT_EQ(at_begin[0].end_offset, 0u);
  EXPECT_EQ(at_begin[1].xid, 7422u);
  EXPECT_EQ(at_begin[1].commit_lsn, 0x3A1F400u);
  EXPECT_EQ(at_begin[1].commit_time, "2026-11-21T12:00:02.000001Z");
  EXPECT_EQ(at_begin[1].begin_offset, kExample.find("-- scribe xid=7422"));

  // Without a header: the transaction starts at BEGIN.
  DiffScanner bare;
  bool seen = false;
  bare.set_statement_callback([&](const DiffStatement& st) {
    if (st.start != 3) return;
    seen = true;
    ASSERT_NE(bare.open_transaction(), nullptr);
    EXPECT_EQ(bare.open_transaction()->xid, 0u);
    EXPECT_EQ(bare.open_transaction()->begin_offset, 3u);
  });
  bare.feed("\n  begin work;\nCOMMIT;\n", 23);
  EXPECT_TRUE(seen);
}

TEST(DiffScanStatements, SemicolonsInsideQuotesCommentsParensAndBodies) {
  // Each kHostile text is one statement, starting at its first token.
  for (const std::string& stmt : kHostile) {
    const std::string prefix = "  -- c;\n/* ; */\n";
    const std::string text = prefix + stmt + "\n;\n";
    const Scan s = scan(text);
    ASSERT_EQ(s.events.size(), 1u) << stmt << ": " << describe(s.events);
    EXPECT_EQ(s.events[0].kind, Event::kStatement);
    EXPECT_EQ(s.events[0].a, prefix.size()) << stmt;
    EXPECT_EQ(s.events[0].b, text.size() - 1) << stmt;
    EXPECT_FALSE(s.events[0].in_transaction);
  }
  // The cases of DiffScan.BeginAtomicBodiesAndRuleActions, by callback.
  const std::vector<std::pair<std::string, std::vector<std::string>>> cases = {
      {"CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT 2; END; SELECT 3;",
       {"CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT 2; END;", "SELECT 3;"}},
      {"create procedure p() begin atomic select case when true then 1 end; select 2; end;",
       {"create procedure p() begin atomic select case when true then 1 end; select 2; end;"}},
      {"CREATE RULE r AS ON INSERT TO t DO ALSO (INSERT INTO a VALUES (1); INSERT INTO b VALUES (2)); SELECT 2;",
       {"CREATE RULE r AS ON INSERT TO t DO ALSO (INSERT INTO a VALUES (1); INSERT INTO b VALUES (2));", "SELECT 2;"}},
      {"SELECT 'a;b', $$;$$, $q$;$q$, \"c;d\", E'\\';' /* ; */ -- ;\n; ;SELECT 3;",
       {"SELECT 'a;b', $$;$$, $q$;$q$, \"c;d\", E'\\';' /* ; */ -- ;\n;", ";", "SELECT 3;"}},
      {"DO $$BEGIN PERFORM 1; END$$;SELECT 2;", {"DO $$BEGIN PERFORM 1; END$$;", "SELECT 2;"}},
  };
  for (const auto& [text, pieces] : cases) {
    const Scan s = scan(text);
    const auto ranges = ranges_of(text, pieces);
    ASSERT_EQ(s.events.size(), ranges.size()) << text << ": " << describe(s.events);
    for (std::size_t i = 0; i < ranges.size(); ++i) {
      EXPECT_EQ(s.events[i].a, ranges[i].first) << text;
      EXPECT_EQ(s.events[i].b, ranges[i].second) << text;
    }
    expect_any_chunking_gives(text, s);
  }
}

TEST(DiffScanStatements, UnterminatedStatementIsNotReported) {
  for (const char* text : {"SELECT 1; SELECT 2", "SELECT 1; SELECT 'x;", "SELECT 1; SELECT (1;", "SELECT 1;\n-- x;"}) {
    const Scan s = scan(text);
    ASSERT_EQ(s.events.size(), 1u) << text;
    EXPECT_EQ(s.events[0].b, 9u) << text;
  }
  EXPECT_TRUE(scan("SELECT 1").events.empty());
}

TEST(DiffScanStatements, ExceptionFromCallbackLeavesScanResumable) {
  const Scan whole = scan(kExample);
  std::vector<Event> got;
  std::size_t throws = 0;
  DiffScanner scanner([&](const DiffTransaction& tx) {
    got.push_back({Event::kTransaction, tx.begin_offset, tx.end_offset, 0, false, {}});
    if (throws++ % 2 == 0) throw std::runtime_error("transaction");
  });
  scanner.set_statement_callback([&](const DiffStatement& st) {
    const DiffTransaction* open = scanner.open_transaction();
    got.push_back(
        {Event::kStatement, st.start, st.end, open ? open->xid + std::uint64_t{1} : 0, st.in_transaction, {}});
    if (throws++ % 2 == 0) throw std::runtime_error("statement");
  });
  std::size_t caught = 0;
  while (scanner.bytes_fed() < kExample.size()) {
    try {
      scanner.feed(kExample.data() + scanner.bytes_fed(), kExample.size() - scanner.bytes_fed());
    } catch (const std::runtime_error&) {
      ++caught;
    }
  }
  scanner.finish();
  EXPECT_EQ(caught, (whole.events.size() + 1) / 2);
  EXPECT_TRUE(got == whole.events) << describe(got);
  EXPECT_TRUE(scanner.at_clean_end());
}

// ---- COPY data ----

const std::string kDump =
    "--\n"
    "-- PostgreSQL database dump\n"
    "--\n"
    "\n"
    "\\restrict abc\n"
    "\n"
    "SET statement_timeout = 0;\n"
    "SET client_encoding = 'UTF8';\n"
    "SELECT pg_catalog.set_config('search_path', '', false);\n"
    "\n"
    "CREATE TABLE public.t (\n"
    "    a integer,\n"
    "    b text\n"
    ");\n"
    "\n"
    "COPY public.t (a, b) FROM stdin;\n"
    "1\tsemi; colon;\n"
    "2\tit's 'open\n"
    "3\t$$dollar $q$\n"
    "4\t-- not a comment /* nor this\n"
    "5\t\\N\n"
    "\n"
    "\\.x\n"
    " \\.\n"
    "\\.\\.\n"
    "\\\n"
    "6\tE'\\\\'\r\n"
    "\\.\n"
    "\n"
    "ALTER TABLE ONLY public.t\n"
    "    ADD CONSTRAINT t_pkey PRIMARY KEY (a);\n"
    "\n"
    "\\unrestrict abc\n";

TEST(DiffScanCopy, PgDumpScript) {
  const Scan s = scan(kDump);
  const auto at = [&](const std::string& what) { return static_cast<std::uint64_t>(kDump.find(what)); };
  const std::uint64_t data_start = end_of(kDump, "FROM stdin;\n");
  const std::uint64_t data_end = at("\\.\n\nALTER");
  const std::vector<Event> expected = {
      {Event::kMeta, at("\\restrict"), end_of(kDump, "\\restrict abc\n"), 0, false, {}},
      {Event::kStatement, at("SET statement_timeout"), end_of(kDump, "= 0;"), 0, false, {}},
      {Event::kStatement, at("SET client_encoding"), end_of(kDump, "'UTF8';"), 0, false, {}},
      {Event::kStatement, at("SELECT pg_catalog"), end_of(kDump, "false);"), 0, false, {}},
      {Event::kStatement, at("CREATE TABLE"), end_of(kDump, "b text\n);"), 0, false, {}},
      {Event::kStatement, at("COPY public.t"), end_of(kDump, "FROM stdin;"), 0, false, {}},
      {Event::kCopy, data_start, data_end, data_end + 3, false, kDump.substr(data_start, data_end - data_start)},
      {Event::kStatement, at("ALTER TABLE"), end_of(kDump, "KEY (a);"), 0, false, {}},
      {Event::kMeta, at("\\unrestrict"), kDump.size(), 0, false, {}},
  };
  EXPECT_TRUE(s.events == expected) << describe(s.events);
  EXPECT_TRUE(s.at_clean_end);
  EXPECT_EQ(s.transactions, 0u);
  expect_any_chunking_gives(kDump, s);

  // A second COPY whose data the end of input ends, without "\.": its data
  // is reported, but the file is not clean (pg_dump always writes "\.").
  for (const std::string& data : {std::string("x\t'y\n$$z;\n"), std::string("x\n\\.y"), std::string("x\nno newline"),
                                  std::string(""), std::string("\n")}) {
    const std::string text = kDump + "COPY public.u (c) FROM stdin; -- ignored ';\n" + data;
    const Scan torn = scan(text);
    ASSERT_EQ(torn.events.size(), expected.size() + 2) << data;
    EXPECT_EQ(torn.events[expected.size()].a, kDump.size()) << data;
    const Event& copy = torn.events.back();
    EXPECT_EQ(copy.kind, Event::kCopy) << data;
    EXPECT_EQ(copy.a, text.size() - data.size()) << data;
    EXPECT_EQ(copy.b, text.size()) << data;
    EXPECT_EQ(copy.c, text.size()) << data;
    EXPECT_EQ(torn.clean_end, kDump.size()) << data;
    EXPECT_FALSE(torn.at_clean_end) << data;
    expect_any_chunking_gives(text, torn);
  }
}

TEST(DiffScanCopy, TerminatorLine) {
  const std::string copy = "COPY t FROM stdin;\n";
  struct Case {
    std::string data;      // after the COPY line
    std::uint64_t end;     // data_end, relative to the data
    std::uint64_t resume;  // relative to the data
  };
  const std::vector<Case> cases = {
      {"a\n\\.\n", 2, 5},
      {"a\n\\.\r\n", 2, 6},      // CRLF
      {"\\.\nSELECT 1;", 0, 3},  // no data
      {"a\n\\.", 2, 4},          // at the end of input without its newline
      {"a\n\\.\r", 2, 5},
      {"a\n\\. \n\\.\n", 6, 9},  // "\. " is data
      {"a\n\\.\r\r\n\\.\n", 7, 10},
      {"a\n.\\.\n\\.\n", 6, 9},
      {"a\\.\n\\.\n", 4, 7},
      {"\r\n\\.\n", 2, 5},
  };
  for (const Case& c : cases) {
    const std::string text = copy + c.data;
    const Scan s = scan(text);
    const std::vector<Event> copies = s.of_kind(Event::kCopy);
    ASSERT_EQ(copies.size(), 1u) << c.data;
    EXPECT_EQ(copies[0].a, copy.size()) << c.data;
    EXPECT_EQ(copies[0].b, copy.size() + c.end) << c.data;
    EXPECT_EQ(copies[0].c, copy.size() + c.resume) << c.data;
    expect_any_chunking_gives(text, s);
  }
  // SQL goes on after the data.
  const Scan s = scan(copy + "\\.\nSELECT 1;");
  ASSERT_EQ(s.events.size(), 3u);
  EXPECT_EQ(s.events[2].a, copy.size() + 3);
  EXPECT_TRUE(s.at_clean_end);
}

TEST(DiffScanCopy, RestOfTheCopyLineIsSkipped) {
  const std::string text = "COPY t FROM stdin; SELECT 'x; -- /* $$\n1\n\\.\nSELECT 2;\n";
  const Scan s = scan(text);
  ASSERT_EQ(s.events.size(), 3u) << describe(s.events);
  EXPECT_EQ(s.events[0].b, end_of(text, "stdin;"));
  EXPECT_EQ(s.events[1].kind, Event::kCopy);
  EXPECT_EQ(s.events[1].a, end_of(text, "$$\n"));
  EXPECT_EQ(s.events[1].b, end_of(text, "$$\n1\n"));
  EXPECT_EQ(s.events[2].a, text.find("SELECT 2"));
  EXPECT_TRUE(s.at_clean_end);
  expect_any_chunking_gives(text, s);

  // The COPY line cut short: no data at all.
  const Scan cut = scan("COPY t FROM stdin; x");
  ASSERT_EQ(cut.events.size(), 2u);
  EXPECT_EQ(cut.events[1].kind, Event::kCopy);
  EXPECT_EQ(cut.events[1].a, 20u);
  EXPECT_EQ(cut.events[1].b, 20u);
  EXPECT_EQ(cut.events[1].c, 20u);
  EXPECT_EQ(cut.clean_end, 0u);
}

TEST(DiffScanCopy, CleanEndTakesTheCopyAsOneUnit) {
  const std::string text = "SELECT 1;\nCOPY t FROM stdin;\n1\n2\n\\.\n";
  DiffScanner scanner;
  scanner.set_statement_callback([&](const DiffStatement& st) {
    if (text.compare(st.start, 4, "COPY") == 0) scanner.begin_copy_data();
  });
  std::uint64_t previous = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    scanner.feed(&text[i], 1);
    const std::uint64_t expected = i + 1 == text.size() ? text.size() : i < 8 ? 0 : i == 8 ? 9 : 10;
    EXPECT_EQ(scanner.clean_end(), expected) << "offset " << i;
    if (scanner.in_copy_data()) {
      EXPECT_LE(previous, scanner.copy_data_flushable_end());
      previous = scanner.copy_data_flushable_end();
    }
  }
  EXPECT_EQ(previous, text.find("\\."));
  EXPECT_TRUE(scanner.at_clean_end());
  EXPECT_FALSE(scanner.in_copy_data());
  EXPECT_EQ(scanner.copy_data_start(), 0u);
}

TEST(DiffScanCopy, FlushableEndMovesLineByLine) {
  const std::string text = "COPY t FROM stdin;\nline one\nline two\n\\.\n";
  DiffScanner scanner;
  scanner.set_statement_callback([&](const DiffStatement&) { scanner.begin_copy_data(); });
  const auto upto = [&](std::uint64_t end) {
    scanner.feed(text.data() + scanner.bytes_fed(), end - scanner.bytes_fed());
  };
  upto(18);  // just past ';'
  EXPECT_TRUE(scanner.in_copy_data());
  EXPECT_EQ(scanner.copy_data_start(), 18u);
  EXPECT_EQ(scanner.copy_data_flushable_end(), 18u);
  upto(19);
  EXPECT_EQ(scanner.copy_data_start(), 19u);
  EXPECT_EQ(scanner.copy_data_flushable_end(), 19u);
  upto(27);  // "line one" without its newline
  EXPECT_EQ(scanner.copy_data_flushable_end(), 19u);
  upto(28);
  EXPECT_EQ(scanner.copy_data_flushable_end(), 28u);
  upto(text.size() - 1);  // "\." without its newline: maybe data
  EXPECT_TRUE(scanner.in_copy_data());
  EXPECT_EQ(scanner.copy_data_flushable_end(), 37u);
  upto(text.size());
  EXPECT_FALSE(scanner.in_copy_data());
}

TEST(DiffScanCopy, CopyInsideATransaction) {
  const std::string text =
      "-- scribe xid=5 lsn=0/5 commit=t\nBEGIN;\nCOPY t FROM stdin;\nCOMMIT;\n\\.\nCOMMIT;\nSELECT 1;\n";
  const Scan s = scan(text);
  const std::vector<char> kinds = [&] {
    std::vector<char> k;
    for (const Event& e : s.events) k.push_back(e.kind);
    return k;
  }();
  EXPECT_EQ(kinds, (std::vector<char>{'S', 'S', 'C', 'S', 'T', 'S'})) << describe(s.events);
  ASSERT_EQ(s.delivered.size(), 1u);
  EXPECT_EQ(s.delivered[0].xid, 5u);
  EXPECT_EQ(s.delivered[0].end_offset, end_of(text, "\\.\nCOMMIT;\n"));
  EXPECT_TRUE(s.events[1].in_transaction);
  EXPECT_EQ(s.events[2].a, end_of(text, "stdin;\n"));
  EXPECT_TRUE(s.at_clean_end);
  expect_any_chunking_gives(text, s);

  // Cut inside the data: the transaction is torn.
  const std::string torn = text.substr(0, text.find("\\."));
  EXPECT_EQ(scan(torn).clean_end, 0u);
  EXPECT_TRUE(scan(torn).in_transaction);
}

TEST(DiffScanCopy, BeginCopyDataOnlyInTheStatementCallback) {
  DiffScanner scanner;
  try {
    scanner.begin_copy_data();
    ADD_FAILURE() << "no exception";
  } catch (const scribe::Error& e) {
    EXPECT_STREQ(e.sqlstate(), "XX000");
  }
  int thrown = 0;
  DiffScanner other([&](const DiffTransaction&) {
    EXPECT_THROW(other.begin_copy_data(), scribe::Error);
    ++thrown;
  });
  other.set_meta_command_callback([&](std::uint64_t, std::uint64_t) {
    EXPECT_THROW(other.begin_copy_data(), scribe::Error);
    ++thrown;
  });
  other.set_statement_callback([&](const DiffStatement&) {});
  const std::string text = "\\x\nBEGIN;\nCOMMIT;\n";
  other.feed(text.data(), text.size());
  EXPECT_EQ(thrown, 2);
  EXPECT_FALSE(other.in_copy_data());
  EXPECT_THROW(other.begin_copy_data(), scribe::Error);
  // Also after a statement callback that threw.
  DiffScanner third;
  third.set_statement_callback([](const DiffStatement&) { throw std::runtime_error("x"); });
  EXPECT_THROW(third.feed(";", 1), std::runtime_error);
  EXPECT_THROW(third.begin_copy_data(), scribe::Error);
}

// ---- Meta-command lines ----

TEST(DiffScanMeta, LinesBetweenStatements) {
  const std::string text =
      "\\connect db\nSELECT 1; \\set x 'y;\n/* c */\\echo $$ -- \"\n  \\restrict k\r\nSELECT '\\x', 2 \\g\n;\n\\q";
  const Scan s = scan(text);
  const auto at = [&](const std::string& what) { return static_cast<std::uint64_t>(text.find(what)); };
  const std::vector<Event> expected = {
      {Event::kMeta, 0, at("SELECT 1"), 0, false, {}},
      {Event::kStatement, at("SELECT 1"), end_of(text, "SELECT 1;"), 0, false, {}},
      {Event::kMeta, at("\\set"), end_of(text, "'y;\n"), 0, false, {}},
      {Event::kMeta, at("\\echo"), end_of(text, "-- \"\n"), 0, false, {}},
      {Event::kMeta, at("\\restrict"), end_of(text, "k\r\n"), 0, false, {}},
      // A backslash inside a statement stays in it.
      {Event::kStatement, at("SELECT '"), end_of(text, "\\g\n;"), 0, false, {}},
      {Event::kMeta, at("\\q"), text.size(), 0, false, {}},  // ended by finish()
  };
  EXPECT_TRUE(s.events == expected) << describe(s.events);
  // The last line lacks its newline: not clean, like a comment.
  EXPECT_EQ(s.clean_end, at("\\q"));
  EXPECT_TRUE(scan(text + "\n").at_clean_end);
  expect_any_chunking_gives(text, s);
}

TEST(DiffScanMeta, InsideATransactionAndAfterAHeader) {
  const std::string text = "-- scribe xid=7 lsn=0/7 commit=t\n\\c other\nBEGIN;\n\\connect x\nSELECT 1;\nCOMMIT;\n";
  const Scan s = scan(text);
  ASSERT_EQ(s.delivered.size(), 1u);
  EXPECT_EQ(s.delivered[0].xid, 0u);  // a meta-command line orphans the header
  EXPECT_EQ(s.delivered[0].begin_offset, text.find("BEGIN"));
  EXPECT_EQ(s.delivered[0].end_offset, text.size());
  const std::vector<Event> metas = s.of_kind(Event::kMeta);
  ASSERT_EQ(metas.size(), 2u);
  EXPECT_EQ(metas[1].a, text.find("\\connect"));
  EXPECT_EQ(metas[1].b, text.find("SELECT"));
  EXPECT_TRUE(s.at_clean_end);
  expect_any_chunking_gives(text, s);
  // Inside a transaction a meta-command line does not move clean_end().
  EXPECT_EQ(scan(text.substr(0, text.find("SELECT"))).clean_end, text.find("BEGIN"));
}

TEST(DiffScanMeta, NotInsideQuotesOrComments) {
  for (const char* text : {"SELECT '\n\\x\n';", "SELECT $$\n\\x\n$$;", "/*\n\\x\n*/", "-- \\x\n", "SELECT \"\n\\x\n\";",
                           "SELECT 1\n\\x\n;", "SELECT E'\\\n\\x\n';"}) {
    const Scan s = scan(text);
    EXPECT_TRUE(s.of_kind(Event::kMeta).empty()) << text << ": " << describe(s.events);
    EXPECT_TRUE(s.at_clean_end) << text;
  }
}

// Random pg_dump-like text.
std::string random_script(std::mt19937& rng) {
  static const std::vector<std::string> pieces = {
      "COPY t FROM stdin;",
      "COPY t FROM stdin;\n",
      "copy t (a) from stdin;",
      "\\.",
      "\\.\n",
      "\n\\.\n",
      "\\.\r\n",
      "\\",
      "\\restrict k",
      "\\connect x\n",
      ";",
      ";",
      "SELECT 1",
      "'",
      "$$",
      "--",
      "/*",
      "*/",
      "(",
      ")",
      "\n",
      "\n",
      "\n",
      "\r",
      " ",
      "\t",
      ".",
      "x",
      "BEGIN;\n",
      "COMMIT;\n",
      "\n-- scribe xid=1 lsn=0/1 commit=t\n",
  };
  std::string text;
  const std::size_t n = rng() % 120;
  for (std::size_t i = 0; i < n; ++i) text += pieces[rng() % pieces.size()];
  return text;
}

TEST(DiffScanCopy, FuzzEventsIgnoreChunking) {
  std::mt19937 rng(4242);
  for (int round = 0; round < 3000; ++round) {
    const std::string text = random_script(rng);
    const Scan whole = scan(text);
    const Scan chunked = scan_chunked(text, [&] { return static_cast<std::size_t>(rng() % 9); });
    ASSERT_TRUE(chunked == whole) << "round " << round << "\n"
                                  << describe(whole.events) << "\n"
                                  << describe(chunked.events);
    // Events in file order, each where it should be.
    std::uint64_t previous_end = 0;
    for (const Event& e : whole.events) {
      switch (e.kind) {
        case Event::kStatement:
          ASSERT_LE(previous_end, e.a) << "round " << round;
          ASSERT_EQ(text[e.b - 1], ';') << "round " << round;
          previous_end = e.b;
          break;
        case Event::kMeta:
          ASSERT_LE(previous_end, e.a) << "round " << round;
          ASSERT_EQ(text[e.a], '\\') << "round " << round;
          ASSERT_TRUE(e.b == text.size() || text[e.b - 1] == '\n') << "round " << round;
          ASSERT_EQ(text.find('\n', e.a), e.b == text.size() && text.back() != '\n' ? std::string::npos : e.b - 1);
          previous_end = e.b;
          break;
        case Event::kCopy:
          ASSERT_LE(previous_end, e.a) << "round " << round;
          ASSERT_LE(e.a, e.b);
          ASSERT_LE(e.b, e.c);
          previous_end = e.c;
          break;
        default:
          break;
      }
    }
    const Scan cut = scan(text.substr(0, whole.clean_end));
    ASSERT_TRUE(cut.at_clean_end) << "round " << round;
    ASSERT_EQ(cut.transactions, whole.transactions) << "round " << round;
  }
}

TEST(DiffScan, CountsPsqlVariableReferencesOutsideQuotes) {
  auto count = [](const std::string& text) {
    DiffScanner scanner;
    scanner.feed(text.data(), text.size());
    scanner.finish();
    return scanner.variable_references();
  };
  EXPECT_EQ(count("SELECT a[1:PORT], :'DBNAME', :\"USER\", :{?HOST} FROM t;"), 4u);
  EXPECT_EQ(count("SELECT 1::int, x := 1, ':PORT', \":PORT\", $$:PORT$$, E':x' -- :PORT\n/* :PORT */;"), 0u);
}

}  // namespace

namespace {

struct CommentLine {
  std::uint64_t start, end;
  std::string line;
  bool complete;
  bool operator==(const CommentLine& o) const {
    return start == o.start && end == o.end && line == o.line && complete == o.complete;
  }
};

std::vector<CommentLine> comment_lines(const std::string& text, std::size_t chunk, std::size_t limit = 1024) {
  std::vector<CommentLine> lines;
  DiffScanner scanner;
  scanner.set_comment_line_limit(limit);
  scanner.set_comment_line_callback([&](std::uint64_t s, std::uint64_t e, std::string_view l, bool c) {
    lines.push_back({s, e, std::string(l), c});
  });
  for (std::size_t i = 0; i < text.size(); i += chunk) scanner.feed(text.data() + i, std::min(chunk, text.size() - i));
  scanner.finish();
  return lines;
}

// pg_dump's entry headers are top-level comment lines in column 0; the
// same text in a string, a body, a statement or an indented comment is not.
TEST(DiffScanCommentLines, OnlyTopLevelColumnZero) {
  const std::string text =
      "--\n-- Name: t; Type: TABLE\n--\n\nCREATE TABLE t (a int -- inside\n);\n  -- indented\n"
      "SELECT '\n-- in a string\n', $$\n-- in a body\n$$;\n/* block */ -- after a block\n-- last";
  const std::vector<CommentLine> expected = {
      {0, 3, "--", true}, {3, 27, "-- Name: t; Type: TABLE", true}, {27, 30, "--", true}};
  for (std::size_t chunk : {1, 3, 1000}) EXPECT_EQ(comment_lines(text, chunk), expected) << chunk;
}

TEST(DiffScanCommentLines, LongLinesAreCut) {
  const std::string text = "-- " + std::string(50, 'x') + "\nSELECT 1;\n";
  for (std::size_t chunk : {1, 1000}) {
    const auto lines = comment_lines(text, chunk, 10);
    ASSERT_EQ(lines.size(), 1u);
    EXPECT_EQ(lines[0].line, "-- xxxxxxx");
    EXPECT_FALSE(lines[0].complete);
    EXPECT_EQ(lines[0].end, 54u);
  }
}

TEST(DiffScanCommentLines, UndecidedStarts) {
  DiffScanner scanner;
  scanner.feed("SELECT 1;\n-", 11);
  EXPECT_EQ(scanner.comment_line_start(), std::optional<std::uint64_t>(10));
  EXPECT_FALSE(scanner.statement_start());
  scanner.feed("- x", 3);
  EXPECT_EQ(scanner.comment_line_start(), std::optional<std::uint64_t>(10));
  scanner.feed("\nSELECT", 7);
  EXPECT_FALSE(scanner.comment_line_start());
  EXPECT_EQ(scanner.statement_start(), std::optional<std::uint64_t>(15));
}

}  // namespace
