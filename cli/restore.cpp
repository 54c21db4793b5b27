// --restore and --verify.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <exception>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <memory>
#include <optional>
#include <set>

#include "actions.hpp"
#include "background_verification.hpp"
#include "repository_read.hpp"
#include "confinement.hpp"
#include "connection.hpp"
#include "parallel_base.hpp"
#include "report.hpp"
#include "script_runner.hpp"
#include "scribe/core/chain.hpp"
#include "scribe/core/chain_files.hpp"
#include "scribe/core/chain_verify.hpp"
#include "scribe/core/compression.hpp"
#include "scribe/core/error.hpp"
#include "scribe/core/fileio.hpp"
#include "scribe/core/format.hpp"
#include "scribe/core/strict_json.hpp"

namespace pgscribe {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

// Streams a backup file through its decompressor into `runner`, stopping
// early once the runner has passed the stop target. `check` and
// `interrupt` as decompress_file's and scan_base_layout's. Returns false
// when it stopped early.
bool apply_file(const std::string& path, const std::string& name, ScriptRunner& runner, Progress& progress,
                std::uint64_t& bytes_done, std::uint64_t transactions_before, scribe::StoredFileCheck* check = nullptr,
                const std::function<void()>& interrupt = {}) {
  return decompress_file(
      path, name, [&](const char* data, std::size_t len) { runner.feed(data, len); },
      [&](std::size_t n) {
        bytes_done += n;
        progress.update(bytes_done, transactions_before + runner.transactions_applied());
        if (interrupt) interrupt();
        return !runner.done();
      },
      check);
}

// The statements of a pg_dump base's ACL entries (DumpAclEntries), read
// ahead in a pass of their own over the file: a confined restore runs them
// before the first COPY that runs as a table's owner. Nothing but
// statements the base runs anyway is taken, and they are read by the same
// scanner, so COPY data and quoted text are never taken for them.
std::string base_acl_statements(const std::string& path, const std::string& name) {
  std::string statements;
  std::string window;
  std::uint64_t window_base = 0;
  std::uint64_t keep = 0;  // bytes before this are not needed any more
  DumpAclEntries entries;
  scribe::DiffScanner scanner;
  scanner.set_comment_line_limit(64 << 10);
  scanner.set_comment_line_callback([&](std::uint64_t, std::uint64_t end, std::string_view line, bool) {
    entries.comment_line(line);
    keep = end;
  });
  scanner.set_statement_callback([&](const scribe::DiffStatement& s) {
    const std::string_view text(window.data() + (s.start - window_base), s.end - s.start);
    keep = s.end;
    if (text.substr(0, 5) == "COPY ") {
      scanner.begin_copy_data();
    } else if (entries.is_acl_statement(text)) {
      statements.append(text);
      statements.push_back('\n');
    }
  });
  scanner.set_copy_data_callback([&](std::uint64_t, std::uint64_t, std::uint64_t resume) { keep = resume; });
  scanner.set_meta_command_callback([&](std::uint64_t, std::uint64_t end) { keep = end; });
  decompress_file(path, name, [&](const char* data, std::size_t len) {
    window.append(data, len);
    scanner.feed(data, len);
    // COPY data is skipped, not kept.
    const std::uint64_t needed = scanner.in_copy_data() ? std::max(keep, scanner.copy_data_flushable_end()) : keep;
    if (needed - window_base >= (4u << 20)) {
      window.erase(0, needed - window_base);
      window_base = needed;
    }
  });
  scanner.finish();
  return statements;
}

// --up-to: an LSN (X/Y) or any timestamptz input the target server accepts.
StopTarget parse_target(Connection& conn, const std::string& text) {
  StopTarget target;
  target.text = text;
  if (auto lsn = scribe::parse_lsn(text)) {
    target.kind = StopTarget::Kind::kLsn;
    target.lsn = *lsn;
    return target;
  }
  try {
    const Rows r = conn.exec(
        "SELECT (extract(epoch FROM $1::timestamptz) * 1000000)::bigint, "
        "pg_catalog.to_char($1::timestamptz AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')",
        {text});
    target.kind = StopTarget::Kind::kTime;
    target.unix_micros = std::stoll(r.get(0, 0));
    target.text = r.get(0, 1);
  } catch (const DbError& e) {
    throw ActionError(kExitInvalid, "invalid --up-to value \"" + text + "\": " + e.what(), {},
                      "Give a commit LSN (0/3A1F2B8) or a time such as \"2026-11-21 12:00:00+00\" (without a zone, "
                      "the session's TimeZone applies).");
  }
  return target;
}

bool diff_after_target(const scribe::SealedDiff& d, const StopTarget& t) {
  if (t.kind == StopTarget::Kind::kNone) return false;
  if (d.transactions == 0) {
    // Nothing committed in it; its sequence values are from its sealing.
    if (t.kind == StopTarget::Kind::kLsn) return d.start_lsn > t.lsn;
    const auto sealed = parse_commit_time(d.sealed_at);
    return sealed && *sealed > t.unix_micros;
  }
  if (t.kind == StopTarget::Kind::kLsn) return d.first_commit_lsn > t.lsn;
  const auto first = parse_commit_time(d.first_commit_time);
  return first && *first > t.unix_micros;
}

std::string target_database_name(const std::string& dbname) {
  // -d may be a connection string: the database is what it names.
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(dbname.c_str(), &error);
  if (options == nullptr) {
    if (error != nullptr) PQfreemem(error);
    return dbname;
  }
  std::string name;
  for (PQconninfoOption* o = options; o->keyword != nullptr; o++)
    if (std::strcmp(o->keyword, "dbname") == 0 && o->val != nullptr) name = o->val;
  PQconninfoFree(options);
  return name;
}

struct Metadata {
  std::string encoding, lc_collate, lc_ctype, created_at;
};

Metadata read_metadata(const std::string& chain_dir) {
  Metadata m;
  try {
    const auto doc = scribe::parse_json(
        read_chain_file(scribe::join_path(chain_dir, std::string(scribe::kMetadataFileName)), 1 << 20),
        "file \"metadata.json\"");
    if (const auto* v = scribe::json_find(doc, "encoding"); v && v->is_string()) m.encoding = v->get<std::string>();
    if (const auto* v = scribe::json_find(doc, "lc_collate"); v && v->is_string()) m.lc_collate = v->get<std::string>();
    if (const auto* v = scribe::json_find(doc, "lc_ctype"); v && v->is_string()) m.lc_ctype = v->get<std::string>();
    if (const auto* v = scribe::json_find(doc, "created_at"); v && v->is_string()) m.created_at = v->get<std::string>();
  } catch (const std::exception& e) {
    log_warning(std::string("metadata.json unreadable: ") + e.what());
  }
  return m;
}

std::unique_ptr<Connection> maintenance_connection(const ConnectionOptions& options) {
  try {
    return std::make_unique<Connection>(options, "postgres");
  } catch (const ConnectError&) {
    return std::make_unique<Connection>(options, "template1");
  }
}

void create_database(Connection& admin, const std::string& name, const Metadata& meta) {
  const Rows exists = admin.exec("SELECT 1 FROM pg_catalog.pg_database WHERE datname = $1", {name});
  if (exists.count() > 0)
    throw ActionError(kExitBackup, "database \"" + name + "\" already exists", {},
                      "Drop it first, or restore into it without --create (and with --allow-non-empty if it has "
                      "objects).");
  const std::string base = "CREATE DATABASE " + admin.quote_identifier(name) + " TEMPLATE template0";
  std::vector<std::string> attempts;
  if (!meta.encoding.empty()) {
    const std::string enc = " ENCODING " + admin.quote_literal(meta.encoding);
    if (!meta.lc_collate.empty() && !meta.lc_ctype.empty())
      attempts.push_back(base + enc + " LC_COLLATE " + admin.quote_literal(meta.lc_collate) + " LC_CTYPE " +
                         admin.quote_literal(meta.lc_ctype));
    attempts.push_back(base + enc);
    attempts.push_back(base + enc + " LOCALE 'C'");
  } else {
    attempts.push_back(base);
  }
  for (std::size_t i = 0; i < attempts.size(); i++) {
    try {
      admin.exec(attempts[i]);
      if (i > 0)
        log_warning("database \"" + name + "\" created with another locale than the source's (" + meta.lc_collate +
                    ")");
      log_done("Created database " + name + (meta.encoding.empty() ? "" : " (encoding " + meta.encoding + ")"));
      return;
    } catch (const DbError& e) {
      if (i + 1 == attempts.size()) throw;
      log_verbose(std::string("CREATE DATABASE failed: ") + e.what() + "; trying again");
    }
  }
}

// Objects a restore could collide with: anything outside the system schemas
// but the default public schema and plpgsql.
std::string existing_objects(Connection& conn) {
  const CatalogSearchPath path(conn);
  const Rows r = conn.exec(
      "SELECT (SELECT count(*) FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
      "        WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_(toast|temp)') "
      "     + (SELECT count(*) FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace "
      "        WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_temp_') "
      "     + (SELECT count(*) FROM pg_catalog.pg_namespace n "
      "        WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'public') AND n.nspname !~ '^pg_') "
      "     + (SELECT count(*) FROM pg_catalog.pg_extension WHERE extname <> 'plpgsql')");
  return r.get(0, 0);
}

// Tables whose UPDATE and DELETE find rows by every column (REPLICA
// IDENTITY FULL) and that have no index: each such statement would scan the
// whole table, making the replay quadratic. A hash index on the column that
// best tells rows apart (hash: no size limit on values) turns each lookup
// into an index scan; it is dropped when the restore is done.
struct TemporaryIndex {
  std::string oid;
  std::string table;
};

// A hash index on the most distinctive column of `table` ("s.t" as the
// diffs write it), if it is a REPLICA IDENTITY FULL table without any
// index: its UPDATEs and DELETEs then find their row by index instead of a
// scan each. Built when the replay meets the table's first such change
// (ScriptRunner::set_full_identity_hook), inside the open transaction, so
// on the rows the table has by then; dropped at the end of the restore.
// Only for the tables `candidates` lists (lookup_candidates: such tables
// when the diffs begin), as when the index was built before the diffs: a
// table the stream creates gets none, so no DDL of the stream meets an
// index the source did not have.
// The build runs no code of the table's owner with the restorer's rights:
// PostgreSQL builds an index, and ANALYZE reads a table, as the table's
// owner in a security-restricted operation (since the fix of
// CVE-2022-1552), the index is on a plain column (no expression, no
// predicate), and its hash operator class is a type's default one, which
// only a superuser can create (CREATE OPERATOR CLASS).
void create_lookup_index(Connection& conn, const std::string& written, const std::string& candidates,
                         std::vector<TemporaryIndex>& created) {
  const CatalogSearchPath path(conn);
  const Rows tables = conn.exec(
      "SELECT c.oid, pg_catalog.format('%I.%I', n.nspname, c.relname) FROM pg_catalog.pg_class c "
      "JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace "
      "WHERE c.oid OPERATOR(pg_catalog.=) pg_catalog.to_regclass($1) AND c.relkind OPERATOR(pg_catalog.=) 'r' "
      "AND c.oid OPERATOR(pg_catalog.=) ANY ($2::pg_catalog.oid[]) AND c.relreplident OPERATOR(pg_catalog.=) 'f' "
      "AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_index i WHERE i.indrelid OPERATOR(pg_catalog.=) c.oid)",
      {written, candidates});
  for (int i = 0; i < tables.count(); i++) {
    const std::string oid = tables.get(i, 0), table = tables.get(i, 1);
    conn.exec("ANALYZE " + table);
    // The column with the most distinct values whose type has a default
    // hash operator class (and so an "=" wal2sql compares it with).
    const Rows col = conn.exec(
        "SELECT pg_catalog.quote_ident(a.attname) FROM pg_catalog.pg_attribute a "
        "LEFT JOIN pg_catalog.pg_stats s ON s.schemaname = (SELECT nspname FROM pg_catalog.pg_namespace WHERE oid = "
        "  (SELECT relnamespace FROM pg_catalog.pg_class WHERE oid = $1::oid)) "
        "  AND s.tablename = (SELECT relname FROM pg_catalog.pg_class WHERE oid = $1::oid) AND s.attname = a.attname "
        "WHERE a.attrelid = $1::oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = '' "
        "AND EXISTS (SELECT 1 FROM pg_catalog.pg_opclass oc JOIN pg_catalog.pg_am am ON am.oid = oc.opcmethod "
        "            WHERE am.amname = 'hash' AND oc.opcdefault AND (oc.opcintype = a.atttypid "
        "              OR (a.atttypid = 'pg_catalog.varchar'::pg_catalog.regtype "
        "                  AND oc.opcintype = 'pg_catalog.text'::pg_catalog.regtype))) "
        "ORDER BY CASE WHEN s.n_distinct IS NULL THEN 0 WHEN s.n_distinct < 0 THEN 1e9 * -s.n_distinct "
        "              ELSE s.n_distinct END DESC, a.attnum LIMIT 1",
        {oid});
    if (col.count() == 0) continue;
    const std::string name = "pg_scribe_restore_" + oid;
    // In the replay's transaction: a failure must not end it.
    conn.exec("SAVEPOINT pg_scribe_lookup_index");
    try {
      conn.exec("CREATE INDEX " + name + " ON " + table + " USING hash (" + col.get(0, 0) + ")");
      conn.exec("RELEASE SAVEPOINT pg_scribe_lookup_index");
    } catch (const DbError& e) {
      conn.exec("ROLLBACK TO SAVEPOINT pg_scribe_lookup_index");
      conn.exec("RELEASE SAVEPOINT pg_scribe_lookup_index");
      log_verbose("no lookup index on " + table + ": " + e.what());
      continue;
    }
    const Rows idx = conn.exec(
        "SELECT c.oid FROM pg_catalog.pg_class c WHERE c.relname = $1 AND c.relnamespace = "
        "(SELECT relnamespace FROM pg_catalog.pg_class WHERE oid = $2::oid)",
        {name, oid});
    if (idx.count() == 1) created.push_back({idx.get(0, 0), table});
    log_verbose("lookup index on " + table + " (" + col.get(0, 0) + ") for its REPLICA IDENTITY FULL changes");
  }
}

// The REPLICA IDENTITY FULL tables without any index, as an oid[] literal
// ("{}" for none).
std::string lookup_candidates(Connection& conn) {
  const CatalogSearchPath path(conn);
  const Rows r = conn.exec(
      "SELECT pg_catalog.array_agg(c.oid)::pg_catalog.text FROM pg_catalog.pg_class c "
      "JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace "
      "WHERE c.relkind OPERATOR(pg_catalog.=) 'r' AND c.relreplident OPERATOR(pg_catalog.=) 'f' "
      "AND n.nspname <> ALL (ARRAY['pg_catalog', 'information_schema']) "
      "AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_index i WHERE i.indrelid OPERATOR(pg_catalog.=) c.oid)");
  return r.count() == 1 && !r.get(0, 0).empty() ? r.get(0, 0) : "{}";
}

void drop_lookup_indexes(Connection& conn, const std::vector<TemporaryIndex>& indexes) {
  const CatalogSearchPath path(conn);
  for (const auto& index : indexes) {
    // By OID: the diffs may have renamed the table or moved its schema.
    const Rows r = conn.exec(
        "SELECT pg_catalog.format('%I.%I', n.nspname, c.relname) FROM pg_catalog.pg_class c "
        "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = $1::oid AND c.relkind = 'i'",
        {index.oid});
    if (r.count() == 1) conn.exec("DROP INDEX " + r.get(0, 0));
  }
}

// Event triggers set ENABLE ALWAYS or ENABLE REPLICA fire under the
// replay's session_replication_role = replica for every replayed DDL: a
// DDL audit table would get its rows a second time beside the ones the
// stream replays, and a key on it would stop the restore. They come from
// the base only (the diffs capture no event trigger DDL), so they are
// switched off before the diffs and back to their mode at the end; the
// names and modes are returned for that.
std::vector<std::pair<std::string, std::string>> event_triggers_off(Connection& conn) {
  std::vector<std::pair<std::string, std::string>> off;
  {
    const CatalogSearchPath path(conn);
    const Rows r = conn.exec(
        "SELECT pg_catalog.quote_ident(evtname), evtenabled::pg_catalog.text FROM pg_catalog.pg_event_trigger "
        "WHERE evtenabled OPERATOR(pg_catalog.=) ANY ('{A,R}'::pg_catalog.\"char\"[]) ORDER BY evtname");
    for (int i = 0; i < r.count(); i++) off.emplace_back(r.get(i, 0), r.get(i, 1));
  }
  for (const auto& [name, mode] : off) {
    conn.exec("ALTER EVENT TRIGGER " + name + " DISABLE");
    log_verbose("event trigger " + name + " off during the diffs (ENABLE " + (mode == "A" ? "ALWAYS" : "REPLICA") +
                ")");
  }
  return off;
}

// The event triggers event_triggers_off switched off, back to their mode
// (those the diffs dropped with what they depended on are gone).
void event_triggers_on(Connection& conn, const std::vector<std::pair<std::string, std::string>>& off) {
  for (const auto& [name, mode] : off) {
    const CatalogSearchPath path(conn);
    const Rows r = conn.exec(
        "SELECT 1 FROM pg_catalog.pg_event_trigger WHERE pg_catalog.quote_ident(evtname) OPERATOR(pg_catalog.=) $1",
        {name});
    if (r.count() == 0) continue;
    conn.exec("ALTER EVENT TRIGGER " + name + (mode == "A" ? " ENABLE ALWAYS" : " ENABLE REPLICA"));
  }
}

// Moves every sequence that is behind the column it feeds (serial,
// identity, DEFAULT nextval) to that column's maximum: after a
// point-in-time restore the values recorded at the last sealing may be
// older than the data.
std::pair<int, int> sync_sequences(Connection& conn) {
  const CatalogSearchPath path(conn);
  const Rows pairs = conn.exec(
      "WITH feeds AS ("
      "  SELECT d.objid AS seq, d.refobjid AS tbl, d.refobjsubid AS col FROM pg_catalog.pg_depend d "
      "  WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.refclassid = "
      "'pg_catalog.pg_class'::pg_catalog.regclass "
      "    AND d.deptype IN ('a', 'i') AND d.refobjsubid > 0 "
      "  UNION "
      "  SELECT d.refobjid, ad.adrelid, ad.adnum FROM pg_catalog.pg_depend d "
      "  JOIN pg_catalog.pg_attrdef ad ON ad.oid = d.objid "
      "  WHERE d.classid = 'pg_catalog.pg_attrdef'::pg_catalog.regclass AND d.refclassid = "
      "'pg_catalog.pg_class'::pg_catalog.regclass) "
      "SELECT pg_catalog.format('%I.%I', sn.nspname, s.relname), pg_catalog.format('%I.%I', tn.nspname, t.relname), "
      "       pg_catalog.quote_ident(a.attname) "
      "FROM feeds f JOIN pg_catalog.pg_class s ON s.oid = f.seq AND s.relkind = 'S' "
      "JOIN pg_catalog.pg_sequence q ON q.seqrelid = s.oid AND q.seqincrement > 0 "
      "JOIN pg_catalog.pg_namespace sn ON sn.oid = s.relnamespace "
      "JOIN pg_catalog.pg_class t ON t.oid = f.tbl AND t.relkind IN ('r', 'p') "
      "JOIN pg_catalog.pg_namespace tn ON tn.oid = t.relnamespace "
      "JOIN pg_catalog.pg_attribute a ON a.attrelid = t.oid AND a.attnum = f.col "
      "WHERE a.atttypid IN ('pg_catalog.int2'::pg_catalog.regtype, 'pg_catalog.int4'::pg_catalog.regtype, "
      "'pg_catalog.int8'::pg_catalog.regtype) ORDER BY 1, 2, 3");
  int checked = 0, moved = 0;
  for (int i = 0; i < pairs.count(); i++) {
    const std::string seq = pairs.get(i, 0), table = pairs.get(i, 1), column = pairs.get(i, 2);
    checked++;
    const Rows r = conn.exec(
        "SELECT pg_catalog.setval($1::pg_catalog.regclass, m, true) FROM (SELECT max(" + column +
            ")::bigint AS m FROM " + table + ") x, (SELECT last_value, is_called FROM " + seq +
            ") s WHERE m IS NOT NULL AND m >= CASE WHEN s.is_called THEN s.last_value + 1 ELSE s.last_value END",
        {seq});
    if (r.count() > 0) {
      moved++;
      log_verbose("sequence " + seq + " moved to " + r.get(0, 0) + " (max of " + table + "." + column + ")");
    }
  }
  return {checked, moved};
}

StopTarget no_target() { return StopTarget{}; }

constexpr const char* kVerificationHint =
    "Restore another chain with --chain-id, or give --force to apply the files anyway.";

// The replay runs the code that roles control (constraints, generated
// columns, domain checks, index expressions, defaults, DDL) as those roles,
// confined, through a function of the server's scribe library: without it
// a restore would lend the restorer's rights to every role of the backup.
bool require_confinement(Connection& conn) {
  std::string why;
  if (install_run_as(conn.get(), why)) return true;
  throw ActionError(kExitInvalid, "cannot confine the roles' code during this restore: " + why,
                    "pg_scribe --restore runs the row changes of each table as its owner and captured DDL as the "
                    "role that ran it, inside a security-restricted operation, with a function of the scribe "
                    "library on the target server, created as a superuser for the restore's session only.",
                    "Restore as a superuser into a server where pg_scribe is installed (the extension need not be "
                    "created), or give --unconfined if you trust every role in the backup: their code then runs "
                    "with your rights.");
}

}  // namespace

