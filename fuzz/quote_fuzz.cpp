// libFuzzer target: the rendering core that wal2sql writes every name and
// value with (include/scribe/core/quote.hpp, literal.hpp, ddl_message.hpp,
// replay_settings.hpp, format.hpp). Properties, each checked against an
// independent reader of PostgreSQL's lexical rules (pg_lexer.hpp):
//  - a literal reads back as exactly the input bytes, under
//    standard_conforming_strings on and off, and consumes the whole
//    rendering; embedded in a statement, psql's splitter (DiffScanner)
//    ends the statement at its own ';' and nowhere else;
//  - a quoted or plain identifier, and schema.name, read back as the input;
//    a plain one is not a keyword that cannot be a name;
//  - a dollar-quoted body reads back whole, its tag chosen so that nothing
//    in the body ends it;
//  - column values (numbers bare, booleans, typed text) read back;
//  - a DDL message body round-trips, and its replay text carries the
//    search_path as a literal and the role as an identifier that read back;
//  - the replay prologue keeps the encoding name inside its literal;
//  - LSNs round-trip through their text form; timestamps are well formed;
//  - every rendering is deterministic.
// The input is split at NUL bytes into fields (PostgreSQL text and names
// hold no NUL); the first byte picks options.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "pg_lexer.hpp"
#include "scribe/core/ddl_message.hpp"
#include "scribe/core/diff_scan.hpp"
#include "scribe/core/format.hpp"
#include "scribe/core/literal.hpp"
#include "scribe/core/quote.hpp"
#include "scribe/core/replay_settings.hpp"

