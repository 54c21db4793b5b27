#include "script_runner.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <ctime>

#include "confinement.hpp"
#include "connection.hpp"
#include "report.hpp"
#include "scribe/core/format.hpp"
#include "scribe/core/quote.hpp"
#include "scribe/core/sqlstate.hpp"

namespace pgscribe {

namespace {

// A message is sent once it holds this much SQL: large enough that round
// trips cost nothing, small enough that building the next one overlaps
// with the server running this one.
constexpr std::size_t kSendBytes = 1 << 20;
constexpr std::size_t kTrimBytes = 4 << 20;
// A diff's reader waits once this much work is queued for the executor
// (a few groups: enough to keep the server busy, little memory).
constexpr std::size_t kQueueBytes = 32 << 20;
// A group of transactions (ScriptRunner::flush_group) ends at about this
// much SQL or this many transactions: large enough that runs of one
// table's changes merge into few statements, small enough to hold.
constexpr std::size_t kGroupBytes = 8 << 20;
constexpr std::uint64_t kGroupTransactions = 10000;
// A transaction of row changes is held for a group up to this much SQL (a
// group ends after it); a larger one runs as it came, on one connection.
constexpr std::size_t kHoldBytes = 32 << 20;
// A run of INSERTs goes as a COPY from this many rows on (fewer: the
// round trip a COPY needs costs more than the INSERT's planning).
constexpr std::size_t kCopyMinRows = 64;
// A confined COPY's data goes in calls of about this much: each call sets
// the COPY up again (microseconds), and the next chunk is read while the
// server copies this one.
constexpr std::size_t kCopyChunkBytes = 8 << 20;
// bytea's limit, for a COPY whose data goes in one call.
constexpr std::uint64_t kCopyCallMaxBytes = (1u << 30) - 1024;

// A run-as call's statements, at most about this much SQL: the server
// keeps the plans of all of a call's statements until it ends (SPI), and
// past a few MB that memory comes fresh from the kernel on every call (page
// faults cost the confined replay of bench/run.sh's workload 10 to 40 %).
constexpr std::size_t kConfinedGroupBytes = 64 << 10;

constexpr std::size_t kDumpHeaderLineMax = 64 << 10;

// The objects of table c whose code a row change (or the base's COPY)
// evaluates: its CHECK constraints, defaults and generated columns, its
// indexes (expressions, predicates), and the constraints of its columns'
// domains, through domains over domains and arrays of them. For
// "d.classid ... d.objid" of pg_depend.
#define SCRIBE_WRITE_PATH_OBJECTS                                                                               \
  "((d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_constraint'::pg_catalog.regclass::pg_catalog.oid "         \
  "AND d.objid OPERATOR(pg_catalog.=) ANY (ARRAY(SELECT co.oid FROM pg_catalog.pg_constraint co "               \
  "WHERE co.conrelid OPERATOR(pg_catalog.=) c.oid UNION ALL SELECT co.oid FROM pg_catalog.pg_constraint co "    \
  "WHERE co.contypid OPERATOR(pg_catalog.=) ANY (ARRAY("                                                        \
  "WITH RECURSIVE ty(t) AS (SELECT a.atttypid FROM pg_catalog.pg_attribute a "                                  \
  "WHERE a.attrelid OPERATOR(pg_catalog.=) c.oid AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped " \
  "UNION SELECT v.t FROM ty JOIN pg_catalog.pg_type y ON y.oid OPERATOR(pg_catalog.=) ty.t "                    \
  "CROSS JOIN LATERAL (VALUES (y.typbasetype), (y.typelem)) v(t) "                                              \
  "WHERE v.t OPERATOR(pg_catalog.<>) '0'::pg_catalog.oid) SELECT t FROM ty))))) "                               \
  "OR (d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_attrdef'::pg_catalog.regclass::pg_catalog.oid "          \
  "AND d.objid OPERATOR(pg_catalog.=) ANY (ARRAY(SELECT ad.oid FROM pg_catalog.pg_attrdef ad "                  \
  "WHERE ad.adrelid OPERATOR(pg_catalog.=) c.oid))) "                                                           \
  "OR (d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass::pg_catalog.oid "            \
  "AND d.objid OPERATOR(pg_catalog.=) ANY (ARRAY(SELECT i.indexrelid FROM pg_catalog.pg_index i "               \
  "WHERE i.indrelid OPERATOR(pg_catalog.=) c.oid))))"

// The role a table's row changes run as, whether that is needed at all,
// and the rights on the table and its schema that role lacks for a row
// change (see confine_statement):
//  - a table that a role other than a superuser (or the restorer) owns:
//    its owner;
//  - a superuser's table whose write path calls a function of such a role
//    (its domain's CHECK, an index on its function, directly or through
//    an operator): that role, so that no role's code runs with more rights
//    than its own (with two or more such roles, the one of lowest OID: see
//    README); not when the table has row-level security on, which would
//    apply to a role that is not its owner (the rows would replay
//    differently): then as the restorer, as before;
//  - otherwise nobody: trusted.
// Columns: role, trusted, the role is not the owner, the table privileges
// it lacks, whether it lacks USAGE on the table's schema, schema, table,
// role (quoted), and GRANT and REVOKE lines for the other rights it lacks.
constexpr const char* kTableOwnerQuery =
    "SELECT r.oid, ru.runas IS NULL, r.oid OPERATOR(pg_catalog.<>) c.relowner, "
    "pg_catalog.concat_ws(', ', "
    "CASE WHEN NOT pg_catalog.has_table_privilege(r.oid, c.oid, 'SELECT') THEN 'SELECT' END, "
    "CASE WHEN NOT pg_catalog.has_table_privilege(r.oid, c.oid, 'INSERT') THEN 'INSERT' END, "
    "CASE WHEN NOT pg_catalog.has_table_privilege(r.oid, c.oid, 'UPDATE') THEN 'UPDATE' END, "
    "CASE WHEN NOT pg_catalog.has_table_privilege(r.oid, c.oid, 'DELETE') THEN 'DELETE' END), "
    "NOT pg_catalog.has_schema_privilege(r.oid, c.relnamespace, 'USAGE'), "
    "pg_catalog.quote_ident(n.nspname), pg_catalog.quote_ident(c.relname), pg_catalog.quote_ident(r.rolname), "
    "x.grants, x.revokes "
    "FROM pg_catalog.pg_class c JOIN pg_catalog.pg_roles o ON o.oid OPERATOR(pg_catalog.=) c.relowner "
    "JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace "
    // The functions the write path calls: named in an expression, or an
    // operator's.
    // (The referenced class is tested after the objects' rows are found by
    // the depender index: as a condition of the scan it drew the planner
    // to the referenced side's index, slower on a large catalog.)
    "CROSS JOIN LATERAL (SELECT pg_catalog.array_agg(DISTINCT f.f) AS fns FROM (SELECT CASE WHEN d.refclassid "
    "OPERATOR(pg_catalog.=) 'pg_catalog.pg_proc'::pg_catalog.regclass::pg_catalog.oid THEN d.refobjid "
    "WHEN d.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_operator'::pg_catalog.regclass::pg_catalog.oid "
    "THEN (SELECT op.oprcode::pg_catalog.oid FROM pg_catalog.pg_operator op "
    "WHERE op.oid OPERATOR(pg_catalog.=) d.refobjid) END AS f "
    "FROM pg_catalog.pg_depend d WHERE " SCRIBE_WRITE_PATH_OBJECTS
    ") f WHERE f.f OPERATOR(pg_catalog.<>) '0'::pg_catalog.oid) k "
    "CROSS JOIN LATERAL (SELECT CASE WHEN NOT (o.rolsuper OR o.rolname OPERATOR(pg_catalog.=) current_user) "
    "THEN c.relowner WHEN NOT c.relrowsecurity THEN (SELECT pg_catalog.min(fo.oid) FROM pg_catalog.pg_proc p "
    "JOIN pg_catalog.pg_roles fo ON fo.oid OPERATOR(pg_catalog.=) p.proowner "
    "WHERE p.oid OPERATOR(pg_catalog.=) ANY (k.fns) AND NOT fo.rolsuper "
    "AND fo.rolname OPERATOR(pg_catalog.<>) current_user) END AS runas) ru "
    "JOIN pg_catalog.pg_roles r ON r.oid OPERATOR(pg_catalog.=) COALESCE(ru.runas, c.relowner) "
    // The other rights a row change of the table needs of whoever makes it:
    // EXECUTE on the functions of its write path, and USAGE on the schemas
    // of its columns' types (wal2sql writes values as '...'::schema.type).
    // GRANT and REVOKE lines for those the role lacks.
    "CROSS JOIN LATERAL (SELECT pg_catalog.string_agg(DISTINCT w.g, '') AS grants, "
    "pg_catalog.string_agg(DISTINCT w.rv, '') AS revokes FROM ("
    "SELECT 'GRANT EXECUTE ON FUNCTION ' OPERATOR(pg_catalog.||) p.oid::pg_catalog.regprocedure::pg_catalog.text "
    "OPERATOR(pg_catalog.||) ' TO ' OPERATOR(pg_catalog.||) pg_catalog.quote_ident(r.rolname) "
    "OPERATOR(pg_catalog.||) E';\\n' AS g, "
    "'REVOKE EXECUTE ON FUNCTION ' OPERATOR(pg_catalog.||) p.oid::pg_catalog.regprocedure::pg_catalog.text "
    "OPERATOR(pg_catalog.||) ' FROM ' OPERATOR(pg_catalog.||) pg_catalog.quote_ident(r.rolname) "
    "OPERATOR(pg_catalog.||) E';\\n' AS rv "
    "FROM pg_catalog.pg_proc p WHERE p.oid OPERATOR(pg_catalog.=) ANY (k.fns) "
    "AND NOT pg_catalog.has_function_privilege(r.oid, p.oid, 'EXECUTE') "
    "UNION ALL SELECT 'GRANT USAGE ON SCHEMA ' OPERATOR(pg_catalog.||) pg_catalog.quote_ident(tn.nspname) "
    "OPERATOR(pg_catalog.||) ' TO ' OPERATOR(pg_catalog.||) pg_catalog.quote_ident(r.rolname) "
    "OPERATOR(pg_catalog.||) E';\\n', "
    "'REVOKE USAGE ON SCHEMA ' OPERATOR(pg_catalog.||) pg_catalog.quote_ident(tn.nspname) "
    "OPERATOR(pg_catalog.||) ' FROM ' OPERATOR(pg_catalog.||) pg_catalog.quote_ident(r.rolname) "
    "OPERATOR(pg_catalog.||) E';\\n' "
    "FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_type t ON t.oid OPERATOR(pg_catalog.=) a.atttypid "
    "JOIN pg_catalog.pg_namespace tn ON tn.oid OPERATOR(pg_catalog.=) t.typnamespace "
    "WHERE a.attrelid OPERATOR(pg_catalog.=) c.oid AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped "
    "AND t.typnamespace OPERATOR(pg_catalog.<>) c.relnamespace "
    "AND NOT pg_catalog.has_schema_privilege(r.oid, t.typnamespace, 'USAGE')) w) x "
    "WHERE c.oid OPERATOR(pg_catalog.=) pg_catalog.to_regclass($1)";
#undef SCRIBE_WRITE_PATH_OBJECTS

// The statement without its ';' and surrounding blanks, upper-cased, when
// it is short: to recognise END; and START TRANSACTION; (any case).
bool statement_is(std::string_view text, const char* keyword) {
  if (text.size() > 40) return false;
  std::string word;
  for (char c : text) {
    if (c == ';') break;
    if (std::isspace(static_cast<unsigned char>(c))) {
      if (!word.empty() && word.back() != ' ') word.push_back(' ');
      continue;
    }
    word.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  }
  while (!word.empty() && word.back() == ' ') word.pop_back();
  return word == keyword;
}

// A captured REFRESH MATERIALIZED VIEW CONCURRENTLY, without CONCURRENTLY
// (blanked out); any other statement as it is. PostgreSQL refreshes
// concurrently through a temporary table, which cannot be created inside
// the run-as function's security-restricted operation; without it the
// refresh gives the same rows (nothing else reads the view during a
// restore). Words may be separated by blanks and comments, as typed.
std::string without_refresh_concurrently(std::string_view text) {
  static const char* const kWords[] = {"REFRESH", "MATERIALIZED", "VIEW", "CONCURRENTLY"};
  std::size_t pos = 0, word_start = 0;
  for (const char* word : kWords) {
    for (;;) {  // blanks and comments
      while (pos < text.size() && std::isspace(static_cast<unsigned char>(text[pos]))) pos++;
      if (text.compare(pos, 2, "--") == 0) {
        const std::size_t end = text.find('\n', pos);
        pos = end == std::string_view::npos ? text.size() : end;
      } else if (text.compare(pos, 2, "/*") == 0) {
        // PostgreSQL's block comments nest.
        int depth = 0;
        do {
          if (text.compare(pos, 2, "/*") == 0) {
            depth++;
            pos += 2;
          } else if (text.compare(pos, 2, "*/") == 0) {
            depth--;
            pos += 2;
          } else if (pos < text.size()) {
            pos++;
          } else {
            return std::string(text);
          }
        } while (depth > 0);
      } else {
        break;
      }
    }
    word_start = pos;
    const std::size_t length = std::strlen(word);
    if (text.size() - pos < length) return std::string(text);
    for (std::size_t i = 0; i < length; i++)
      if (std::toupper(static_cast<unsigned char>(text[pos + i])) != word[i]) return std::string(text);
    pos += length;
    if (pos < text.size() && (std::isalnum(static_cast<unsigned char>(text[pos])) || text[pos] == '_' ||
                              text[pos] == '$' || static_cast<unsigned char>(text[pos]) >= 0x80))
      return std::string(text);  // a longer word
  }
  std::string out(text);
  out.replace(word_start, pos - word_start, pos - word_start, ' ');
  return out;
}

// The tables of a foreign key as pg_dump adds it, "ALTER TABLE [ONLY]
// s.t\n    ADD CONSTRAINT c FOREIGN KEY (a, b) REFERENCES s2.t2(x, y)...":
// s.t into `table`, s2.t2 into `referenced`, as written. False for any
// other statement.
bool parse_dump_foreign_key(std::string_view text, std::string_view& table, std::string_view& referenced) {
  const auto expect = [&](std::size_t& pos, std::string_view word) {
    if (text.compare(pos, word.size(), word) != 0) return false;
    pos += word.size();
    return true;
  };
  const auto qualified = [&](std::size_t& pos, std::string_view& name) {
    const std::size_t start = pos;
    if (!scribe::skip_identifier(text, pos) || !expect(pos, ".") || !scribe::skip_identifier(text, pos)) return false;
    name = text.substr(start, pos - start);
    return true;
  };
  std::size_t pos = 0;
  if (!expect(pos, "ALTER TABLE ")) return false;
  (void)expect(pos, "ONLY ");
  if (!qualified(pos, table)) return false;
  while (pos < text.size() && (text[pos] == '\n' || text[pos] == ' ')) pos++;
  if (!expect(pos, "ADD CONSTRAINT ") || !scribe::skip_identifier(text, pos) || !expect(pos, " FOREIGN KEY ("))
    return false;
  for (;;) {
    if (!scribe::skip_identifier(text, pos)) return false;
    if (expect(pos, ")")) break;
    if (!expect(pos, ", ")) return false;
  }
  return expect(pos, " REFERENCES ") && qualified(pos, referenced);
}

// SQL keywords are ASCII: folded as such, whatever the locale (and without
// a call per byte: this runs on every statement of a diff).
char ascii_upper(char c) { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c; }

bool starts_with_ci(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); i++)
    if (ascii_upper(text[i]) != ascii_upper(prefix[i])) return false;
  return true;
}