namespace {

// A restore that fails after the target is prepared leaves it half
// restored: say so, so that nobody takes it for a backup.
struct IncompleteWarning {
  std::string database;
  int exceptions = std::uncaught_exceptions();
  bool armed = true;  // false once the target is dropped again
  ~IncompleteWarning() {
    if (!armed || std::uncaught_exceptions() <= exceptions) return;
    try {
      log_warning("database \"" + database + "\" is incomplete: the restore stopped part way", {},
                  "Drop it (DROP DATABASE) before restoring again.");
    } catch (...) {
    }
  }
};

// The restore stops because a file failed verification (what failed is
// reported where it is caught).
struct VerificationFailed {};

bool has_error(const std::vector<scribe::VerifyProblem>& problems) {
  return std::any_of(problems.begin(), problems.end(),
                     [](const scribe::VerifyProblem& p) { return p.severity == scribe::Severity::kError; });
}

// One run of --restore, a member per phase, in the order they run:
// open_chain (the chain, the connections, --up-to), verify_globals (checked
// before anything is created), then, while the diffs are verified on a
// thread of their own: prepare_target, restore_globals, restore_base (the
// base checked from the bytes it restores); settle_verification (no diff is
// applied before every file to apply checked out), apply_diffs, finish
// (sequences, the one synchronous commit, the summary).
class ChainRestore {
 public:
  explicit ChainRestore(const Options& o) : o_(o) {}

