// libFuzzer target: the merging of single-row INSERTs, DELETEs and UPDATEs
// that --restore applies (include/scribe/core/insert_batch.hpp), on
// statements of wal2sql's shapes built from fuzzed names and values (rendered
// with quote.hpp / literal.hpp, as wal2sql does) mixed with statements split
// out of raw fuzzed text by the DiffScanner (as the restore client gets
// them).
// Properties:
//  - single_row_insert_head() and parse_keyed_dml() either decline a
//    statement or recover exactly the parts it was built from (table,
//    columns, values as written);
//  - with merging off, the batcher passes every statement through unchanged;
//  - whatever it merges, psql reads the output (as the DiffScanner does) as
//    whole statements, each followed by a newline, nothing else (no
//    meta-command, no open quote or comment), exactly (statements in) -
//    rows_merged() of them, and it carries the
//    same string literals and dollar-quoted bodies as the input (as a
//    multiset, read by the independent lexer of pg_lexer.hpp): merging never
//    cuts, joins or invents a value.
#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "pg_lexer.hpp"
#include "scribe/core/diff_scan.hpp"
#include "scribe/core/insert_batch.hpp"
#include "scribe/core/literal.hpp"
#include "scribe/core/quote.hpp"

namespace {

[[noreturn]] void failure(const char* what, std::string_view a, std::string_view b = {}) {
  std::fprintf(stderr, "PROPERTY VIOLATED: %s\n  statement/input (%zu bytes): ", what, a.size());
  for (unsigned char c : a.substr(0, 4000))
    std::fprintf(stderr, c >= 0x20 && c < 0x7f && c != '\\' ? "%c" : "\\x%02x", c);
  std::fprintf(stderr, "\n  output (%zu bytes): ", b.size());
  for (unsigned char c : b.substr(0, 4000))
    std::fprintf(stderr, c >= 0x20 && c < 0x7f && c != '\\' ? "%c" : "\\x%02x", c);
  std::fprintf(stderr, "\n");
  std::abort();
}

// Names and values drawn from a small alphabet rich in SQL's special
// characters, or from raw bytes (no NUL: names and text never hold one).
std::string fuzz_text(FuzzedDataProvider& in, std::size_t max_len) {
  static const char kAlphabet[] = "aZ_0'\"\\$;-/*() ,=.:\n\tE\xc3\xa9wal2sql";
  std::string s;
  const std::size_t len = in.ConsumeIntegralInRange<std::size_t>(0, max_len);
  const bool raw = in.ConsumeBool();
  for (std::size_t i = 0; i < len && in.remaining_bytes() > 0; ++i) {
    char c = raw ? static_cast<char>(in.ConsumeIntegral<std::uint8_t>())
                 : kAlphabet[in.ConsumeIntegralInRange<std::size_t>(0, sizeof kAlphabet - 2)];
    if (c == '\0') c = '\x01';
    s.push_back(c);
  }
  return s;
}

std::string name(FuzzedDataProvider& in) {
  std::string n = fuzz_text(in, 6);
  if (n.empty()) n = "c";
  return n;
}

std::string ident(std::string_view n) {
  std::string out;
  scribe::append_identifier(out, n);
  return out;
}

// A value as wal2sql writes one: a number, boolean or text in any style.
std::string value(FuzzedDataProvider& in, bool allow_null) {
  switch (in.ConsumeIntegralInRange<int>(0, allow_null ? 5 : 4)) {
    case 0: {
      std::string n = std::to_string(in.ConsumeIntegral<std::int32_t>());
      if (in.ConsumeBool()) n += "." + std::to_string(in.ConsumeIntegral<std::uint16_t>());
      std::string out;
      scribe::append_value(out, scribe::ValueStyle::kNumber, n, "");
      return out;
    }
    case 1: {
      std::string out;
      scribe::append_value(out, scribe::ValueStyle::kBoolean, in.ConsumeBool() ? "t" : "f", "");
      return out;
    }
    case 2: {
      std::string out, type;
      scribe::append_qualified_name(type, name(in), name(in));
      scribe::append_value(out, scribe::ValueStyle::kTypedText, fuzz_text(in, 12), type);
      return out;
    }
    case 5:
      return "NULL";
    default: {
      std::string out;
      scribe::append_value(out, scribe::ValueStyle::kText, fuzz_text(in, 12), "");
      return out;
    }
  }
}

struct Table {
  std::string qualified;
  std::vector<std::string> columns;  // rendered
};

struct Built {
  std::string text;
  enum Kind { kInsert, kKeyed, kRaw } kind = kRaw;
  std::size_t head = 0;  // kInsert: length of "INSERT INTO ... VALUES "
  scribe::KeyedDml keyed;
  std::vector<std::string> set_columns, set_values, key_columns, key_values, table;
};

Built build_insert(FuzzedDataProvider& in, const Table& t) {
  Built b;
  b.kind = Built::kInsert;
  b.text = "INSERT INTO " + t.qualified + " (";
  for (std::size_t i = 0; i < t.columns.size(); ++i) b.text += (i ? ", " : "") + t.columns[i];
  b.text += in.ConsumeBool() ? ") OVERRIDING SYSTEM VALUE VALUES " : ") VALUES ";
  b.head = b.text.size();
  b.text += "(";
  for (std::size_t i = 0; i < t.columns.size(); ++i) b.text += (i ? ", " : "") + value(in, true);
  b.text += ");";
  return b;
}

Built build_keyed(FuzzedDataProvider& in, const Table& t, bool update) {
  Built b;
  b.kind = Built::kKeyed;
  b.keyed.kind = update ? scribe::KeyedDml::Kind::kUpdate : scribe::KeyedDml::Kind::kDelete;
  b.text = (update ? "UPDATE ONLY " : "DELETE FROM ONLY ") + t.qualified;
  const std::size_t keys = 1 + (t.columns.size() > 1 && in.ConsumeBool() ? 1 : 0);
  if (update) {
    b.text += " SET ";
    for (std::size_t i = keys; i < t.columns.size() || i == keys; ++i) {
      const std::string& col = i < t.columns.size() ? t.columns[i] : t.columns.back();
      const std::string v = value(in, true);
      b.text += (i > keys ? ", " : "") + col + " = " + v;
      b.set_columns.push_back(col);
      b.set_values.push_back(v);
    }
  }
  b.text += " WHERE ";
  // wal2sql's form, or the bare "=" of older diffs.
  const char* eq = in.ConsumeBool() ? " OPERATOR(pg_catalog.=) " : " = ";
  for (std::size_t i = 0; i < keys; ++i) {
    const std::string v = value(in, false);
    b.text += (i ? " AND " : "") + t.columns[i] + eq + v;
    b.key_columns.push_back(t.columns[i]);
    b.key_values.push_back(v);
  }
  b.text += ";";
  return b;
}

template <class A, class B>
bool same(const A& a, const B& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::string_view(a[i]) != std::string_view(b[i])) return false;
  return true;
}