namespace {

// The server's keyword list (PostgreSQL's own data, looked up here without
// pg_scribe's code): names in every category but unreserved need quotes.
enum Category { UNRESERVED_KEYWORD, COL_NAME_KEYWORD, TYPE_FUNC_NAME_KEYWORD, RESERVED_KEYWORD };
struct Kw {
  const char* word;
  Category category;
};
#define PG_KEYWORD(kwname, value, category, collabel) {kwname, category},
const Kw kKeywords[] = {
#include "parser/kwlist.h"
};
#undef PG_KEYWORD

bool reserved_for_names(const std::string& word) {
  for (const Kw& kw : kKeywords)
    if (word == kw.word) return kw.category != UNRESERVED_KEYWORD;
  return false;
}

[[noreturn]] void failure(const char* what, std::string_view input, std::string_view rendered) {
  std::fprintf(stderr, "PROPERTY VIOLATED: %s\n  input (%zu bytes): ", what, input.size());
  for (unsigned char c : input) std::fprintf(stderr, c >= 0x20 && c < 0x7f && c != '\\' ? "%c" : "\\x%02x", c);
  std::fprintf(stderr, "\n  rendered (%zu bytes): ", rendered.size());
  for (unsigned char c : rendered) std::fprintf(stderr, c >= 0x20 && c < 0x7f && c != '\\' ? "%c" : "\\x%02x", c);
  std::fprintf(stderr, "\n");
  std::abort();
}

#define CHECK(cond, what, input, rendered)       \
  do {                                           \
    if (!(cond)) failure(what, input, rendered); \
  } while (0)

template <class Render>
std::string render(Render fn) {
  std::string a, b;
  fn(a);
  fn(b);
  if (a != b) failure("rendering is not deterministic", a, b);
  return a;
}

// psql's view (DiffScanner): `text` is exactly one statement, ending at its
// last byte (a ';').
void check_one_statement(std::string_view text, std::string_view input) {
  std::vector<scribe::DiffStatement> statements;
  std::size_t metas = 0;
  scribe::DiffScanner scanner;
  scanner.set_statement_callback([&](const scribe::DiffStatement& s) { statements.push_back(s); });
  scanner.set_meta_command_callback([&](std::uint64_t, std::uint64_t) { ++metas; });
  scanner.feed(text.data(), text.size());
  scanner.finish();
  CHECK(statements.size() == 1 && metas == 0 && statements[0].start == 0 && statements[0].end == text.size() &&
            scanner.at_clean_end(),
        "psql would not read the embedding as one statement ending at its ';'", input, text);
  CHECK(scanner.variable_references() == 0, "psql would substitute a variable in the embedding", input, text);
}

void check_literal(std::string_view value) {
  const std::string lit = render([&](std::string& out) { scribe::append_literal(out, value); });
  for (const bool scs : {true, false}) {
    std::size_t pos = 0;
    std::string back;
    CHECK(pglex::read_string_literal(lit, pos, back, scs), "literal does not read back", value, lit);
    CHECK(pos == lit.size(), "literal ends before the end of its rendering", value, lit);
    CHECK(back == value, "literal reads back as other bytes", value, lit);
  }
  check_one_statement("SELECT " + lit + ";", value);
  check_one_statement("INSERT INTO t (a) VALUES (" + lit + ");", value);
  // A value never becomes a second statement of a transaction.
  check_one_statement("UPDATE ONLY s.t SET a = " + lit + " WHERE k = " + lit + ";", value);
}

void check_identifier(std::string_view ident) {
  if (ident.empty()) return;  // names are never empty
  const std::string r = render([&](std::string& out) { scribe::append_identifier(out, ident); });
  std::size_t pos = 0;
  std::string back;
  CHECK(pglex::read_identifier(r, pos, back, reserved_for_names), "identifier does not read back", ident, r);
  CHECK(pos == r.size(), "identifier ends before the end of its rendering", ident, r);
  CHECK(back == ident, "identifier reads back as another name", ident, r);
  check_one_statement("SELECT 1 AS " + r + ";", ident);
}

void check_qualified(std::string_view schema, std::string_view name) {
  if (schema.empty() || name.empty()) return;
  const std::string r = render([&](std::string& out) { scribe::append_qualified_name(out, schema, name); });
  std::size_t pos = 0;
  std::string s, n;
  CHECK(pglex::read_identifier(r, pos, s, reserved_for_names) && pos < r.size() && r[pos] == '.',
        "schema part does not read back", schema, r);
  ++pos;
  CHECK(pglex::read_identifier(r, pos, n, reserved_for_names) && pos == r.size(), "name part does not read back", name,
        r);
  CHECK(s == schema && n == name, "qualified name reads back as another name",
        std::string(schema) + "." + std::string(name), r);
  check_one_statement("DELETE FROM ONLY " + r + " WHERE a = 1;", name);
}

void check_dollar(std::string_view body) {
  const std::string r = render([&](std::string& out) { scribe::append_dollar_quoted(out, body); });
  std::size_t pos = 0;
  std::string back;
  CHECK(pglex::read_dollar_quoted(r, pos, back), "dollar quote does not read back", body, r);
  CHECK(pos == r.size(), "dollar quote ends before the end of its rendering", body, r);
  CHECK(back == body, "dollar quote reads back as another body", body, r);
  check_one_statement("DO " + r + ";", body);
}

void check_value(scribe::ValueStyle style, std::string_view text, std::string_view schema, std::string_view type) {
  std::string type_name = "pg_catalog.text";
  if (!schema.empty() && !type.empty())
    type_name = render([&](std::string& out) { scribe::append_qualified_name(out, schema, type); });
  const std::string r = render([&](std::string& out) { scribe::append_value(out, style, text, type_name); });
  std::size_t pos = 0;
  std::string back;
  if (pglex::read_string_literal(r, pos, back)) {
    CHECK(back == text, "quoted value reads back as other bytes", text, r);
    if (style == scribe::ValueStyle::kTypedText) {
      CHECK(r.compare(pos, 2, "::") == 0 && r.substr(pos + 2) == type_name, "typed value lacks its cast", text, r);
    } else {
      CHECK(pos == r.size(), "value ends before the end of its rendering", text, r);
    }
  } else if (style == scribe::ValueStyle::kNumber) {
    // Bare: an optional minus, digits, optionally a fraction; nothing else.
    std::size_t i = r[0] == '-' ? 1 : 0, digits = 0;
    while (i < r.size() && pglex::is_digit(static_cast<unsigned char>(r[i]))) ++i, ++digits;
    if (i < r.size() && r[i] == '.') {
      std::size_t frac = 0;
      ++i;
      while (i < r.size() && pglex::is_digit(static_cast<unsigned char>(r[i]))) ++i, ++frac;
      CHECK(frac > 0, "bare number with an empty fraction", text, r);
    }
    CHECK(digits > 0 && i == r.size() && r == text, "bare number is not the plain decimal it stands for", text, r);
  } else if (style == scribe::ValueStyle::kBoolean) {
    CHECK((r == "true" && text == "t") || (r == "false" && text == "f"), "bare boolean for another text", text, r);
  } else {
    failure("value is neither a literal nor a bare number or boolean", text, r);
  }
  check_one_statement("INSERT INTO t (a) VALUES (" + r + ");", text);
}

void check_ddl(std::string_view search_path, std::string_view role, std::string_view statement, bool transactional,
               bool inside) {
  scribe::DdlContext ddl;
  ddl.search_path = search_path;
  ddl.role = role;
  ddl.transactional = transactional;
  ddl.statement = statement;
  const std::string body = render([&](std::string& out) { scribe::append_ddl_body(out, ddl); });
  const auto parsed = scribe::parse_ddl_body(body);
  CHECK(parsed && parsed->search_path == search_path && parsed->role == role &&
            parsed->transactional == transactional && parsed->statement == statement,
        "DDL body does not round-trip", statement, body);
  const std::string message = std::string(scribe::kDdlSignatureTag) + std::string(64, 'a') + "\n" + body;
  const auto signed_ddl = scribe::parse_signed_ddl(message);
  CHECK(signed_ddl && signed_ddl->body == body && signed_ddl->mac_hex == std::string(64, 'a'),
        "signed DDL message does not split back", statement, message);

  if (role.empty()) return;
  const std::string replay = render([&](std::string& out) { scribe::append_ddl_replay(out, ddl, inside); });
  std::size_t pos = 0;
  const std::string_view lead = !transactional && inside ? "END;\n" : "";
  const std::string head = std::string(lead) + "SELECT pg_catalog.set_config('search_path', ";
  CHECK(replay.compare(0, head.size(), head) == 0, "DDL replay head", statement, replay);
  pos = head.size();  // at the literal
  std::string back;
  CHECK(pglex::read_string_literal(replay, pos, back) && back == search_path,
        "search_path literal of the DDL replay does not read back", search_path, replay);
  const std::string mid = ", false);\nSET ROLE ";
  CHECK(replay.compare(pos, mid.size(), mid) == 0, "DDL replay: set_config call", statement, replay);
  pos += mid.size();
  CHECK(pglex::read_identifier(replay, pos, back, reserved_for_names) && back == role,
        "role of the DDL replay does not read back", role, replay);
  CHECK(replay.compare(pos, 2, ";\n") == 0, "DDL replay: SET ROLE not ended", role, replay);
  pos += 2;
  // The statement itself, verbatim or run from a literal that reads back to
  // it; either way followed by the resets. Which one is decided by the
  // statement, not by how the replay looks: a statement that must run
  // outside a transaction block cannot go into a DO block and is written as
  // it is even when psql would read it otherwise (a documented limit), and a
  // verbatim statement may itself begin with "DO " (this property once
  // branched on the replay's first bytes and so read a verbatim
  // non-transactional "DO ..." as the DO block).
  const std::string tail = "RESET ROLE;\n" + std::string(scribe::kReplaySearchPath);
  if (transactional && !scribe::psql_reads_verbatim(statement)) {
    pos += 3;
    std::string body;
    CHECK(pglex::read_dollar_quoted(replay, pos, body) && replay.compare(pos, 2, ";\n") == 0,
          "DDL replay: the DO block does not read back", statement, replay);
    pos += 2;
    const std::string exec = "BEGIN EXECUTE ";
    std::size_t at = exec.size();
    CHECK(body.compare(0, exec.size(), exec) == 0 && pglex::read_string_literal(body, at, back) && back == statement &&
              body.substr(at) == "; END",
          "DDL replay: the EXECUTE literal does not read back to the statement", statement, body);
  } else {
    CHECK(replay.compare(pos, statement.size(), statement) == 0 &&
              replay.compare(pos + statement.size(), 3, "\n;\n") == 0,
          "DDL replay: the statement is not written verbatim", statement, replay);
    pos += statement.size() + 3;
  }
  CHECK(replay.compare(pos, tail.size(), tail) == 0, "DDL replay: no reset after the statement", statement, replay);
}

void check_replay_settings(std::string_view encoding) {
  const std::string r = render([&](std::string& out) { scribe::append_replay_settings(out, encoding); });
  const std::string key = "SET client_encoding = ";
  const std::size_t at = r.find(key);
  CHECK(at != std::string::npos, "replay settings without client_encoding", encoding, r);
  std::size_t pos = at + key.size();
  std::string back;
  CHECK(pglex::read_string_literal(r, pos, back) && r.compare(pos, 2, ";\n") == 0,
        "client_encoding literal escapes its statement", encoding, r);
  for (const char c : back)
    CHECK(pglex::is_alpha(static_cast<unsigned char>(c)) || pglex::is_digit(static_cast<unsigned char>(c)) || c == '_',
          "encoding name with other characters than letters, digits and _", encoding, r);
  std::size_t statements = 0, metas = 0;
  scribe::DiffScanner scanner;
  scanner.set_statement_callback([&](const scribe::DiffStatement&) { ++statements; });
  scanner.set_meta_command_callback([&](std::uint64_t, std::uint64_t) { ++metas; });
  scanner.feed(r.data(), r.size());
  scanner.finish();
  std::size_t lines = 0;
  for (const char c : r) lines += c == '\n';
  CHECK(statements == lines - 1 && metas == 0 && scanner.at_clean_end(), "replay prologue: one statement per line",
        encoding, r);
}

void check_formats(const std::uint8_t* data, std::size_t size) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < size && i < 8; ++i) v = v << 8 | data[i];
  char lsn[scribe::kLsnTextSize];
  scribe::format_lsn(v, lsn);
  const auto back = scribe::parse_lsn(lsn);
  CHECK(back && *back == v, "LSN does not round-trip", std::string_view(reinterpret_cast<const char*>(data), size),
        lsn);
  char ts[scribe::kTimestampTextSize];
  scribe::format_utc_timestamp(static_cast<std::int64_t>(v), ts);
  const std::string_view t(ts);
  CHECK(!t.empty() && (t == "infinity" || t == "-infinity" || t.back() == 'Z') && t.size() < sizeof ts,
        "timestamp text malformed", std::string_view(reinterpret_cast<const char*>(data), size), t);
  // Arbitrary text: parse_lsn never accepts what is not 1-8 hex digits, '/', 1-8 hex digits.
  const std::string_view raw(reinterpret_cast<const char*>(data), size);
  if (const auto parsed = scribe::parse_lsn(raw)) {
    const std::size_t slash = raw.find('/');
    CHECK(slash != std::string_view::npos && slash >= 1 && slash <= 8 && raw.size() - slash - 1 >= 1 &&
              raw.size() - slash - 1 <= 8,
          "parse_lsn accepted a malformed LSN", raw, "");
    for (std::size_t i = 0; i < raw.size(); ++i)
      CHECK(i == slash || pglex::is_hex(static_cast<unsigned char>(raw[i])), "parse_lsn accepted a non-hex digit", raw,
            "");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t options = data[0];
  const std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
  std::vector<std::string_view> fields;
  for (std::size_t start = 0;;) {
    const std::size_t nul = input.find('\0', start);
    fields.push_back(input.substr(start, nul == std::string_view::npos ? std::string_view::npos : nul - start));
    if (nul == std::string_view::npos) break;
    start = nul + 1;
  }
  auto field = [&](std::size_t i) { return i < fields.size() ? fields[i] : std::string_view(); };

  for (const std::string_view f : fields) {
    check_literal(f);
    check_identifier(f);
    check_dollar(f);
  }
  check_qualified(field(0), field(1));
  check_value(static_cast<scribe::ValueStyle>(options % 4), field(0), field(1), field(2));
  check_ddl(field(0), field(1), field(2), (options & 4) != 0, (options & 8) != 0);
  check_replay_settings(field(0));
  check_formats(data + 1, size - 1);
  // parse_ddl_body / parse_signed_ddl on raw bytes: a body that parses
  // renders back to one that parses to the same fields.
  if (const auto raw = scribe::parse_ddl_body(input)) {
    std::string again;
    scribe::append_ddl_body(again, *raw);
    const auto twice = scribe::parse_ddl_body(again);
    CHECK(twice && twice->search_path == raw->search_path && twice->role == raw->role &&
              twice->transactional == raw->transactional && twice->statement == raw->statement,
          "parse_ddl_body(append_ddl_body(parse_ddl_body(x))) differs", input, again);
  }
  (void)scribe::parse_signed_ddl(input);
  return 0;
}