  int run() {
    open_chain();
    verify_globals();
    scribe::VerifyOptions vo;
    vo.include_base = false;  // checked by restore_base, from the bytes it restores
    vo.include_globals = false;
    vo.diff_limit = diff_count_;
    diffs_verification_ = std::make_unique<BackgroundVerification>(chain_dir_, vo);
    prepare_target();
    IncompleteWarning incomplete{target_db_};
    Progress progress("restoring", total_bytes_);
    std::string restore_error;
    try {
      restore_globals(progress);
      restore_base(progress);
    } catch (const VerificationFailed&) {
      progress.finish();
    } catch (const std::exception& e) {
      progress.finish();
      diffs_verification_->cancel();
      // A damaged base explains the failure better than the statement it
      // broke: if its check was not complete, it is made now.
      if (o_.force || !base_started_ || base_checked_) throw;
      log_line("The restore stopped in " + manifest_.base.file + ": checking it against the manifest");
      check_base_alone();
      if (!has_error(base_problems_)) throw;
      restore_error = e.what();
    }
    settle_verification(incomplete, restore_error);
    apply_diffs(progress);
    finish();
    return kExitOk;
  }

 private:
  Connection& conn() { return *target_conn_; }

  void open_chain() {
    chain_id_ = pick_chain(o_.backup_dir, o_.chain_id);
    chain_dir_ = scribe::join_path(o_.backup_dir, scribe::chain_dir_name(chain_id_));
    log_line("Restoring from chain: " + chain_id_);
    try {
      manifest_ = load_chain_manifest(chain_dir_);
    } catch (const scribe::Error& e) {
      throw ActionError(kExitBackup, std::string("cannot read the manifest of chain ") + chain_id_ + ": " + e.what(),
                        e.detail(), "Run pg_scribe --verify; another chain may be restored with --chain-id.");
    }
    meta_ = read_metadata(chain_dir_);
    target_db_ = target_database_name(o_.connection.dbname);

    // The target's server parses --up-to, so any timestamptz input works.
    // With --create the database is made only once the files verified.
    if (o_.create)
      admin_ = maintenance_connection(o_.connection);
    else
      target_conn_ = std::make_unique<Connection>(o_.connection);
    Connection& server = admin_ ? *admin_ : *target_conn_;
    target_ = o_.up_to.empty() ? no_target() : parse_target(server, o_.up_to);
    // Refused before anything is created or restored.
    confined_ = !o_.unconfined && require_confinement(server);
    if (target_.kind == StopTarget::Kind::kLsn && target_.lsn < manifest_.start_lsn)
      throw ActionError(kExitInvalid,
                        "--up-to " + scribe::lsn_text(target_.lsn) + " is before chain " + chain_id_ + " begins (" +
                            scribe::lsn_text(manifest_.start_lsn) + ")",
                        {}, "Restore an older chain with --chain-id.");
    if (target_.kind == StopTarget::Kind::kTime && !meta_.created_at.empty()) {
      const auto created = parse_commit_time(meta_.created_at);
      if (created && target_.unix_micros < *created)
        throw ActionError(
            kExitInvalid,
            "--up-to " + target_.text + " is before chain " + chain_id_ + " begins (" + meta_.created_at + ")", {},
            "Restore an older chain with --chain-id.");
    }
    // The diffs to apply: all, or up to the one that holds the target.
    while (diff_count_ < manifest_.diffs.size() && !diff_after_target(manifest_.diffs[diff_count_], target_))
      diff_count_++;
    use_active_ = o_.include_active && diff_count_ == manifest_.diffs.size();
  }