void check_parsers(const Built& b, const Table& t) {
  if (b.kind == Built::kInsert) {
    const std::size_t head = scribe::single_row_insert_head(b.text);
    if (head != 0 && head != b.head) failure("single_row_insert_head() cut the statement elsewhere", b.text);
  } else if (b.kind == Built::kKeyed) {
    scribe::KeyedDml k;
    if (scribe::parse_keyed_dml(b.text, k)) {
      if (k.kind != b.keyed.kind || k.table != t.qualified || !same(k.set_columns, b.set_columns) ||
          !same(k.set_values, b.set_values) || !same(k.key_columns, b.key_columns) || !same(k.key_values, b.key_values))
        failure("parse_keyed_dml() read other parts than the statement was built from", b.text);
    }
  }
}

std::vector<std::string> split_statements(std::string_view text, std::size_t* metas = nullptr, bool* clean = nullptr) {
  std::vector<std::string> out;
  scribe::DiffScanner scanner;
  scanner.set_statement_callback(
      [&](const scribe::DiffStatement& s) { out.emplace_back(text.substr(s.start, s.end - s.start)); });
  scanner.set_meta_command_callback([&](std::uint64_t, std::uint64_t) {
    if (metas != nullptr) ++*metas;
  });
  scanner.feed(text.data(), text.size());
  scanner.finish();
  if (clean != nullptr) *clean = scanner.at_clean_end();
  return out;
}