std::string field(const PGresult* result, int code) {
  const char* value = result != nullptr ? PQresultErrorField(result, code) : nullptr;
  return value != nullptr ? value : "";
}

std::string first_line(std::string_view text, std::size_t max = 200) {
  std::size_t end = text.find('\n');
  if (end == std::string_view::npos) end = text.size();
  std::string line(text.substr(0, std::min(end, max)));
  if (end > max) line += "...";
  return line;
}

}  // namespace

void DumpAclEntries::comment_line(std::string_view line) {
  if (line.substr(0, 9) == "-- Name: ") in_acl_entry_ = line.find("; Type: ACL; ") != std::string_view::npos;
}

bool DumpAclEntries::is_acl_statement(std::string_view statement) const {
  return in_acl_entry_ && (starts_with_ci(statement, "GRANT ") || starts_with_ci(statement, "REVOKE ") ||
                           starts_with_ci(statement, "SET SESSION AUTHORIZATION ") ||
                           starts_with_ci(statement, "RESET SESSION AUTHORIZATION;"));
}

std::optional<std::int64_t> parse_commit_time(const std::string& text) {
  // YYYY-MM-DDTHH:MM:SS[.ffffff]Z
  if (text.size() < 20 || text.back() != 'Z') return std::nullopt;
  std::tm tm{};
  int year, month, day, hour, minute, second;
  char t, c1, c2, d1, d2;
  int consumed = 0;
  if (std::sscanf(text.c_str(), "%4d%c%2d%c%2d%c%2d%c%2d%c%2d%n", &year, &d1, &month, &d2, &day, &t, &hour, &c1,
                  &minute, &c2, &second, &consumed) != 11 ||
      d1 != '-' || d2 != '-' || t != 'T' || c1 != ':' || c2 != ':' || consumed != 19)
    return std::nullopt;
  std::int64_t micros = 0;
  std::size_t pos = 19;
  if (text[pos] == '.') {
    pos++;
    int digits = 0;
    while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos])) && digits < 6) {
      micros = micros * 10 + (text[pos] - '0');
      digits++;
      pos++;
    }
    if (digits == 0) return std::nullopt;
    for (; digits < 6; digits++) micros *= 10;
  }
  if (pos != text.size() - 1) return std::nullopt;
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return std::nullopt;
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  const std::int64_t seconds = timegm(&tm);
  return seconds * 1000000 + micros;
}

ScriptRunner::ScriptRunner(PGconn* conn, Kind kind, std::string file_name, StopTarget target)
    : conn_(conn),
      kind_(kind),
      file_name_(std::move(file_name)),
      target_(std::move(target)),
      scanner_([this](const scribe::DiffTransaction& tx) { on_transaction(tx); }) {
  scanner_.set_statement_callback([this](const scribe::DiffStatement& s) { on_statement(s); });
  scanner_.set_copy_data_callback(
      [this](std::uint64_t start, std::uint64_t end, std::uint64_t resume) { on_copy_data(start, end, resume); });
  scanner_.set_meta_command_callback([this](std::uint64_t start, std::uint64_t end) { on_meta_command(start, end); });
  if (kind_ == Kind::kDump) {
    scanner_.set_comment_line_limit(kDumpHeaderLineMax);
    scanner_.set_comment_line_callback(
        [this](std::uint64_t, std::uint64_t, std::string_view line, bool) { acl_entries_.comment_line(line); });
  }
  if (kind_ == Kind::kDiff) {
    read_update_unsafe();
    batcher_.set_update_filter(
        [this](std::string_view table) { return update_unsafe_.count(std::string(table)) == 0; });
    batcher_.set_collapse_updates(true, batch_);
    lanes_.push_back(std::make_unique<Lane>());
    lanes_[0]->conn = conn_;
    lanes_[0]->thread = std::thread([this] { executor_loop(*lanes_[0]); });
    lane_batcher_ = batcher_;
    if (const char* delay = std::getenv("PG_SCRIBE_TEST_LANE_DELAY_MS")) test_lane_delay_ms_ = std::atoi(delay);
  }
}

// Tables whose rows a merged UPDATE could trip over a UNIQUE or EXCLUDE
// constraint checked row by row (see DmlBatcher::set_update_filter).
void ScriptRunner::read_update_unsafe() {
  ResultPtr r(PQexec(conn_,
                     "SELECT DISTINCT pg_catalog.format('%I.%I', n.nspname, c.relname) FROM pg_catalog.pg_index i "
                     "JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) i.indrelid "
                     "JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace "
                     "WHERE (i.indisunique OR i.indisexclusion) AND i.indimmediate "
                     "AND NOT i.indisprimary AND NOT i.indisreplident"));
  if (PQresultStatus(r.get()) != PGRES_TUPLES_OK) fail(r.get(), "reading the target's unique constraints");
  update_unsafe_.clear();
  for (int i = 0; i < PQntuples(r.get()); i++) update_unsafe_.emplace(PQgetvalue(r.get(), i, 0));
}

ScriptRunner::~ScriptRunner() {
  stop_executor();
  // After an error: results still on the wire are read and dropped so that
  // the connection can be used (or closed) cleanly.
  if (in_flight_ || copy_chunk_in_flight_) {
    while (PGresult* r = PQgetResult(conn_)) PQclear(r);
  }
}

std::string_view ScriptRunner::window_text(std::uint64_t start, std::uint64_t end) const {
  return std::string_view(window_).substr(start - window_base_, end - start);
}

void ScriptRunner::trim_window() {
  const std::uint64_t drop = consumed_ - window_base_;
  if (drop < kTrimBytes && drop < window_.size()) return;
  const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(drop, window_.size()));
  window_.erase(0, n);
  window_base_ += n;
}

void ScriptRunner::feed(const char* data, std::size_t len) {
  if (done()) return;
  window_.append(data, len);
  scanner_.feed(data, len);
  if (in_copy_ && scanner_.in_copy_data()) put_copy_data(scanner_.copy_data_flushable_end());
  trim_window();
}

std::string ScriptRunner::describe(const scribe::DiffTransaction& tx) const {
  if (tx.commit_lsn == 0 && tx.commit_time.empty()) return "a transaction without a header";
  return "transaction xid=" + std::to_string(tx.xid) + " (commit LSN " + scribe::lsn_text(tx.commit_lsn) + " at " +
         tx.commit_time + ")";
}

std::string ScriptRunner::describe(const Pending& commit) const {
  if (commit.count <= 1) return describe(commit.tx);
  return std::to_string(commit.count) + " transactions applied as one, from " + describe(commit.first) + " to " +
         describe(commit.tx);
}

void ScriptRunner::fail(PGconn* conn, const PGresult* result, const std::string& where) {
  std::string message = field(result, PG_DIAG_MESSAGE_PRIMARY);
  if (message.empty()) {
    message = PQerrorMessage(conn);
    while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
  }
  std::string detail = field(result, PG_DIAG_MESSAGE_DETAIL);
  const std::string context = where.empty() ? "" : where;
  detail = "File " + file_name_ + (context.empty() ? "" : ", " + context) + "." + (detail.empty() ? "" : "\n" + detail);
  std::string sqlstate = field(result, PG_DIAG_SQLSTATE);
  // Leave the session usable for the caller's cleanup.
  if (PQstatus(conn) == CONNECTION_OK && PQtransactionStatus(conn) == PQTRANS_INERROR) {
    PGresult* r = PQexec(conn, "ROLLBACK");
    PQclear(r);
  }
  throw ApplyError("could not apply " + file_name_ + ": " + message, sqlstate, detail,
                   field(result, PG_DIAG_MESSAGE_HINT));
}