  // globals.sql is checked before anything is created: the roles and
  // tablespaces it makes belong to the cluster, and dropping the target
  // would not undo them. It is small. The base and the diffs are checked
  // while the base is restored (settle_verification).
  void verify_globals() {
    total_bytes_ = manifest_.base.bytes + (o_.no_globals ? 0 : manifest_.globals.bytes);
    for (std::size_t i = 0; i < diff_count_; i++) total_bytes_ += manifest_.diffs[i].stored.bytes;
    if (o_.no_globals) return;
    scribe::VerifyOptions vo;
    vo.include_base = false;
    vo.diff_limit = 0;
    vo.check_directory = false;  // the diffs' verification does it
    Progress progress("verifying", manifest_.globals.bytes);
    vo.on_progress = [&](std::uint64_t bytes) { progress.update(bytes, 0); };
    const scribe::VerifyReport report = scribe::verify_chain(chain_dir_, vo);
    progress.finish();
    count_verified(report.files_checked, report.bytes_checked);
    report_problems(report.problems);
    if (!report.ok()) {
      if (!o_.force)
        throw ActionError(kExitBackup, "chain " + chain_id_ + " failed verification: nothing was restored", {},
                          kVerificationHint);
      log_warning("applying files that failed verification (--force)");
      globals_failed_ = true;
    }
  }