std::vector<pglex::Token> values_of(std::string_view text) {
  std::vector<pglex::Token> out;
  for (pglex::Token& t : pglex::tokenize(text))
    if (t.kind == pglex::Token::kString || t.kind == pglex::Token::kDollar || t.kind == pglex::Token::kBad)
      out.push_back(std::move(t));
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  const std::size_t max_rows = in.ConsumeIntegralInRange<std::size_t>(1, 300);
  const std::size_t max_bytes = in.ConsumeIntegralInRange<std::size_t>(1, 1 << 16);
  const unsigned merge = in.ConsumeIntegralInRange<unsigned>(0, scribe::DmlBatcher::kMergeAll);
  const bool filter = in.ConsumeBool();

  std::vector<Table> tables(1 + in.ConsumeIntegralInRange<std::size_t>(0, 2));
  for (Table& t : tables) {
    scribe::append_qualified_name(t.qualified, name(in), name(in));
    const std::size_t ncols = 1 + in.ConsumeIntegralInRange<std::size_t>(0, 3);
    for (std::size_t i = 0; i < ncols; ++i) t.columns.push_back(ident(name(in) + std::to_string(i)));
  }

  std::vector<std::string> statements;
  const std::size_t count = in.ConsumeIntegralInRange<std::size_t>(0, 64);
  for (std::size_t i = 0; i < count && in.remaining_bytes() > 0; ++i) {
    const int what = in.ConsumeIntegralInRange<int>(0, 9);
    if (what == 9) {  // raw text, split as the restore client does
      const std::string raw = in.ConsumeRandomLengthString(200);
      for (std::string& s : split_statements(raw)) statements.push_back(std::move(s));
      continue;
    }
    const Table& t = tables[in.ConsumeIntegralInRange<std::size_t>(0, tables.size() - 1)];
    const Built b = what < 4 ? build_insert(in, t) : build_keyed(in, t, what >= 6);
    check_parsers(b, t);
    statements.push_back(b.text);
  }
  // The rest of the input as one more statement source.
  for (std::string& s : split_statements(in.ConsumeRemainingBytesAsString())) statements.push_back(std::move(s));

  std::string input_text;
  for (const std::string& s : statements) input_text += s + "\n";

  {  // merging off: a pass-through
    scribe::DmlBatcher off(max_rows, max_bytes, 0);
    std::string out;
    for (const std::string& s : statements) off.add(s, out);
    off.flush(out);
    if (out != input_text) failure("with merging off the output is not the input", input_text, out);
  }

  scribe::DmlBatcher batcher(max_rows, max_bytes, merge);
  if (filter) batcher.set_update_filter([](std::string_view table) { return table.size() % 2 == 0; });
  std::string out;
  for (const std::string& s : statements) batcher.add(s, out);
  batcher.flush(out);

  std::size_t metas = 0;
  const std::vector<std::string> out_statements = split_statements(out, &metas);
  std::string rejoined;
  for (const std::string& s : out_statements) rejoined += s + "\n";
  if (rejoined != out || metas != 0)
    failure("psql does not read the merged output as whole statements, one per line", input_text, out);
  if (out_statements.size() + batcher.rows_merged() != statements.size())
    failure("statements out + rows merged != statements in", input_text, out);
  if (values_of(out) != values_of(input_text)) failure("merging changed the string literals", input_text, out);
  return 0;
}