void ScriptRunner::refuse_nul(std::string_view sql) const {
  if (sql.find('\0') == std::string_view::npos) return;
  throw ApplyError(
      "refusing to apply " + file_name_ + ": it contains a NUL byte", scribe::sqlstate::kCharacterNotInRepertoire,
      "No SQL text holds one; libpq would cut the statements there.", "The file was damaged. Run pg_scribe --verify.");
}

void ScriptRunner::send_batch() {
  close_confined_group();
  batcher_.flush(batch_);
  if (batch_.empty()) return;
  refuse_nul(batch_);
  if (!lanes_.empty()) {
    Job job;
    job.sql = std::move(batch_);
    job.txs = std::move(batch_txs_);
    if (group_.count != 0 && flushing_group_)
      job.where = "in " + describe(group_);
    else if (tx_open_)
      job.where = "in " + describe(open_tx_);
    enqueue(std::move(job));
  } else {
    wait_for_results();
    if (PQsendQuery(conn_, batch_.c_str()) == 0) fail(nullptr, "");
    in_flight_ = true;
    flight_txs_ = std::move(batch_txs_);
    flight_commits_ = 0;
  }
  batch_txs_.clear();
  stats_.messages++;
  if (tx_open_) tx_partly_sent_ = true;
  batch_.clear();
  batch_tx_start_ = 0;
}

PGresult* ScriptRunner::read_results(PGconn* conn, const std::vector<Pending>& txs, std::size_t& commits,
                                     Tally& tally) {
  PGresult* first_error = nullptr;
  while (PGresult* r = PQgetResult(conn)) {
    switch (PQresultStatus(r)) {
      case PGRES_COMMAND_OK:
      case PGRES_TUPLES_OK: {
        const char* status = PQcmdStatus(r);
        if (kind_ == Kind::kDiff && std::strncmp(status, "COMMIT", 6) == 0) {
          if (commits < txs.size()) {
            // count 0: another lane's share of a group, counted by the first
            if (txs[commits].count > 0) tally.last_applied = txs[commits].tx;
            tally.transactions += txs[commits].count;
          } else {
            tally.transactions++;
          }
          commits++;
        } else if (std::strncmp(status, "INSERT", 6) == 0 || std::strncmp(status, "UPDATE", 6) == 0 ||
                   std::strncmp(status, "DELETE", 6) == 0) {
          tally.rows += std::strtoull(PQcmdTuples(r), nullptr, 10);
        }
        break;
      }
      case PGRES_COPY_IN:
        // Only the base's COPY statements get data, sent one at a time.
        PQputCopyEnd(conn, "COPY FROM STDIN is not expected in this file");
        break;
      case PGRES_COPY_OUT: {
        char* buffer = nullptr;
        while (PQgetCopyData(conn, &buffer, 0) > 0) PQfreemem(buffer);
        break;
      }
      case PGRES_EMPTY_QUERY:
        break;
      default:
        if (first_error == nullptr) {
          first_error = r;
          continue;  // kept: cleared by the caller
        }
        break;
    }
    PQclear(r);
  }
  return first_error;
}

void ScriptRunner::wait_for_results() {
  if (!lanes_.empty()) {
    sync();
    return;
  }
  if (!in_flight_) return;
  in_flight_ = false;
  Tally tally;
  std::size_t commits = 0;
  PGresult* first_error = read_results(conn_, flight_txs_, commits, tally);
  stats_.transactions += tally.transactions;
  stats_.rows += tally.rows;
  if (tally.last_applied) stats_.last_applied = tally.last_applied;
  if (first_error != nullptr) {
    ResultPtr keep(first_error);
    std::string where;
    if (commits < flight_txs_.size())
      where = "in " + describe(flight_txs_[commits]);
    else if (tx_open_)
      where = "in " + describe(open_tx_);
    fail(first_error, where);
  }
}

// The executor. A diff's statements are built on the reading thread and
// run on its lanes' threads, each lane's in order, so that the client's
// work (scanning the file, building statements and COPY data) and the
// server's overlap: each connection is used by one thread at a time (the
// reader uses the first only once everything queued has run, see sync).
// The first failure ends the lanes' work: what is queued is dropped (the
// other lanes' barriers fail, and they roll back), and the reader rethrows
// that failure, once, at its next enqueue or sync.
void ScriptRunner::enqueue(Job job) {
  const std::size_t bytes = job.sql.size() + job.copy_data.size();
  if (lane_ != 0 && test_lane_delay_ms_ > 0)
    std::this_thread::sleep_for(std::chrono::milliseconds(test_lane_delay_ms_));
  bool failed = false;
  {
    std::unique_lock<std::mutex> lock(executor_mutex_);
    Lane& lane = *lanes_[lane_];
    executor_cv_.wait(lock, [&] { return lane.error || lane.queued_bytes < kQueueBytes; });
    failed = lane.error != nullptr;
    if (!failed) {
      lane.queued_bytes += bytes;
      lane.jobs.push_back(std::move(job));
    }
  }
  if (failed) sync_lanes();  // rethrows the failure
  executor_cv_.notify_all();
}

void ScriptRunner::enqueue_barrier(const std::shared_ptr<Barrier>& barrier) {
  Job job;
  job.barrier = barrier;
  enqueue(std::move(job));
}

void ScriptRunner::sync() {
  // Lane 0 may be waiting for the share being built: waiting here would
  // never end (split_group reads all it needs before).
  if (lane_ != 0) throw std::logic_error("pg_scribe: the connection was needed while a group's share was built");
  sync_lanes();
}

void ScriptRunner::sync_lanes() {
  std::exception_ptr error, secondary;
  {
    std::unique_lock<std::mutex> lock(executor_mutex_);
    executor_cv_.wait(lock, [this] {
      for (const auto& lane : lanes_)
        if (!lane->jobs.empty() || lane->busy) return false;
      return true;
    });
    for (auto& lane : lanes_) {
      stats_.transactions += lane->transactions.exchange(0);
      stats_.rows += lane->tally.rows;
      stats_.copy_rows += lane->tally.copy_rows;
      if (lane->tally.last_applied) stats_.last_applied = lane->tally.last_applied;
      lane->tally = Tally{};
      if (lane->error) {
        if (!lane->error_secondary && !error) error = lane->error;
        if (lane->error_secondary && !secondary) secondary = lane->error;
        lane->error = nullptr;
      }
    }
  }
  if (error) std::rethrow_exception(error);
  if (secondary) std::rethrow_exception(secondary);
}

void ScriptRunner::executor_loop(Lane& lane) {
  for (;;) {
    Job job;
    {
      std::unique_lock<std::mutex> lock(executor_mutex_);
      executor_cv_.wait(lock, [&] { return executor_stop_ || !lane.jobs.empty(); });
      if (executor_stop_) return;
      job = std::move(lane.jobs.front());
      lane.jobs.pop_front();
      lane.busy = true;
    }
    Tally tally;
    std::exception_ptr error;
    bool secondary = false;
    if (job.barrier) {
      std::unique_lock<std::mutex> lock(executor_mutex_);
      Barrier& barrier = *job.barrier;
      barrier.arrived++;
      executor_cv_.notify_all();
      // A lane that failed may never queue its part of this barrier.
      executor_cv_.wait(lock, [&] {
        return barrier.arrived == barrier.parties || barrier.failed || lanes_failed_ || executor_stop_;
      });
      if (barrier.arrived != barrier.parties) {
        secondary = true;
        error = std::make_exception_ptr(
            ApplyError("could not apply " + file_name_ + ": another connection failed", {}, {}, {}));
      }
    } else {
      try {
        run_job(lane, job, tally);
      } catch (...) {
        error = std::current_exception();
      }
    }
    if (error) {
      // Its share of a group is not committed when another's failed.
      const PGTransactionStatusType status = PQtransactionStatus(lane.conn);
      if (status == PQTRANS_INTRANS || status == PQTRANS_INERROR) {
        ResultPtr r(PQexec(lane.conn, "ROLLBACK"));
      }
    }
    {
      std::lock_guard<std::mutex> lock(executor_mutex_);
      lane.queued_bytes -= job.sql.size() + job.copy_data.size();
      lane.busy = false;
      lane.transactions.fetch_add(tally.transactions, std::memory_order_relaxed);
      lane.tally.rows += tally.rows;
      lane.tally.copy_rows += tally.copy_rows;
      if (tally.last_applied) lane.tally.last_applied = std::move(tally.last_applied);
      if (error) {
        lane.error = error;
        lane.error_secondary = secondary;
        lanes_failed_ = true;
        if (job.barrier) job.barrier->failed = true;
        for (const Job& dropped : lane.jobs)
          if (dropped.barrier) dropped.barrier->failed = true;
        lane.jobs.clear();
        lane.queued_bytes = 0;
      }
    }
    executor_cv_.notify_all();
  }
}

void ScriptRunner::run_job(Lane& lane, const Job& job, Tally& tally) {
  PGconn* conn = lane.conn;
  if (job.copy) {
    ResultPtr r(PQexec(conn, job.sql.c_str()));
    if (PQresultStatus(r.get()) != PGRES_COPY_IN) fail(conn, r.get(), job.where);
    if (PQputCopyData(conn, job.copy_data.data(), static_cast<int>(job.copy_data.size())) != 1 ||
        PQputCopyEnd(conn, nullptr) != 1)
      fail(conn, nullptr, job.where);
    const bool count = job.count_rows;
    tally.copy_rows += drain_copy_results(
        conn,
        [count](PGresult* result) -> std::optional<std::uint64_t> {
          if (PQresultStatus(result) != PGRES_COMMAND_OK) return std::nullopt;
          return count ? std::strtoull(PQcmdTuples(result), nullptr, 10) : 0;
        },
        job.where);
    return;
  }
  if (PQsendQuery(conn, job.sql.c_str()) == 0) fail(conn, nullptr, job.where);
  std::size_t commits = 0;
  PGresult* first_error = read_results(conn, job.txs, commits, tally);
  if (first_error != nullptr) {
    ResultPtr keep(first_error);
    fail(conn, first_error, commits < job.txs.size() ? "in " + describe(job.txs[commits]) : job.where);
  }
}

void ScriptRunner::set_more_connections(const std::vector<PGconn*>& conns) {
  if (lanes_.empty()) return;  // diffs only
  for (PGconn* conn : conns) {
    lanes_.push_back(std::make_unique<Lane>());
    Lane& lane = *lanes_.back();
    lane.conn = conn;
    lane.thread = std::thread([this, &lane] { executor_loop(lane); });
  }
}

// The table c's triggers (t) and rules (w) that fire on replay: set ENABLE
// ALWAYS or ENABLE REPLICA (the replay's session_replication_role is
// replica), for FROM in split_info's queries.
constexpr const char* kFiringTriggers =
    "pg_catalog.pg_trigger t WHERE t.tgrelid OPERATOR(pg_catalog.=) c.oid "
    "AND t.tgenabled OPERATOR(pg_catalog.=) ANY ('{A,R}')";
constexpr const char* kFiringRules =
    "pg_catalog.pg_rewrite w WHERE w.ev_class OPERATOR(pg_catalog.=) c.oid "
    "AND w.ev_enabled OPERATOR(pg_catalog.=) ANY ('{A,R}')";