  // Once restore_base has fed the whole base to its check: a damaged base
  // stops the restore now (unless --force), before its data is loaded
  // (--jobs: the check is complete after the scan) or its transaction
  // commits (one connection).
  void base_check_complete() {
    base_check_->finish();
    base_problems_ = base_check_->take_problems();
    base_checked_ = true;
    count_verified(1, base_check_->stored_bytes());
    if (!o_.force && has_error(base_problems_)) throw VerificationFailed{};
  }

  // The base checked by a read of its own, when the restore did not read
  // all of it.
  void check_base_alone() {
    scribe::VerifyOptions vo;
    vo.include_globals = false;
    vo.diff_limit = 0;
    vo.check_directory = false;
    Progress progress("verifying", manifest_.base.bytes);
    vo.on_progress = [&](std::uint64_t bytes) { progress.update(bytes, 0); };
    const scribe::VerifyReport report = scribe::verify_chain(chain_dir_, vo);
    progress.finish();
    base_problems_ = report.problems;
    base_checked_ = true;
    count_verified(report.files_checked, report.bytes_checked);
  }

  // A verification of the diffs that failed stops the restore of the base
  // early (unless --force): its target would be dropped or left incomplete.
  void stop_if_verification_failed() const {
    if (!o_.force && diffs_verification_->failed()) throw VerificationFailed{};
  }

  // After globals and base: the whole verification's verdict, which every
  // diff waits for. `restore_error`: the restore stopped on it, in a base
  // that failed its check.
  void settle_verification(IncompleteWarning& incomplete, const std::string& restore_error) {
    if (!base_checked_ && restore_error.empty() && !diffs_verification_->failed()) check_base_alone();
    std::vector<scribe::VerifyProblem> problems = base_problems_;
    if (restore_error.empty()) {
      Progress progress("verifying",
                        total_bytes_ - manifest_.base.bytes - (o_.no_globals ? 0 : manifest_.globals.bytes));
      const scribe::VerifyReport& report = diffs_verification_->wait(progress);
      progress.finish();
      count_verified(report.files_checked, report.bytes_checked);
      problems.insert(problems.end(), report.problems.begin(), report.problems.end());
    }
    report_problems(problems);
    if (!has_error(problems)) {
      if (globals_failed_) return;  // --force, said so
      log_done("Verified " + std::to_string(files_verified_) + " files (" + scribe::size_text(bytes_verified_) +
               ") against the manifest");
      return;
    }
    if (o_.force && restore_error.empty()) {
      log_warning("applying files that failed verification (--force)");
      return;
    }
    std::string detail;
    if (!restore_error.empty()) {
      detail = "The restore of " + manifest_.base.file + " had failed: " + restore_error;
      if (detail.back() != '.') detail += '.';
    }
    if (o_.create && drop_created_database()) {
      incomplete.armed = false;
      if (!o_.no_globals)
        detail += std::string(detail.empty() ? "" : " ") + manifest_.globals.file +
                  ", checked before the rest, was applied: its roles and tablespaces stay.";
      throw ActionError(kExitBackup,
                        "chain " + chain_id_ + " failed verification: the restore stopped and database \"" +
                            target_db_ + "\" was dropped",
                        detail, kVerificationHint);
    }
    // The target stays: the incomplete warning follows.
    throw ActionError(kExitBackup, "chain " + chain_id_ + " failed verification: the restore stopped", detail,
                      kVerificationHint);
  }

  // --create made the target in this run: dropped again, a restore that the
  // verification stopped leaves no database behind.
  bool drop_created_database() {
    target_conn_.reset();  // DROP DATABASE waits a few seconds for its session to end
    try {
      const auto admin = maintenance_connection(o_.connection);
      admin->exec("DROP DATABASE " + admin->quote_identifier(target_db_));
      return true;
    } catch (const std::exception& e) {
      log_warning("could not drop database \"" + target_db_ + "\": " + e.what());
      return false;
    }
  }

  void count_verified(std::uint64_t files, std::uint64_t bytes) {
    files_verified_ += files;
    bytes_verified_ += bytes;
  }

  // Each problem once, though the manifest's may come from two passes.
  void report_problems(const std::vector<scribe::VerifyProblem>& problems) {
    for (const auto& p : problems) {
      const std::string text = (p.file.empty() ? "chain " + chain_id_ : p.file) + ": " + p.message;
      if (!reported_.insert(text).second) continue;
      if (p.severity == scribe::Severity::kError)
        log_error(text);
      else
        log_warning(text);
    }
  }

  void prepare_target() {
    if (o_.create) {
      create_database(*admin_, target_db_, meta_);
      admin_.reset();
      target_conn_ = std::make_unique<Connection>(o_.connection);
      if (confined_) require_confinement(conn());  // the new database's session
    }
    if (o_.unconfined)
      log_warning("--unconfined: the code of every role in the backup runs with the restorer's rights");
    if (!o_.allow_non_empty) {
      const std::string objects = existing_objects(conn());
      if (objects != "0")
        throw ActionError(kExitBackup, "database \"" + conn().database() + "\" is not empty (" + objects + " objects)",
                          {},
                          "Restore into a new database with --create, or give --allow-non-empty to restore into "
                          "this one anyway.");
    }
    // A crash of the target mid-restore leaves an unfinished restore either
    // way, so commits need not wait for the WAL flush; the end of the
    // restore waits for all of it.
    conn().exec("SET synchronous_commit = off");
  }

  // Back to the restore's own session settings after a file's SETs.
  void reset_session() {
    conn().exec("RESET ALL");
    conn().exec("SET synchronous_commit = off");
  }

  void restore_globals(Progress& progress) {
    if (o_.no_globals) return;
    ScriptRunner runner(conn().get(), ScriptRunner::Kind::kGlobals, manifest_.globals.file);
    apply_file(scribe::join_path(chain_dir_, manifest_.globals.file), manifest_.globals.file, runner, progress,
               bytes_done_, 0);
    const ApplyStats& s = runner.finish(false);
    progress.finish();
    log_done("Restored globals (" + std::to_string(s.roles_existing) + " roles already existed" +
             (s.globals_failed > 0 ? ", " + std::to_string(s.globals_failed) + " statements failed" : "") + ")");
    // Each globals statement ran on its own; the session is as it was,
    // except for the SETs pg_dumpall writes, which the base sets again.
    reset_session();
  }