// Whether a table's row changes may be spread over the lanes by key, and
// its key columns. Each row's changes stay on one lane, in order, and the
// lanes' transactions of a group commit only once every lane has run its
// share (a barrier), so the rows come out as on one connection if no
// change on one lane can depend on, wait for or conflict with one on
// another:
//  - the table has a primary key or replica identity index, which is what
//    wal2sql names rows by, on plain columns, and no other UNIQUE or
//    EXCLUDE constraint, deferred or not (a value moved between two rows
//    on two lanes would conflict, or wait on the other lane's lock);
//  - each key column's equality is its text's: integers, text and
//    varchar under a deterministic collation, uuid (wal2sql writes a value
//    as the type's output function does, so a row is always named by the
//    same text, and two texts never name one row);
//  - no trigger or rule fires on replay (ENABLE ALWAYS or REPLICA), so
//    nothing reads other rows; foreign keys are not checked in replay;
//  - a regular table (or a leaf partition) not confined: its owner is
//    trusted (confined changes run through the first connection's run-as
//    function).
// Each statement must then name its key (split_key); a key changed by an
// UPDATE keeps the whole table on the first lane for the group.
const ScriptRunner::SplitInfo& ScriptRunner::split_info(const std::string& table) {
  auto found = split_info_.find(table);
  if (found != split_info_.end()) return found->second;
  send_batch();
  wait_for_results();
  SplitInfo info;
  bool trusted = true;
  if (confined_) {
    auto owner = table_owners_.find(table);
    if (owner == table_owners_.end()) owner = table_owners_.emplace(table, lookup(kTableOwnerQuery, table)).first;
    trusted = !owner->second.oid.empty() && owner->second.trusted;
  }
  if (trusted) {
    static const std::string kSplitQuery =
        "SELECT pg_catalog.quote_ident(a.attname), a.atttypid OPERATOR(pg_catalog.=) ANY "
        "('{int2,int4,int8,text,varchar,uuid}'::pg_catalog.regtype[]::pg_catalog.oid[]) "
        "AND (a.attcollation OPERATOR(pg_catalog.=) 0 OR co.collisdeterministic) "
        "FROM pg_catalog.pg_class c JOIN pg_catalog.pg_index i ON i.indrelid OPERATOR(pg_catalog.=) c.oid "
        "AND (i.indisreplident OR (c.relreplident OPERATOR(pg_catalog.=) 'd' AND i.indisprimary)) "
        "JOIN pg_catalog.pg_attribute a ON a.attrelid OPERATOR(pg_catalog.=) c.oid "
        "AND a.attnum OPERATOR(pg_catalog.=) ANY (i.indkey) "
        "LEFT JOIN pg_catalog.pg_collation co ON co.oid OPERATOR(pg_catalog.=) a.attcollation "
        "WHERE c.oid OPERATOR(pg_catalog.=) pg_catalog.to_regclass($1) AND c.relkind OPERATOR(pg_catalog.=) 'r' "
        "AND c.relreplident OPERATOR(pg_catalog.=) ANY ('{d,i}') AND i.indexprs IS NULL AND i.indpred IS NULL "
        "AND NOT EXISTS (SELECT FROM pg_catalog.pg_index j WHERE j.indrelid OPERATOR(pg_catalog.=) c.oid "
        "AND (j.indisunique OR j.indisexclusion) AND j.indexrelid OPERATOR(pg_catalog.<>) i.indexrelid) "
        "AND NOT EXISTS (SELECT FROM " +
        std::string(kFiringTriggers) + ") AND NOT EXISTS (SELECT FROM " + kFiringRules +
        ") ORDER BY pg_catalog.array_position(i.indkey::pg_catalog.int2[], a.attnum)";
    const char* values[] = {table.c_str()};
    ResultPtr r(PQexecParams(conn_, kSplitQuery.c_str(), 1, nullptr, values, nullptr, nullptr, 0));
    if (PQresultStatus(r.get()) != PGRES_TUPLES_OK) fail(r.get(), "reading the key of " + table);
    stats_.messages++;
    info.ok = PQntuples(r.get()) > 0;
    for (int i = 0; i < PQntuples(r.get()); i++) {
      info.key_columns.emplace_back(PQgetvalue(r.get(), i, 0));
      if (std::string_view(PQgetvalue(r.get(), i, 1)) != "t") info.ok = false;
    }
  }
  if (!info.ok && verbose()) report_not_spread(table, trusted ? split_refusal(table) : "its owner is confined");
  return split_info_.emplace(table, std::move(info)).first->second;
}

// For -v: why split_info refused a table, in the order of its conditions.
// A second query, run only when verbose, so that the common path stays
// one query.
std::string ScriptRunner::split_refusal(const std::string& table) {
  static const std::string kWhyQuery =
      "SELECT CASE WHEN c.oid IS NULL THEN 'it is not found' "
      "WHEN c.relkind OPERATOR(pg_catalog.<>) 'r' THEN 'it is not a plain table or leaf partition' "
      "WHEN c.relreplident OPERATOR(pg_catalog.<>) ALL ('{d,i}') THEN 'its replica identity is FULL or NOTHING' "
      "WHEN i.indexrelid IS NULL THEN 'it has no primary key or replica identity index' "
      "WHEN i.indexprs IS NOT NULL OR i.indpred IS NOT NULL THEN "
      "'its key index ' OPERATOR(pg_catalog.||) i.indexrelid::pg_catalog.regclass::pg_catalog.text "
      "OPERATOR(pg_catalog.||) ' has expressions or a predicate' "
      "ELSE (SELECT pg_catalog.string_agg(w, '; ') FROM ("
      "SELECT 'it has another unique or exclusion index, ' OPERATOR(pg_catalog.||) "
      "j.indexrelid::pg_catalog.regclass::pg_catalog.text AS w "
      "FROM pg_catalog.pg_index j WHERE j.indrelid OPERATOR(pg_catalog.=) c.oid "
      "AND (j.indisunique OR j.indisexclusion) AND j.indexrelid OPERATOR(pg_catalog.<>) i.indexrelid "
      "UNION ALL SELECT 'trigger ' OPERATOR(pg_catalog.||) pg_catalog.quote_ident(t.tgname) "
      "OPERATOR(pg_catalog.||) ' fires on replay' FROM " +
      std::string(kFiringTriggers) +
      " UNION ALL SELECT 'rule ' OPERATOR(pg_catalog.||) pg_catalog.quote_ident(w.rulename) "
      "OPERATOR(pg_catalog.||) ' fires on replay' FROM " +
      kFiringRules +
      " "
      "UNION ALL SELECT 'key column ' OPERATOR(pg_catalog.||) pg_catalog.quote_ident(a.attname) "
      "OPERATOR(pg_catalog.||) ' (' OPERATOR(pg_catalog.||) pg_catalog.format_type(a.atttypid, a.atttypmod) "
      "OPERATOR(pg_catalog.||) ') is not an integer, text under a deterministic collation or uuid' "
      "FROM pg_catalog.pg_attribute a LEFT JOIN pg_catalog.pg_collation co "
      "ON co.oid OPERATOR(pg_catalog.=) a.attcollation "
      "WHERE a.attrelid OPERATOR(pg_catalog.=) c.oid AND a.attnum OPERATOR(pg_catalog.=) ANY (i.indkey) "
      "AND NOT (a.atttypid OPERATOR(pg_catalog.=) ANY "
      "('{int2,int4,int8,text,varchar,uuid}'::pg_catalog.regtype[]::pg_catalog.oid[]) "
      "AND (a.attcollation OPERATOR(pg_catalog.=) 0 OR co.collisdeterministic))) why) END "
      "FROM (SELECT pg_catalog.to_regclass($1) AS oid) r "
      "LEFT JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) r.oid "
      "LEFT JOIN pg_catalog.pg_index i ON i.indrelid OPERATOR(pg_catalog.=) c.oid "
      "AND (i.indisreplident OR (c.relreplident OPERATOR(pg_catalog.=) 'd' AND i.indisprimary))";
  const char* values[] = {table.c_str()};
  ResultPtr r(PQexecParams(conn_, kWhyQuery.c_str(), 1, nullptr, values, nullptr, nullptr, 0));
  if (PQresultStatus(r.get()) != PGRES_TUPLES_OK) fail(r.get(), "reading why " + table + " is not spread");
  stats_.messages++;
  if (PQntuples(r.get()) == 0 || PQgetisnull(r.get(), 0, 0)) return "it does not qualify";
  return PQgetvalue(r.get(), 0, 0);
}

// -v: a table whose row changes stay on the first connection, and why,
// once per table and reason.
void ScriptRunner::report_not_spread(const std::string& table, const std::string& why) {
  if (!not_spread_reported_.insert(table + ": " + why).second) return;
  log_verbose("--jobs: " + table + " stays on one connection: " + why);
}

// The key of the row a statement of a splittable table changes, as COPY
// text fields (the text wal2sql wrote each value as), if the statement is
// a single-row INSERT with every key column, or an UPDATE or DELETE by
// that key (parse_keyed_dml) whose SET has no key column.
bool ScriptRunner::split_key(std::string_view statement, const SplitInfo& info, std::string& key) const {
  key.clear();
  // Each key value as a COPY field (the text of the value), each ended by
  // a newline, which no field holds.
  auto add_field = [&](std::string_view literal) {
    const std::size_t before = key.size();
    if (!scribe::append_copy_field(literal, key) || key.compare(before, std::string::npos, "\\N") == 0) return false;
    key.push_back('\n');
    return true;
  };
  if (starts_with_ci(statement, "INSERT INTO ")) {
    const std::size_t head = scribe::single_row_insert_head(statement);
    const std::string_view table = scribe::dml_target_table(statement);
    if (head == 0 || table.empty()) return false;
    // The column list after "INSERT INTO s.t (": names plain or quoted.
    std::size_t pos = std::strlen("INSERT INTO ") + table.size();
    if (statement.substr(pos, 2) != " (") return false;
    pos += 2;
    std::vector<std::string_view>& columns = split_columns_;
    columns.clear();
    for (;;) {
      const std::size_t start = pos;
      if (!scribe::skip_identifier(statement, pos)) return false;
      if (pos >= statement.size()) return false;
      columns.push_back(statement.substr(start, pos - start));
      if (statement.substr(pos, 2) == ", ") {
        pos += 2;
        continue;
      }
      if (statement[pos] != ')') return false;
      break;
    }
    std::vector<std::string_view>& literals = split_literals_;
    if (!scribe::row_literals(statement.substr(head, statement.size() - head - 1), literals) ||
        literals.size() != columns.size())
      return false;
    for (const std::string& column : info.key_columns) {
      const auto at = std::find(columns.begin(), columns.end(), column);
      if (at == columns.end() || !add_field(literals[static_cast<std::size_t>(at - columns.begin())])) return false;
    }
    return true;
  }
  scribe::KeyedDml& dml = split_dml_;
  if (!scribe::parse_keyed_dml(statement, dml) || dml.key_columns.size() != info.key_columns.size()) return false;
  for (const std::string& column : info.key_columns) {
    const auto at = std::find(dml.key_columns.begin(), dml.key_columns.end(), column);
    if (at == dml.key_columns.end() ||
        !add_field(dml.key_values[static_cast<std::size_t>(at - dml.key_columns.begin())]))
      return false;
  }
  for (const std::string_view column : dml.set_columns)
    if (std::find(info.key_columns.begin(), info.key_columns.end(), column) != info.key_columns.end()) return false;
  return true;
}

// The group's row changes of splittable tables whose every statement names
// its key, spread over the lanes by a hash of the key: what lane 0 gets
// stays in group_tables_, the others' shares are returned (empty: nothing
// to spread).
std::vector<std::vector<ScriptRunner::GroupTable>> ScriptRunner::split_group() {
  const std::size_t lanes = lanes_.size();
  std::vector<std::vector<GroupTable>> shares(lanes - 1);
  bool any = false;
  std::string key;
  std::vector<std::size_t> lane_of;
  for (GroupTable& table : group_tables_) {
    const SplitInfo& info = split_info(table.name);
    if (!info.ok) continue;
    lane_of.clear();
    bool ok = true;
    for (const std::string& statement : table.statements) {
      if (!split_key(statement, info, key)) {
        ok = false;
        if (verbose())
          report_not_spread(
              table.name,
              "in a group, a change did not name its row by the key, or an UPDATE changed the key (that group only)");
        break;
      }
      lane_of.push_back(std::hash<std::string>{}(key) % lanes);
    }
    if (!ok) continue;
    std::vector<std::string> mine;
    for (std::size_t k = 1; k < lanes; k++) shares[k - 1].push_back(GroupTable{table.name, {}});
    for (std::size_t i = 0; i < table.statements.size(); i++) {
      if (lane_of[i] == 0)
        mine.push_back(std::move(table.statements[i]));
      else
        shares[lane_of[i] - 1].back().statements.push_back(std::move(table.statements[i]));
    }
    table.statements = std::move(mine);
    any = true;
  }
  if (!any) return {};
  return shares;
}

// Builds for lane `lane` from now on: its own message and batcher (the
// first lane's are kept aside meanwhile). Called with nothing unsent.
void ScriptRunner::switch_lane(std::size_t lane) {
  if (lane == lane_) return;
  std::swap(batch_, lane_batch_);
  std::swap(batch_txs_, lane_txs_);
  std::swap(batcher_, lane_batcher_);
  lane_ = lane;
}

// Drops what is queued and waits for the jobs running, if any (the reader
// failed, or the runner is done); a lane waiting at a barrier gives up.
void ScriptRunner::stop_executor() noexcept {
  if (lanes_.empty()) return;
  {
    std::lock_guard<std::mutex> lock(executor_mutex_);
    executor_stop_ = true;
    for (auto& lane : lanes_) {
      lane->jobs.clear();
      lane->queued_bytes = 0;
    }
  }
  executor_cv_.notify_all();
  for (auto& lane : lanes_)
    if (lane->thread.joinable()) lane->thread.join();
}

void ScriptRunner::run_alone(std::string_view sql) {
  send_batch();
  wait_for_results();
  refuse_nul(sql);
  ResultPtr r(PQexec(conn_, std::string(sql).c_str()));
  const ExecStatusType status = PQresultStatus(r.get());
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK && status != PGRES_EMPTY_QUERY)
    fail(r.get(), tx_open_ ? "in " + describe(open_tx_) : "statement " + first_line(sql));
  stats_.messages++;
}

void ScriptRunner::on_statement(const scribe::DiffStatement& statement) {
  if (done()) return;
  const std::string_view text = window_text(statement.start, statement.end);
  consumed_ = statement.end;
  stats_.statements++;
  switch (kind_) {
    case Kind::kGlobals:
      globals_statement(text);
      return;
    case Kind::kDump:
      if (starts_with_ci(text, "COPY ")) {
        run_copy(text);
        return;
      }
      if (early_acls_applied_ && acl_entries_.is_acl_statement(text)) return;  // ran before the data
      if (confined_ && confine_foreign_key(text)) return;
      if (statements_alone_) {
        run_alone(text);
        return;
      }
      batch_.append(text.data(), text.size());
      batch_.push_back('\n');
      if (batch_.size() >= kSendBytes) send_batch();
      return;
    case Kind::kDiff:
      break;
  }
  if (statement.in_transaction && !tx_open_) {
    // BEGIN; of the next transaction: its header says when it committed.
    const scribe::DiffTransaction* tx = scanner_.open_transaction();
    open_tx_ = tx != nullptr ? *tx : scribe::DiffTransaction{};
    if (target_.kind != StopTarget::Kind::kNone) {
      bool beyond;
      if (target_.kind == StopTarget::Kind::kLsn) {
        if (open_tx_.commit_lsn == 0)
          throw ApplyError("cannot apply --up-to to " + file_name_ + ": a transaction has no header",
                           scribe::sqlstate::kDataCorrupted,
                           "The transaction starts at byte " + std::to_string(statement.start) + ".", {});
        beyond = open_tx_.commit_lsn > target_.lsn;
      } else {
        const auto when = parse_commit_time(open_tx_.commit_time);
        if (!when)
          throw ApplyError("cannot apply --up-to to " + file_name_ + ": a transaction has no valid commit time",
                           scribe::sqlstate::kDataCorrupted,
                           "The transaction starts at byte " + std::to_string(statement.start) + ".", {});
        beyond = *when > target_.unix_micros;
      }
      if (beyond) {
        stats_.reached_target = true;
        return;
      }
    }
    if (grouping_ && !fire_triggers_) {
      // Held until its COMMIT shows whether it is only row changes.
      tx_open_ = true;
      tx_buffered_ = true;
      tx_begin_.assign(text.data(), text.size());
      tx_statements_.clear();
      tx_bytes_ = 0;
      return;
    }
    start_transaction(text);
    return;
  }
  if (tx_buffered_ && statement.in_transaction) {
    if (statement_is(text, "COMMIT")) {
      tx_buffered_ = false;
      tx_grouped_ = true;  // joins the group when the scanner reports the transaction
      return;
    }
    if (!scribe::dml_target_table(text).empty() && tx_bytes_ + text.size() <= kHoldBytes) {
      tx_statements_.emplace_back(text);
      tx_bytes_ += text.size();
      return;
    }
    // DDL, or anything else that is not a row change, or a transaction
    // too big to hold: it runs as it came, after the group before it.
    ungroup_open_transaction();
  }
  if (!statement.in_transaction) {
    flush_group();
    // The session settings other lanes need (see flush_group).
    if ((starts_with_ci(text, "SET ") && !starts_with_ci(text, "SET ROLE ") && !starts_with_ci(text, "SET SESSION ")) ||
        starts_with_ci(text, "SELECT pg_catalog.set_config(")) {
      session_sql_.append(text.data(), text.size()).push_back('\n');
      session_version_++;
    } else {
      split_ok_ = false;
    }
    batcher_.flush(batch_);
    batch_.append(text.data(), text.size());
    batch_.push_back('\n');
    if (batch_.size() >= kSendBytes) send_batch();
    return;
  }
  transaction_statement(text);
}

void ScriptRunner::start_transaction(std::string_view begin) {
  batcher_.flush(batch_);
  tx_open_ = true;
  tx_partly_sent_ = false;
  non_transactional_ = false;
  batch_tx_start_ = batch_.size();
  batch_.append(begin.data(), begin.size());
  batch_.push_back('\n');
}

void ScriptRunner::ungroup_open_transaction() {
  flush_group();
  tx_buffered_ = false;
  start_transaction(tx_begin_);
  for (const std::string& held : tx_statements_) transaction_statement(held);
  tx_statements_.clear();
}

// The group's transactions as one: BEGIN, each table's row changes in
// their order, COMMIT. The same rows as applying them one transaction
// after another, because
//  - only transactions made of INSERT INTO/UPDATE ONLY/DELETE FROM ONLY
//    s.t join a group (DDL, TRUNCATE, large objects, trigger switches and
//    anything else end it and run as they came), so no table changes
//    shape, name or constraints within it;
//  - each row is named by one table: wal2sql writes changes to the leaf
//    partition or inheritance child that holds the row, with ONLY;
//  - each table's changes keep their order, so each row, and each unique
//    or exclusion constraint (they are per table), sees the same sequence
//    of states as at the source;
//  - nothing observes another table in between: replay runs with
//    session_replication_role = replica, so foreign keys are not checked
//    and triggers do not fire (set_fire_triggers turns grouping off), and
//    deferred constraints are checked at the group's COMMIT, on the state
//    the group's last transaction committed at the source.
// A --up-to target is a transaction boundary of the file, checked before a
// transaction joins a group. A failed group rolls back whole: the restore
// reports the last transaction of the last group committed.
void ScriptRunner::flush_group() {
  if (group_.count == 0) return;
  if (update_unsafe_stale_) {
    // DDL since the constraints were read: read them again once it has
    // run (a group holds no DDL, so they stay true for the group).
    bool updates = false;
    for (const GroupTable& table : group_tables_)
      for (const std::string& statement : table.statements) updates = updates || starts_with_ci(statement, "UPDATE ");
    if (updates) {
      send_batch();
      wait_for_results();
      read_update_unsafe();
      batcher_.set_merge(scribe::DmlBatcher::kMergeAll, batch_);
      update_unsafe_stale_ = false;
    }
  }
  std::vector<std::vector<GroupTable>> shares;
  if (lanes_.size() > 1 && split_ok_) shares = split_group();
  // The transaction being read, if any, comes after the group.
  const scribe::DiffTransaction reading = open_tx_;
  const bool reading_open = tx_open_;
  start_transaction("BEGIN;");
  open_tx_ = group_.tx;
  flushing_group_ = true;
  for (const GroupTable& table : group_tables_) apply_group_table(table);
  if (shares.empty()) {
    transaction_statement("COMMIT;");
    batch_txs_.push_back(group_);
  } else {
    // Every lane runs its share in a transaction; they commit once all
    // have run it (a failure rolls every share back), and the next work
    // of any lane starts once all have committed.
    stats_.groups_spread++;
    const auto all_ran = std::make_shared<Barrier>(), all_committed = std::make_shared<Barrier>();
    all_ran->parties = all_committed->parties = lanes_.size();
    send_batch();
    enqueue_barrier(all_ran);
    transaction_statement("COMMIT;");
    batch_txs_.push_back(group_);
    send_batch();
    enqueue_barrier(all_committed);
    for (std::size_t lane = 1; lane < lanes_.size(); lane++) {
      switch_lane(lane);
      batcher_ = lane_batcher_;  // lane 0's (set aside), flushed: the same merging
      const std::uint64_t merged_before = batcher_.rows_merged();
      if (lanes_[lane]->session_version != session_version_) {
        // The file's session settings, on top of the restore's.
        batch_.append("RESET ALL;\nSET synchronous_commit = off;\n").append(session_sql_);
        lanes_[lane]->session_version = session_version_;
      }
      batch_.append("BEGIN;\n");
      for (const GroupTable& table : shares[lane - 1]) apply_group_table(table);
      send_batch();
      enqueue_barrier(all_ran);
      batch_.append("COMMIT;\n");
      batch_txs_.push_back(Pending{group_.tx, group_.first, 0});  // counted by lane 0
      send_batch();
      enqueue_barrier(all_committed);
      lane_rows_merged_ += batcher_.rows_merged() - merged_before;
      switch_lane(0);
    }
  }
  flushing_group_ = false;
  open_tx_ = reading;
  tx_open_ = reading_open;
  group_ = Pending{{}, {}, 0};
  group_tables_.clear();
  group_table_index_.clear();
  group_bytes_ = 0;
  if (batch_.size() >= kSendBytes) send_batch();
}

// One table's row changes of a group, in order. A run of at least
// kCopyMinRows single-row INSERTs with the same columns goes as one COPY:
// the server then reads each value with the column's input function, as it
// reads the INSERT's literal, without parsing, analysing and planning a
// VALUES list (the largest part of an INSERT's cost, see BENCHMARKS.md).
// Not for a confined table: a COPY cannot run inside the run-as function.
void ScriptRunner::apply_group_table(const GroupTable& table) {
  const std::vector<std::string>& statements = table.statements;
  // Each statement's INSERT head is read once (the statement that ends a
  // run starts the next).
  std::size_t head_at = statements.size(), head_of_at = 0;
  const auto head_of = [&](std::size_t k) {
    if (k != head_at) {
      head_at = k;
      head_of_at = scribe::single_row_insert_head(statements[k]);
    }
    return head_of_at;
  };
  std::size_t i = 0;
  while (i < statements.size()) {
    const std::size_t head = head_of(i);
    std::size_t end = i + 1;
    if (head != 0) {
      const std::string_view head_text = std::string_view(statements[i]).substr(0, head);
      while (end < statements.size() && std::string_view(statements[end]).substr(0, head) == head_text &&
             head_of(end) == head)
        end++;
    }
    if (end - i >= kCopyMinRows && copy_rows(table.name, statements, i, end, head)) {
      i = end;
      continue;
    }
    if (head == 0 && update_by_copy(table.name, statements, i, end)) {
      i = end;
      continue;
    }
    for (; i < end; i++) transaction_statement(statements[i]);
  }
}