  // The base is checked against the manifest from the bytes its restore
  // reads (base_check_complete), not by a read of its own.
  void restore_base(Progress& progress) {
    const std::string base_path = scribe::join_path(chain_dir_, manifest_.base.file);
    const auto base_started = Clock::now();
    base_started_ = true;
    base_check_ = std::make_unique<scribe::StoredFileCheck>(manifest_.base, scribe::kDumpClosingLine);
    const auto interrupt = [this] { stop_if_verification_failed(); };
    std::optional<BaseLayout> layout;
    if (o_.jobs > 1) {
      const auto scan_start = Clock::now();
      layout = scan_base_layout(base_path, manifest_.base.file, base_check_.get(), interrupt);
      base_check_complete();
      log_verbose("--jobs: the base's entries read in " + scribe::duration_text(seconds_since(scan_start)));
      if (layout->data_entries == 0) {
        log_verbose("--jobs: the base has no table data to spread; it is restored on one connection");
        layout.reset();
      }
    }
    if (layout) {
      ParallelBaseOptions po;
      po.connection = &o_.connection;
      po.jobs = o_.jobs;
      po.confined = confined_;
      po.path = base_path;
      po.name = manifest_.base.file;
      po.stored_bytes = manifest_.base.bytes;
      po.bytes_before = bytes_done_;
      po.interrupt = interrupt;
      const ApplyStats s = restore_base_parallel(conn(), *layout, po, progress);
      layout.reset();
      bytes_done_ += manifest_.base.bytes;
      progress.finish();
      log_done("Restored base backup (" + scribe::count_text(s.copy_rows) + " rows in " + std::to_string(s.copies) +
               " tables, over " + std::to_string(o_.jobs) + " connections, took " +
               scribe::duration_text(seconds_since(base_started)) + ")");
    } else {
      conn().exec("BEGIN");
      ScriptRunner runner(conn().get(), ScriptRunner::Kind::kDump, manifest_.base.file);
      runner.set_confined(confined_);
      runner.set_early_acls([&] { return base_acl_statements(base_path, manifest_.base.file); });
      const bool whole = apply_file(base_path, manifest_.base.file, runner, progress, bytes_done_, 0,
                                    base_checked_ ? nullptr : base_check_.get(), interrupt);
      if (whole && !base_checked_) base_check_complete();
      const ApplyStats& s = runner.finish(false);
      conn().exec("COMMIT");
      progress.finish();
      log_done("Restored base backup (" + scribe::count_text(s.copy_rows) + " rows in " + std::to_string(s.copies) +
               " tables, took " + scribe::duration_text(seconds_since(base_started)) + ")");
    }
    reset_session();
  }

  ApplyStats apply_diff(const std::string& name, bool may_be_torn, Progress& progress) {
    ScriptRunner runner(conn().get(), ScriptRunner::Kind::kDiff, name, target_);
    runner.set_confined(confined_);
    runner.set_fire_triggers(o_.fire_triggers);
    if (!more_conns_.empty() && !o_.fire_triggers) {
      std::vector<PGconn*> more;
      for (const auto& c : more_conns_) more.push_back(c->get());
      runner.set_more_connections(more);
    }
    if (lookup_candidates_ != "{}")
      runner.set_full_identity_hook(
          [&](const std::string& table) { create_lookup_index(conn(), table, lookup_candidates_, lookup_); });
    apply_file(scribe::join_path(chain_dir_, name), name, runner, progress, bytes_done_, transactions_);
    ApplyStats s = runner.finish(may_be_torn);
    if (s.groups_spread > 0)
      log_verbose(name + ": " + scribe::count_text(s.groups_spread) + " groups of transactions spread over " +
                  std::to_string(more_conns_.size() + 1) + " connections");
    transactions_ += s.transactions;
    rows_ += s.rows;
    if (s.last_applied) last_ = s.last_applied;
    if (s.reached_target) reached_ = true;
    reset_session();  // each diff begins with its own SET prologue
    return s;
  }

  void apply_diffs(Progress& progress) {
    const auto diffs_started = Clock::now();
    if (diff_count_ > 0 || use_active_) lookup_candidates_ = lookup_candidates(conn());
    // --fire-triggers keeps them on, as asked.
    if ((diff_count_ > 0 || use_active_) && !o_.fire_triggers) event_triggers_off_ = event_triggers_off(conn());
    // --jobs: the row changes of groups spread over this many connections
    // (ScriptRunner::set_more_connections).
    if ((diff_count_ > 0 || use_active_) && o_.jobs > 1 && !o_.fire_triggers) {
      for (int i = 1; i < o_.jobs; i++) {
        more_conns_.push_back(std::make_unique<Connection>(o_.connection));
        more_conns_.back()->exec("SET synchronous_commit = off");
      }
    }
    std::vector<std::string> applied;
    for (std::size_t i = 0; i < diff_count_ && !reached_; i++) {
      apply_diff(manifest_.diffs[i].stored.file, false, progress);
      applied.push_back(manifest_.diffs[i].stored.file);
    }
    progress.finish();
    log_done("Applied " + std::to_string(applied.size()) + " differentials (" + scribe::count_text(transactions_) +
             " transactions, " + scribe::count_text(rows_) + " rows, took " +
             scribe::duration_text(seconds_since(diffs_started)) + ")");
    for (const auto& name : applied) log_line("  - " + name);
    if (use_active_ && !reached_) {
      const std::string active = scribe::join_path(chain_dir_, std::string(scribe::kActiveFileName));
      if (!chain_file_exists(active)) {
        log_warning("--include-active: the chain has no active.sql");
      } else {
        const std::uint64_t before = transactions_;
        const ApplyStats s = apply_diff(std::string(scribe::kActiveFileName), true, progress);
        progress.finish();
        log_done("Applied active.sql (" + scribe::count_text(transactions_ - before) + " transactions)");
        if (s.torn)
          log_warning("dropped the torn end of active.sql (" + std::to_string(s.torn_bytes) + " bytes" +
                          (s.torn_xid != 0 ? ", transaction xid=" + std::to_string(s.torn_xid) : "") + ")",
                      "The server was writing it when it was copied or crashed: that transaction is not restored.");
      }
    }
    if (target_.kind != StopTarget::Kind::kNone) {
      if (last_)
        log_done("Stopped at the target: last transaction xid=" + std::to_string(last_->xid) + " committed at " +
                 last_->commit_time + " (LSN " + scribe::lsn_text(last_->commit_lsn) + ")");
      else
        log_done("Stopped at the target: no transaction of the chain committed before it (the base alone)");
      if (!reached_ && !use_active_)
        log_line("  (the target is after the last sealed transaction; --include-active also applies active.sql)");
    }
  }