// A run of UPDATEs by key of kCopyMinRows rows or more: the rows' new
// values go by COPY into a temporary table of the key and SET columns,
// made from the table's own columns (so COPY reads each value with the
// column's input function and checks its domain, as "SET c = <literal>"
// does), and one UPDATE joins it by key with pg_catalog's equality, by
// index lookups as the single-row UPDATEs would. The same rows as the
// statements one by one, for the reasons DmlBatcher's merged UPDATE gives;
// not for a table with another immediate UNIQUE or EXCLUDE constraint (nor
// after DDL until the constraints are read again), nor for a confined table.
bool ScriptRunner::update_by_copy(const std::string& table, const std::vector<std::string>& statements,
                                  std::size_t from, std::size_t& end) {
  if ((batcher_.merge() & scribe::DmlBatcher::kMergeUpdates) == 0 || update_unsafe_.count(table) != 0) return false;
  scribe::UpdateRun run;
  if (!scribe::collect_update_run(statements, from, run) || run.table != table) return false;
  // The caller applies a shorter run as it is, all of it: collecting it
  // again from its next statement would cost the square of its length.
  end = run.end;
  if (run.rows < kCopyMinRows) return false;
  if (confined_) {
    auto found = table_owners_.find(table);
    if (found == table_owners_.end()) found = table_owners_.emplace(table, lookup(kTableOwnerQuery, table)).first;
    if (!found->second.oid.empty() && !found->second.trusted) return false;
  }
  std::string columns;
  for (const auto* list : {&run.key_columns, &run.set_columns})
    for (const std::string& column : *list) columns.append(columns.empty() ? "" : ", ").append(column);
  const std::string rows = "pg_temp.pg_scribe_rows_" + std::to_string(++temp_tables_);
  batcher_.flush(batch_);
  batch_.append("CREATE TEMPORARY TABLE " + rows + " ON COMMIT DROP AS SELECT " + columns + " FROM ONLY " + table +
                " WITH NO DATA;\n");
  refuse_nul(run.copy_data);
  copy_in("COPY " + rows + " (" + columns + ") FROM STDIN", std::move(run.copy_data), false);
  // A nested loop over the rows with an index lookup each: the planner
  // knows nothing of the new table's size.
  batch_.append("SET LOCAL enable_hashjoin = off;\nSET LOCAL enable_mergejoin = off;\nUPDATE ONLY " + table +
                " AS pg_scribe_t SET ");
  for (std::size_t i = 0; i < run.set_columns.size(); i++)
    batch_.append(i > 0 ? ", " : "").append(run.set_columns[i]).append(" = pg_scribe_v.").append(run.set_columns[i]);
  batch_.append(" FROM " + rows + " AS pg_scribe_v WHERE ");
  for (std::size_t i = 0; i < run.key_columns.size(); i++)
    batch_.append(i > 0 ? " AND " : "")
        .append("pg_scribe_t.")
        .append(run.key_columns[i])
        .append(" OPERATOR(pg_catalog.=) pg_scribe_v.")
        .append(run.key_columns[i]);
  batch_.append(";\nRESET enable_hashjoin;\nRESET enable_mergejoin;\nDROP TABLE " + rows + ";\n");
  end = run.end;
  return true;
}

// COPY `data` (text format lines) with `copy`, after everything built so
// far has run; its rows count as the stream's when `count`.
void ScriptRunner::copy_in(const std::string& copy, std::string data, bool count) {
  send_batch();  // groups are diffs': they have lanes
  Job job;
  job.copy = true;
  job.sql = copy;
  job.copy_data = std::move(data);
  job.count_rows = count;
  job.where = "in " + describe(group_);
  enqueue(std::move(job));
  stats_.messages++;
}

bool ScriptRunner::copy_rows(const std::string& table, const std::vector<std::string>& statements, std::size_t from,
                             std::size_t to, std::size_t head) {
  if (confined_) {
    auto found = table_owners_.find(table);
    if (found == table_owners_.end()) found = table_owners_.emplace(table, lookup(kTableOwnerQuery, table)).first;
    if (!found->second.oid.empty() && !found->second.trusted) return false;
  }
  const std::string copy = scribe::copy_statement_for_insert(statements[from]);
  if (copy.empty()) return false;
  std::string data;
  for (std::size_t i = from; i < to; i++) {
    const std::string& statement = statements[i];
    const std::string_view row = std::string_view(statement).substr(head, statement.size() - head - 1);
    if (!scribe::append_copy_line(row, data)) return false;
  }
  refuse_nul(data);
  copy_in(copy, std::move(data), true);
  return true;  // the rows are in stats_.copy_rows, added to stats_.rows at the end
}

// The first UPDATE or DELETE of a table that finds its row by all its
// columns (wal2sql's "ctid OPERATOR(pg_catalog.=) (SELECT ctid FROM ONLY
// s.t WHERE ..."): the hook may build an index for those lookups now, on
// the rows the table has by then; a table that only ever gets INSERTs
// (a log, pgbench_history) then pays for no index.
void ScriptRunner::note_full_identity(std::string_view text) {
  if (!full_identity_hook_ || !(starts_with_ci(text, "UPDATE ONLY ") || starts_with_ci(text, "DELETE FROM ONLY ")))
    return;
  const std::string_view table = scribe::dml_target_table(text);
  // A table's first UPDATE or DELETE tells how all of them find their row
  // (until DDL, which forgets what was seen).
  if (table.empty() || full_identity_seen_.find(table) != full_identity_seen_.end()) return;
  full_identity_seen_.emplace(table);
  const std::string lookup = "ctid OPERATOR(pg_catalog.=) (SELECT ctid FROM ONLY " + std::string(table) + " WHERE ";
  if (text.find(lookup) == std::string_view::npos) return;
  close_confined_group();
  send_batch();
  wait_for_results();
  full_identity_hook_(std::string(table));
}

void ScriptRunner::transaction_statement(std::string_view text) {
  note_full_identity(text);
  // Inside a transaction. A statement that cannot run in a transaction
  // block (CREATE INDEX CONCURRENTLY, ...) is written between END; and
  // START TRANSACTION;: those run alone, as psql would run them.
  if (non_transactional_) {
    table_owners_.clear();
    split_info_.clear();  // DDL (under SET ROLE, as psql runs it: a function cannot)
    run_alone(text);
    if (statement_is(text, "START TRANSACTION")) non_transactional_ = false;
    return;
  }
  const bool trigger_switch = scribe::is_trigger_switch(text);
  if (trigger_switch && fire_triggers_) return;
  // DDL in the stream (anything but DML in a transaction) may add
  // constraints the check above did not see: no merged UPDATE after it.
  if (!update_unsafe_stale_ && !trigger_switch && !starts_with_ci(text, "INSERT ") &&
      !starts_with_ci(text, "UPDATE ") && !starts_with_ci(text, "DELETE ") && !statement_is(text, "COMMIT")) {
    update_unsafe_stale_ = true;
    full_identity_seen_.clear();
    split_info_.clear();
    close_confined_group();
    batcher_.set_merge(scribe::DmlBatcher::kMergeInserts | scribe::DmlBatcher::kMergeDeletes, batch_);
  }
  if (confined_ && confine_statement(text)) {
    if (group_sql_.size() >= kConfinedGroupBytes) close_confined_group();
    if (batch_.size() + group_sql_.size() >= kSendBytes) send_batch();
    return;
  }
  if (statement_is(text, "END")) {
    run_alone(text);
    non_transactional_ = true;
    return;
  }
  batcher_.add(text, batch_);
  if (batch_.size() >= kSendBytes) send_batch();
}

ScriptRunner::RoleInfo ScriptRunner::lookup(const char* sql, std::string_view key) {
  // The statements before this one may create the table or the role.
  send_batch();
  wait_for_results();
  const std::string param(key);
  const char* values[] = {param.c_str()};
  ResultPtr r(PQexecParams(conn_, sql, 1, nullptr, values, nullptr, nullptr, 0));
  if (PQresultStatus(r.get()) != PGRES_TUPLES_OK) fail(r.get(), "looking up the owner of " + param);
  stats_.messages++;
  RoleInfo info;
  if (PQntuples(r.get()) == 1) {
    info.oid = PQgetvalue(r.get(), 0, 0);
    info.trusted = std::string(PQgetvalue(r.get(), 0, 1)) == "t";
    if (PQnfields(r.get()) == 10) {
      info.not_owner = std::string(PQgetvalue(r.get(), 0, 2)) == "t";
      // Names come quoted by the server (quote_ident).
      const std::string privileges = PQgetvalue(r.get(), 0, 3);
      const std::string schema = PQgetvalue(r.get(), 0, 5), table = PQgetvalue(r.get(), 0, 6),
                        owner = PQgetvalue(r.get(), 0, 7);
      if (!privileges.empty()) {
        info.grant += "GRANT " + privileges + " ON TABLE " + schema + "." + table + " TO " + owner + ";\n";
        info.revoke += "REVOKE " + privileges + " ON TABLE " + schema + "." + table + " FROM " + owner + ";\n";
      }
      if (std::string(PQgetvalue(r.get(), 0, 4)) == "t") {
        info.grant += "GRANT USAGE ON SCHEMA " + schema + " TO " + owner + ";\n";
        info.revoke += "REVOKE USAGE ON SCHEMA " + schema + " FROM " + owner + ";\n";
      }
      info.grant += PQgetvalue(r.get(), 0, 8);
      info.revoke += PQgetvalue(r.get(), 0, 9);
    }
  }
  return info;
}

// Row changes of a table that a role other than a superuser owns run as
// the owner, and captured DDL that such a role ran as that role, through
// the session's run-as function; runs of them for one role go in one call.
// What reaches the server otherwise (the transaction frame, the trigger
// switches, search_path settings, TRUNCATE, DDL of superusers) runs no
// code of another role: TRUNCATE's triggers are switched off like the
// others, and PostgreSQL itself builds indexes and refreshes materialized
// views as their owner, restricted.
bool ScriptRunner::confine_statement(std::string_view text) {
  using scribe::dml_target_table;
  using scribe::parse_set_role;
  std::string role;
  if (parse_set_role(text, role)) {
    close_confined_group();
    const RoleInfo info = lookup(
        "SELECT oid, rolsuper OR rolname OPERATOR(pg_catalog.=) current_user FROM pg_catalog.pg_roles "
        "WHERE rolname OPERATOR(pg_catalog.=) $1",
        role);
    table_owners_.clear();
    split_info_.clear();  // the DDL may create tables or change owners
    ddl_role_open_ = true;
    ddl_confined_ = !info.oid.empty() && !info.trusted;
    ddl_role_ = info.oid;
    return ddl_confined_;  // a trusted role's SET ROLE goes through as it is
  }
  if (ddl_role_open_) {
    if (statement_is(text, "RESET ROLE")) {
      ddl_role_open_ = false;
      // Everything between SET ROLE and RESET ROLE in one call: settings
      // the replay makes for the statement (default_tablespace, ...) last
      // until the call ends, and are undone then.
      if (ddl_confined_ && !ddl_group_.empty()) append_run_as(ddl_role_, ddl_group_);
      ddl_group_.clear();
      return ddl_confined_;
    }
    if (!ddl_confined_) return false;
    if (ddl_group_.empty()) {
      close_confined_group();
      batcher_.flush(batch_);
    }
    ddl_group_.append(without_refresh_concurrently(text));
    ddl_group_.push_back('\n');
    return true;
  }
  const std::string_view table = dml_target_table(text);
  if (table.empty()) {
    // Fail closed: a row change whose table cannot be told would run as
    // the restorer. wal2sql writes none.
    if (scribe::looks_like_dml(text))
      throw ApplyError("refusing to apply " + file_name_ + ": cannot tell which table a row change writes",
                       scribe::sqlstate::kInsufficientPrivilege, "Statement: " + first_line(text) + ".",
                       "pg_scribe --restore runs each row change as its table's owner; this statement is not in the "
                       "form wal2sql writes. Inspect the file.");
    close_confined_group();
    return false;
  }
  auto found = table_owners_.find(table);
  if (found == table_owners_.end()) {
    const RoleInfo info = lookup(kTableOwnerQuery, table);
    found = table_owners_.emplace(std::string(table), info).first;
  }
  // A table that does not exist (the statement fails as it would anyway)
  // or that a trusted role owns: as it is.
  if (found->second.oid.empty() || found->second.trusted) {
    close_confined_group();
    return false;
  }
  if (group_role_ != found->second.oid) {
    close_confined_group();
    batcher_.flush(batch_);
    group_role_ = found->second.oid;
  }
  // The change was made at the source by a role with the rights it needed,
  // not necessarily by the owner, who may lack some (it revoked them from
  // itself, or the schema's owner did): they are granted to the owner for
  // the group's call and revoked right after, in the same transaction, so
  // nothing an owner does to its own rights stops a restore and the
  // restored privileges are the source's. GRANT and REVOKE run no code of
  // any role.
  if (!found->second.grant.empty() && group_granted_.insert(found->first).second) {
    batch_.append(found->second.grant);
    group_revokes_.append(found->second.revoke);
  }
  batcher_.add(text, group_sql_);
  // One SPI call runs the group and reports no row counts: each row change
  // of the stream changes one row.
  stats_.rows++;
  return true;
}

// `sql` run as the role of OID `role_oid` (a number the server gave) by
// the session's run-as function; the text goes as a literal.
void ScriptRunner::append_run_as(const std::string& role_oid, std::string_view sql) {
  batch_.append("SELECT ");
  batch_.append(kRunAsFunction);
  batch_.append("(" + role_oid + "::pg_catalog.oid, ");
  scribe::append_literal(batch_, sql);
  batch_.append(");\n");
}

void ScriptRunner::close_confined_group() {
  if (group_role_.empty()) return;
  batcher_.flush(group_sql_);
  append_run_as(group_role_, group_sql_);
  batch_.append(group_revokes_);
  group_sql_.clear();
  group_role_.clear();
  group_revokes_.clear();
  group_granted_.clear();
}

void ScriptRunner::on_transaction(const scribe::DiffTransaction& tx) {
  if (kind_ != Kind::kDiff || done() || !tx_open_) return;
  tx_open_ = false;
  if (tx_grouped_) {
    tx_grouped_ = false;
    if (group_.count == 0) group_.first = tx;
    group_.tx = tx;
    group_.count++;
    for (std::string& statement : tx_statements_) {
      const std::string_view table = scribe::dml_target_table(statement);
      auto found = group_table_index_.find(table);
      if (found == group_table_index_.end()) {
        found = group_table_index_.emplace(std::string(table), group_tables_.size()).first;
        group_tables_.push_back(GroupTable{found->first, {}});
      }
      group_bytes_ += statement.size();
      group_tables_[found->second].statements.push_back(std::move(statement));
    }
    tx_statements_.clear();
    if (group_bytes_ >= kGroupBytes || group_.count >= kGroupTransactions) flush_group();
    return;
  }
  batch_txs_.push_back(Pending{tx, tx, 1});
  if (batch_.size() >= kSendBytes) send_batch();
}

void ScriptRunner::run_copy(std::string_view statement) {
  send_batch();
  wait_for_results();
  refuse_nul(statement);
  if (confined_ && confine_copy(statement)) return;
  ResultPtr r(PQexec(conn_, std::string(statement).c_str()));
  stats_.messages++;
  switch (PQresultStatus(r.get())) {
    case PGRES_COPY_IN:
      scanner_.begin_copy_data();
      in_copy_ = true;
      copy_started_ = false;
      copy_sent_ = consumed_;
      return;
    case PGRES_COMMAND_OK:
      stats_.copy_rows += std::strtoull(PQcmdTuples(r.get()), nullptr, 10);
      return;
    case PGRES_COPY_OUT: {
      char* buffer = nullptr;
      while (PQgetCopyData(conn_, &buffer, 0) > 0) PQfreemem(buffer);
      while (PGresult* rest = PQgetResult(conn_)) PQclear(rest);
      return;
    }
    default:
      fail(r.get(), "statement " + first_line(statement));
  }
}

// The base's COPY into a table that a role other than a superuser owns
// evaluates that role's code for every row (CHECK constraints, stored
// generated columns, domain checks, partition constraints): it runs as the
// owner, confined, through the copy-as function, which reads the data from
// its argument. A COPY not in pg_dump's form goes that way too (fail
// closed), its data in one call.
// A foreign key the base adds to a table that a role other than a
// superuser owns. PostgreSQL validates it with one query run as the
// current user (RI_Initial_Check), which applies any implicit cast from
// the referencing column's type to the referenced key's, and an owner of
// a type may create such a cast: as the restorer, that would run the
// owner's code with the restorer's rights. It runs as the table's owner,
// confined, through the run-as function. The query needs SELECT on both
// tables and USAGE on their schemas (without SELECT PostgreSQL would check
// row by row as the referenced table's owner instead), and adding the key
// REFERENCES on the referenced table: those the owner lacks are granted
// for the call and revoked right after, in the same transaction (one
// message), so the restored privileges are the source's.
bool ScriptRunner::confine_foreign_key(std::string_view text) {
  std::string_view table, referenced;
  if (!parse_dump_foreign_key(text, table, referenced)) return false;
  const RoleInfo owner = lookup(kTableOwnerQuery, table);
  // A superuser's table with another role's code runs its row changes as
  // that role, but ALTER TABLE needs the owner: as it is (open gap F2 on a
  // superuser's table, see README).
  if (owner.oid.empty() || owner.trusted || owner.not_owner) return false;
  static const char* const kLendQuery =
      "SELECT pg_catalog.string_agg(g, ''), pg_catalog.string_agg(rv, '') FROM ("
      "SELECT 'GRANT ' OPERATOR(pg_catalog.||) p.priv OPERATOR(pg_catalog.||) ' ON TABLE ' "
      "OPERATOR(pg_catalog.||) pg_catalog.quote_ident(n.nspname) OPERATOR(pg_catalog.||) '.' "
      "OPERATOR(pg_catalog.||) pg_catalog.quote_ident(c.relname) OPERATOR(pg_catalog.||) ' TO ' "
      "OPERATOR(pg_catalog.||) pg_catalog.quote_ident(r.rolname) OPERATOR(pg_catalog.||) E';\\n' AS g, "
      "'REVOKE ' OPERATOR(pg_catalog.||) p.priv OPERATOR(pg_catalog.||) ' ON TABLE ' "
      "OPERATOR(pg_catalog.||) pg_catalog.quote_ident(n.nspname) OPERATOR(pg_catalog.||) '.' "
      "OPERATOR(pg_catalog.||) pg_catalog.quote_ident(c.relname) OPERATOR(pg_catalog.||) ' FROM ' "
      "OPERATOR(pg_catalog.||) pg_catalog.quote_ident(r.rolname) OPERATOR(pg_catalog.||) E';\\n' AS rv "
      "FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace "
      "JOIN pg_catalog.pg_roles r ON r.oid OPERATOR(pg_catalog.=) $1::pg_catalog.oid "
      "CROSS JOIN (VALUES ('SELECT', 1), ('SELECT', 2), ('REFERENCES', 2)) p(priv, which) "
      "WHERE c.oid OPERATOR(pg_catalog.=) pg_catalog.to_regclass(CASE WHEN p.which OPERATOR(pg_catalog.=) 1 THEN $2 "
      "ELSE $3 END) "
      "AND NOT pg_catalog.has_table_privilege(r.oid, c.oid, p.priv) "
      "UNION SELECT 'GRANT USAGE ON SCHEMA ' OPERATOR(pg_catalog.||) pg_catalog.quote_ident(n.nspname) "
      "OPERATOR(pg_catalog.||) ' TO ' OPERATOR(pg_catalog.||) pg_catalog.quote_ident(r.rolname) "
      "OPERATOR(pg_catalog.||) E';\\n', "
      "'REVOKE USAGE ON SCHEMA ' OPERATOR(pg_catalog.||) pg_catalog.quote_ident(n.nspname) "
      "OPERATOR(pg_catalog.||) ' FROM ' OPERATOR(pg_catalog.||) pg_catalog.quote_ident(r.rolname) "
      "OPERATOR(pg_catalog.||) E';\\n' "
      "FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace "
      "JOIN pg_catalog.pg_roles r ON r.oid OPERATOR(pg_catalog.=) $1::pg_catalog.oid "
      "WHERE c.oid OPERATOR(pg_catalog.=) ANY (ARRAY[pg_catalog.to_regclass($2), pg_catalog.to_regclass($3)]) "
      "AND NOT pg_catalog.has_schema_privilege(r.oid, n.oid, 'USAGE')) lend";
  const std::string table_text(table), referenced_text(referenced);
  const char* values[] = {owner.oid.c_str(), table_text.c_str(), referenced_text.c_str()};
  ResultPtr r(PQexecParams(conn_, kLendQuery, 3, nullptr, values, nullptr, nullptr, 0));
  if (PQresultStatus(r.get()) != PGRES_TUPLES_OK) fail(r.get(), "reading the rights of the owner of " + table_text);
  stats_.messages++;
  batch_.append(PQgetvalue(r.get(), 0, 0));
  append_run_as(owner.oid, text);
  batch_.append(PQgetvalue(r.get(), 0, 1));
  if (batch_.size() >= kSendBytes) send_batch();
  return true;
}

bool ScriptRunner::confine_copy(std::string_view statement) {
  const std::string_view table = scribe::copy_target_table(statement);
  copy_role_ = "0";  // a COPY not in pg_dump's form: as its table's owner
  if (!table.empty()) {
    const RoleInfo info = lookup(kTableOwnerQuery, table);
    // No such table (the COPY fails as it would) or nothing to confine.
    if (info.oid.empty() || info.trusted) return false;
    copy_role_ = info.oid;
  }
  apply_early_acls();
  if (!table.empty() && lend_rights_) lend_copy_rights(table, lent_revokes_);
  copy_confined_ = true;
  copy_chunked_ = !table.empty();
  copy_statement_.assign(statement);
  scanner_.begin_copy_data();
  in_copy_ = true;
  copy_started_ = false;
  copy_sent_ = consumed_;
  return true;
}

// The rights the owner of `table` lacks for its COPY (on the table, its
// schema, the functions its checks, defaults and generated columns call,
// the schemas of its columns' types), as the source's privileges stand
// once the early ACLs ran: granted now, their REVOKEs appended to
// `revokes` for after the base (the indexes built as the owner need them
// too). At the source the rows were written by roles that had them; an
// owner that revoked its own rights must not stop the restore (rule 1),
// and the restored privileges stay the source's. GRANT and REVOKE run no
// role's code. Once per table.
void ScriptRunner::lend_copy_rights(std::string_view table, std::string& revokes) {
  if (!lent_tables_.emplace(table).second) return;
  const RoleInfo info = lookup(kTableOwnerQuery, table);
  if (info.oid.empty() || info.trusted || info.grant.empty()) return;
  run_alone(info.grant);
  revokes += info.revoke;
}

std::string ScriptRunner::lend_copy_rights(const std::vector<std::string>& tables) {
  std::string revokes;
  for (const std::string& table : tables) lend_copy_rights(table, revokes);
  return revokes;
}