  void finish() {
    drop_lookup_indexes(conn(), lookup_);
    event_triggers_on(conn(), event_triggers_off_);
    if (!o_.no_sync_sequences) {
      const auto [checked, moved] = sync_sequences(conn());
      log_done("Synchronized " + std::to_string(checked) + " sequences (" + std::to_string(moved) + " moved forward)");
    }
    // Everything above committed without waiting for the WAL flush: one
    // synchronous commit now makes all of it durable.
    conn().exec("SET synchronous_commit = on");
    conn().exec("BEGIN; SELECT pg_catalog.txid_current(); COMMIT;");
    const CatalogSearchPath path(conn());
    const Rows tables = conn().exec(
        "SELECT count(*) FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
        "WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ "
        "'^pg_toast'");
    log_line("Restore complete: " + tables.get(0, 0) + " tables, " + scribe::count_text(transactions_) +
             " transactions applied (took " + scribe::duration_text(seconds_since(started_)) + ")");
  }

  const Options& o_;
  const Clock::time_point started_ = Clock::now();
  std::string chain_id_, chain_dir_, target_db_;
  scribe::Manifest manifest_;
  Metadata meta_;
  std::unique_ptr<Connection> admin_;        // --create: the maintenance database, until it is created
  std::unique_ptr<Connection> target_conn_;  // the target database
  StopTarget target_;
  bool confined_ = false;
  std::size_t diff_count_ = 0;  // the sealed diffs to apply
  bool use_active_ = false;
  std::uint64_t total_bytes_ = 0, bytes_done_ = 0;
  std::uint64_t transactions_ = 0, rows_ = 0;
  // The verification: the diffs on their thread, the base by its restore.
  std::unique_ptr<BackgroundVerification> diffs_verification_;
  std::unique_ptr<scribe::StoredFileCheck> base_check_;
  bool globals_failed_ = false;  // --force: applied anyway
  bool base_started_ = false, base_checked_ = false;
  std::vector<scribe::VerifyProblem> base_problems_;
  std::uint64_t files_verified_ = 0, bytes_verified_ = 0;
  std::set<std::string> reported_;
  std::optional<scribe::DiffTransaction> last_;
  bool reached_ = false;
  std::vector<TemporaryIndex> lookup_;  // built by the replay (create_lookup_index), dropped at the end
  std::vector<std::pair<std::string, std::string>> event_triggers_off_;  // off for the diffs: name, mode
  std::string lookup_candidates_ = "{}";
  std::vector<std::unique_ptr<Connection>> more_conns_;  // --jobs: the diffs' other connections
};

}  // namespace

int run_restore(const Options& o) { return ChainRestore(o).run(); }

int run_verify(const Options& o) {
  std::vector<std::string> ids;
  if (!o.chain_id.empty()) {
    ids.push_back(pick_chain(o.backup_dir, o.chain_id));
  } else {
    try {
      ids = list_chain_ids(o.backup_dir);
    } catch (const scribe::Error& e) {
      throw ActionError(kExitBackup, std::string("cannot read backup directory: ") + e.what(), e.detail());
    }
    if (ids.empty()) throw ActionError(kExitBackup, "no chain in backup directory \"" + o.backup_dir + "\"");
  }
  bool all_ok = true;
  for (const std::string& id : ids) {
    const std::string chain_dir = scribe::join_path(o.backup_dir, scribe::chain_dir_name(id));
    scribe::VerifyOptions vo;
    Progress progress("verifying chain " + id, 0);
    vo.on_progress = [&](std::uint64_t bytes) { progress.update(bytes, 0); };
    const scribe::VerifyReport report = scribe::verify_chain(chain_dir, vo);
    progress.finish();
    for (const auto& p : report.problems) {
      const std::string text = "chain " + id + (p.file.empty() ? "" : ", " + p.file) + ": " + p.message;
      if (p.severity == scribe::Severity::kError)
        log_error(text);
      else
        log_warning(text);
    }
    if (report.ok()) {
      log_done("chain " + id + ": " + std::to_string(report.files_checked) + " files, " +
               scribe::size_text(report.bytes_checked) + ", " + scribe::count_text(report.transactions_checked) +
               " transactions: OK");
    } else {
      all_ok = false;
      log_line("✗ chain " + id + ": FAILED");
    }
    // active.sql is not sealed: only how much of it a restore would use.
    const std::string active = scribe::join_path(chain_dir, std::string(scribe::kActiveFileName));
    if (chain_file_exists(active)) {
      try {
        scribe::DiffScanner scanner;
        const int fd = open(active.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd >= 0) {
          char buf[1 << 16];
          ssize_t n;
          while ((n = read(fd, buf, sizeof buf)) > 0) scanner.feed(buf, static_cast<std::size_t>(n));
          close(fd);
          scanner.finish();
          const std::uint64_t torn = scanner.bytes_fed() - scanner.clean_end();
          log_line("  active.sql: " + scribe::count_text(scanner.transactions()) + " whole transactions" +
                   (torn > 0 ? ", " + std::to_string(torn) + " bytes of an unfinished one" : ""));
        }
      } catch (const std::exception& e) {
        log_warning(std::string("active.sql: ") + e.what());
      }
    }
  }
  if (!all_ok) {
    log_line("Verdict: the backup is DAMAGED");
    return kExitBackup;
  }
  log_line("Verdict: every sealed file matches its manifest");
  return kExitOk;
}

}  // namespace pgscribe