void ScriptRunner::apply_early_acls() {
  if (early_acls_asked_ || !early_acls_) return;
  early_acls_asked_ = true;
  const std::string acls = early_acls_();
  if (acls.empty()) return;
  refuse_nul(acls);
  run_alone("SAVEPOINT pg_scribe_early_acls");
  // pg_dump's grants by another grantor are each wrapped in SET/RESET
  // SESSION AUTHORIZATION; the RESET also ends a block the file cut short.
  ResultPtr r(PQexec(conn_, (acls + "\nRESET SESSION AUTHORIZATION;").c_str()));
  stats_.messages++;
  if (PQresultStatus(r.get()) != PGRES_COMMAND_OK && PQresultStatus(r.get()) != PGRES_TUPLES_OK) {
    // They run again in their place after the data; only the owners' code
    // in the COPYs lacks them until then.
    log_warning("could not grant the base's privileges before its data: " + field(r.get(), PG_DIAG_MESSAGE_PRIMARY),
                "The COPY of each table runs as its owner; code that needs a privilege granted in the base may "
                "fail until the privileges are restored after the data.",
                {});
    run_alone("ROLLBACK TO SAVEPOINT pg_scribe_early_acls");
    run_alone("RELEASE SAVEPOINT pg_scribe_early_acls");
    return;
  }
  run_alone("RELEASE SAVEPOINT pg_scribe_early_acls");
  // Not twice: REVOKE from an owner whose grant options others now hold
  // would fail ("dependent privileges exist").
  early_acls_applied_ = true;
}

// Sends the confined COPY's data from copy_sent_ to `upto` (whole lines)
// in one call of the copy-as function, once the previous call is done.
void ScriptRunner::send_copy_chunk(std::uint64_t upto) {
  wait_for_copy_chunk();
  const std::uint64_t n = upto - copy_sent_;
  if (n > kCopyCallMaxBytes)
    throw ApplyError("cannot apply " + file_name_ + ": the data of a COPY not in pg_dump's form is too large",
                     scribe::sqlstate::kProgramLimitExceeded, "Statement: " + first_line(copy_statement_) + ".",
                     "Such a COPY runs confined in one call, of at most 1 GB. Inspect the file.");
  static const std::string sql = "SELECT " + std::string(kCopyAsFunction) + "($1, $2, $3)";
  const Oid types[] = {26 /* oid */, 25 /* text */, 17 /* bytea */};
  const char* values[] = {copy_role_.c_str(), copy_statement_.c_str(), window_.data() + (copy_sent_ - window_base_)};
  const int lengths[] = {0, 0, static_cast<int>(n)};
  const int formats[] = {0, 0, 1};
  if (PQsendQueryParams(conn_, sql.c_str(), 3, types, values, lengths, formats, 0) == 0) fail(nullptr, "COPY data");
  copy_chunk_in_flight_ = true;
  copy_sent_ = upto;
  stats_.messages++;
}

// Reads every result of what was sent on `conn`; `rows_of` gives the rows
// a result copied, or nothing when it is an error; returns the rows. The first error fails the
// restore, once all results are read (libpq needs them read).
std::uint64_t ScriptRunner::drain_copy_results(PGconn* conn,
                                               const std::function<std::optional<std::uint64_t>(PGresult*)>& rows_of,
                                               const std::string& what) {
  PGresult* error = nullptr;
  std::uint64_t copied = 0;
  while (PGresult* r = PQgetResult(conn)) {
    if (const std::optional<std::uint64_t> rows = rows_of(r)) {
      copied += *rows;
      PQclear(r);
    } else if (error == nullptr) {
      error = r;
    } else {
      PQclear(r);
    }
  }
  if (error != nullptr) {
    ResultPtr keep(error);
    fail(conn, error, what);
  }
  return copied;
}

void ScriptRunner::wait_for_copy_chunk() {
  if (!copy_chunk_in_flight_) return;
  copy_chunk_in_flight_ = false;
  // copy_as returns the rows it copied.
  stats_.copy_rows += drain_copy_results(
      conn_,
      [](PGresult* r) {
        return PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1
                   ? std::optional<std::uint64_t>(std::strtoull(PQgetvalue(r, 0, 0), nullptr, 10))
                   : std::nullopt;
      },
      "COPY data of " + first_line(copy_statement_));
}

void ScriptRunner::put_copy_data(std::uint64_t upto) {
  if (!copy_started_) {
    // The data begins on the line after the COPY statement.
    if (!scanner_.in_copy_data() || scanner_.copy_data_flushable_end() <= scanner_.copy_data_start()) return;
    copy_sent_ = scanner_.copy_data_start();
    copy_started_ = true;
  }
  if (copy_confined_) {
    // `upto` is the start of a line: what is before it is whole rows.
    if (copy_chunked_ && upto - copy_sent_ >= kCopyChunkBytes) send_copy_chunk(upto);
    consumed_ = std::max(consumed_, copy_sent_);
    return;
  }
  while (upto > copy_sent_) {
    const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(upto - copy_sent_, 64u << 20));
    if (PQputCopyData(conn_, window_.data() + (copy_sent_ - window_base_), static_cast<int>(n)) != 1)
      fail(nullptr, "COPY data");
    copy_sent_ += n;
  }
  consumed_ = std::max(consumed_, copy_sent_);
}

void ScriptRunner::on_copy_data(std::uint64_t data_start, std::uint64_t data_end, std::uint64_t resume) {
  if (!in_copy_) return;
  if (!copy_started_) {
    copy_sent_ = data_start;
    copy_started_ = true;
  }
  if (copy_confined_) {
    if (data_end > copy_sent_) send_copy_chunk(data_end);
    wait_for_copy_chunk();
    copy_confined_ = false;
    in_copy_ = false;
    consumed_ = resume;
    stats_.copies++;
    return;
  }
  put_copy_data(data_end);
  if (PQputCopyEnd(conn_, nullptr) != 1) fail(nullptr, "COPY data");
  in_copy_ = false;
  consumed_ = resume;
  stats_.copies++;
  stats_.copy_rows += drain_copy_results(
      conn_,
      [](PGresult* r) {
        return PQresultStatus(r) == PGRES_COMMAND_OK
                   ? std::optional<std::uint64_t>(std::strtoull(PQcmdTuples(r), nullptr, 10))
                   : std::nullopt;
      },
      "COPY data ending at byte " + std::to_string(data_end));
}

void ScriptRunner::on_meta_command(std::uint64_t start, std::uint64_t end) {
  if (done()) return;
  std::string_view line = window_text(start, end);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  consumed_ = end;
  // pg_dump 15.14+ fences its output with \restrict KEY ... \unrestrict KEY
  // so that psql runs no other meta-command; we run none at all.
  if (kind_ != Kind::kDiff && (starts_with_ci(line, "\\restrict ") || starts_with_ci(line, "\\unrestrict "))) return;
  throw ApplyError(
      "refusing to apply " + file_name_ + ": it contains the psql meta-command \"" + first_line(line, 60) + "\"",
      scribe::sqlstate::kSyntaxError,
      "At byte " + std::to_string(start) + ". pg_scribe never runs meta-commands from backup files.",
      "Files written by pg_scribe contain none: this one was altered. Inspect it before replaying it with "
      "psql, which would run the command.");
}

void ScriptRunner::globals_statement(std::string_view text) {
  // pg_dumpall writes "CREATE ROLE name;" and then "ALTER ROLE name WITH
  // ...;". A role that already exists on the target is left as it is: its
  // attributes and password are not overwritten with the source's.
  std::string role;
  if (starts_with_ci(text, "CREATE ROLE ") && text.back() == ';') role = std::string(text.substr(12, text.size() - 13));
  if (starts_with_ci(text, "ALTER ROLE ")) {
    for (const std::string& existing : existing_roles_) {
      const std::string prefix = "ALTER ROLE " + existing + " ";
      if (text.substr(0, prefix.size()) == prefix) {
        log_verbose("globals: role " + existing + " already exists: not altered");
        return;
      }
    }
  }
  refuse_nul(text);
  ResultPtr r(PQexec(conn_, std::string(text).c_str()));
  stats_.messages++;
  const ExecStatusType status = PQresultStatus(r.get());
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK || status == PGRES_EMPTY_QUERY) return;
  if (PQstatus(conn_) != CONNECTION_OK) fail(r.get(), "");
  const std::string sqlstate = field(r.get(), PG_DIAG_SQLSTATE);
  if (!role.empty() && sqlstate == scribe::sqlstate::kDuplicateObject) {
    existing_roles_.push_back(role);
    stats_.roles_existing++;
    log_line("  role " + role + " already exists: left as it is");
    return;
  }
  stats_.globals_failed++;
  log_warning("globals.sql: " + field(r.get(), PG_DIAG_MESSAGE_PRIMARY) + " (SQLSTATE " + sqlstate + ")",
              "Statement: " + first_line(text), {});
}

const ApplyStats& ScriptRunner::finish(bool may_be_torn) {
  if (!done()) scanner_.finish();
  if (!done() && tx_open_ && (tx_buffered_ || tx_grouped_)) {
    // The file ends inside a transaction held for a group: nothing of it
    // was sent; the group before it is whole.
    stats_.torn = true;
    stats_.torn_xid = open_tx_.xid;
    stats_.torn_bytes = scanner_.bytes_fed() - open_tx_.begin_offset;
    tx_statements_.clear();
    tx_buffered_ = tx_grouped_ = false;
    tx_open_ = false;
    flush_group();
    send_batch();
    wait_for_results();
    if (!may_be_torn)
      throw ApplyError(
          "file " + file_name_ + " ends inside " + describe(open_tx_), "XX001",
          "The last " + std::to_string(stats_.torn_bytes) + " bytes are an incomplete transaction; it was rolled back.",
          "A sealed file is always whole: it was truncated or damaged. Run pg_scribe --verify.");
  } else if (!done() && tx_open_) {
    // The file ends inside a transaction: nothing of it may be committed.
    stats_.torn = true;
    stats_.torn_xid = open_tx_.xid;
    stats_.torn_bytes = scanner_.bytes_fed() - open_tx_.begin_offset;
    batch_.resize(batch_tx_start_);
    batcher_.reset();
    group_sql_.clear();
    group_role_.clear();
    group_revokes_.clear();
    group_granted_.clear();
    ddl_group_.clear();
    ddl_role_open_ = false;
    const bool partly_sent = tx_partly_sent_;
    tx_open_ = false;
    send_batch();
    wait_for_results();
    if (partly_sent || non_transactional_) {
      ResultPtr r(PQexec(conn_, "ROLLBACK"));
    }
    if (!may_be_torn)
      throw ApplyError(
          "file " + file_name_ + " ends inside " + describe(open_tx_), scribe::sqlstate::kDataCorrupted,
          "The last " + std::to_string(stats_.torn_bytes) + " bytes are an incomplete transaction; it was rolled back.",
          "A sealed file is always whole: it was truncated or damaged. Run pg_scribe --verify.");
  } else if (!done() && !scanner_.at_clean_end() && !in_copy_) {
    stats_.torn = true;
    stats_.torn_bytes = scanner_.bytes_fed() - consumed_;
    if (!may_be_torn) {
      send_batch();
      wait_for_results();
      throw ApplyError("file " + file_name_ + " ends inside a statement", scribe::sqlstate::kDataCorrupted,
                       "The last " + std::to_string(stats_.torn_bytes) + " bytes are not a complete statement.",
                       "The file was truncated or damaged. Run pg_scribe --verify.");
    }
  }
  flush_group();
  send_batch();
  wait_for_results();
  if (!lent_revokes_.empty() && !done()) {
    // The base's end: the owners' lent rights are taken back (in its
    // transaction: a failed base leaves none behind).
    run_alone(lent_revokes_);
    lent_revokes_.clear();
  }
  stats_.rows_merged = batcher_.rows_merged() + lane_rows_merged_;
  stats_.rows += stats_.copy_rows;
  return stats_;
}

}  // namespace pgscribe
