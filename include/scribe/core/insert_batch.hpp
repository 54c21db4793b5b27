// Merges runs of single-row INSERTs, DELETEs and UPDATEs into one statement.
//
// Replaying a diff one statement at a time costs the server a parse, an
// analysis and a plan per row. wal2sql writes every row change as one
// statement, and consecutive ones of the same kind into the same table with
// the same column lists can be sent as one statement that the server plans
// once:
//
//   INSERT INTO s.t (a, b) [OVERRIDING SYSTEM VALUE ]VALUES (1, 'x');
//   INSERT INTO s.t (a, b) [OVERRIDING SYSTEM VALUE ]VALUES (2, 'y');
//     -> INSERT INTO s.t (a, b) VALUES (1, 'x'),\n(2, 'y');
//
//   DELETE FROM ONLY s.t WHERE k OPERATOR(pg_catalog.=) 1;
//   DELETE FROM ONLY s.t WHERE k OPERATOR(pg_catalog.=) 2;
//     -> DELETE FROM ONLY s.t WHERE k OPERATOR(pg_catalog.=)
//        ANY (ARRAY[(NULL::s.t).k, 1, 2]);
//   DELETE FROM ONLY s.t WHERE a OPERATOR(pg_catalog.=) 1 AND b OPERATOR(pg_catalog.=) 'x';
//     -> DELETE FROM ONLY s.t AS pg_scribe_t USING (VALUES ((NULL::s.t).a, (NULL::s.t).b),
//        (1, 'x'), (2, 'y')) AS pg_scribe_v (a, b)
//        WHERE pg_scribe_t.a OPERATOR(pg_catalog.=) pg_scribe_v.a AND pg_scribe_t.b ...;
//
//   UPDATE ONLY s.t SET c = 5, d = 'x' WHERE k OPERATOR(pg_catalog.=) 1;
//   UPDATE ONLY s.t SET c = 6, d = NULL WHERE k OPERATOR(pg_catalog.=) 2;
//     -> UPDATE ONLY s.t AS pg_scribe_t SET c = pg_scribe_v.c, d = pg_scribe_v.d
//        FROM (VALUES ((NULL::s.t).k, (NULL::s.t).c, (NULL::s.t).d), (1, 5, 'x'), (2, 6, NULL))
//        AS pg_scribe_v (k, c, d) WHERE pg_scribe_t.k OPERATOR(pg_catalog.=) pg_scribe_v.k;
//     (on one line; with a composite key the VALUES rows start with every
//     key value and the WHERE compares every key column, joined by AND.)
//
// The operator is always named with its schema: the replay's search_path
// holds user schemas (see kReplaySearchPath), whose "=" must not capture
// the comparison. Older diffs wrote " = " (meaning pg_catalog's, under their
// search_path); those are read and merged the same way.
//
// A run of UPDATEs is merged from kMinUpdateRows statements on; runs are cut
// at max_rows (kMaxUpdateRows, kMaxCompositeDeleteRows) and at about
// max_bytes.
//
// Why the result is the same:
//  - Values are read as in the single-row statement. A multi-row INSERT
//    coerces each VALUES row to the target columns. An IN list is resolved
//    together with its first element, typed as the key column, so an
//    untyped literal is read by the column type's input function and
//    compared with pg_catalog's "=" for that type, as in
//    "k OPERATOR(pg_catalog.=) 'lit'" (a NULL element matches no row). A VALUES
//    list on its own would resolve a column of untyped literals to text
//    (and then fail: "UNION types jsonb and text cannot be matched", which is
//    why "SELECT .. WHERE false UNION ALL VALUES .." does not work); its
//    first row, ((NULL::s.t).col, ...), has the type of each table column,
//    so every literal of the column is read by that type's input function.
//    That row is all NULL and its key matches no row (the DELETE of a
//    composite key joins the same way). Assigning
//    pg_scribe_v.c to c then applies the column's typmod and domain checks
//    as "SET c = <literal>" does.
//  - Every DELETE of a run deletes rows that the others do not recreate.
//    An UPDATE run never changes a key column (a key in SET is not merged)
//    and names each key at most once (a repeated key, compared as the
//    exact text of the values, ends the run): every row is updated once,
//    with the values of its own statement. wal2sql always writes a row's
//    key as stored, so one row is never named by two different texts
//    within a run.
//  - Row triggers fire once per row; replay runs with
//    session_replication_role = replica, so only ENABLE ALWAYS triggers
//    fire at all (foreign keys are not checked). A multi-row INSERT inserts
//    its rows in order; a merged DELETE or UPDATE takes its rows in the
//    order the plan finds them (in statement order for a nested loop over
//    the VALUES, in table order for a hash join), so ALWAYS row triggers
//    may see another order, and a statement-level ALWAYS trigger fires once
//    per merged statement instead of once per row.
//  - NOT the same: a non-deferrable UNIQUE or EXCLUDE constraint on an
//    updated (non-key) column is checked row by row, so a run that moves a
//    value from one row to another (u = NULL for row 1, then u = 1 for
//    row 2) succeeds one statement at a time but fails with 23505 when the
//    plan (a hash join, say) updates row 2 first. Such a run cannot be told
//    from the text; a caller that meets 23505/23P01 in a message with
//    merged UPDATEs can run it again with kMergeUpdates off.
//
// Only statements of exactly these shapes are merged. They are parsed token
// by token: identifiers plain (lower case) or double-quoted; values a number
// (-?d[.d][e[+-]d]), NULL, true, false, or a standard string '...' ('' for a
// quote, no backslash right before a quote, whose meaning would depend on
// standard_conforming_strings) with an optional cast ::type[.type][[]...]
// without spaces; keys compared with " OPERATOR(pg_catalog.=) " (or " = ")
// to a value other than NULL. wal2sql writes "k IS NULL", OPERATOR(..) of
// other schemas, functions for polymorphic equalities (enum_eq(k, ..)),
// record_image_eq() and "ctid OPERATOR(pg_catalog.=) (SELECT ..)" (REPLICA IDENTITY FULL), and
// E'...' for every value with a backslash (so every non-NULL bytea): those
// statements are left alone, as are dollar quotes, comments, U&'' and
// anything else. A quoted name or string containing " WHERE ", " AND ",
// "=", ";" or "(" is read as a name or a string. (INSERT keeps its own
// check, see single_row_insert_head.) Anything not merged ends the run and
// passes through unchanged.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace scribe {

// Length of the head "INSERT INTO s.t (a, b) VALUES " of a statement wal2sql
// writes for one row, if `statement` (its text up to and including the final
// ';') has that shape and its values are one parenthesised row; 0 otherwise.
std::size_t single_row_insert_head(std::string_view statement);

// "COPY s.t (a, b) FROM STDIN" for an INSERT whose head single_row_insert_head
// reads ("INSERT INTO s.t (a, b) [OVERRIDING SYSTEM VALUE ]VALUES "); empty
// otherwise. COPY writes into an identity column GENERATED ALWAYS as
// OVERRIDING SYSTEM VALUE does.
std::string copy_statement_for_insert(std::string_view statement);

// Appends the row "(v, v, ...)" of such an INSERT (without its ';') to
// `out` as a line of COPY's text format, if every value is one wal2sql
// writes: NULL, true, false, a number, or a string '...' or E'...' (quotes
// and, in E'', backslashes doubled) with an optional cast to the column's
// type, whose text COPY gives to the same input function. False otherwise
// (then `out` holds part of a line: cut it back).
bool append_copy_line(std::string_view row, std::string& out);
// The values of such a row, as views of their text ("1", "'x'::text",
// "E'a\\b'", "NULL"), in order; false if append_copy_line would not read it.
bool row_literals(std::string_view row, std::vector<std::string_view>& out);
// Appends one such value as a field of COPY's text format (without a tab or
// a newline); false if it is not one append_copy_line reads.
bool append_copy_field(std::string_view literal, std::string& out);

// A single-row DELETE or UPDATE by key, as wal2sql writes it, split into its
// parts (views into the statement text).
struct KeyedDml {
  enum class Kind { kDelete, kUpdate } kind = Kind::kDelete;
  std::string_view table;                                 // "s.t" as written
  std::vector<std::string_view> set_columns, set_values;  // UPDATE only
  std::vector<std::string_view> key_columns, key_values;
};

// Parses `statement` (up to and including the final ';') into `out` if it
// is exactly "DELETE FROM ONLY s.t WHERE k = v[ AND k = v]*;" or
// "UPDATE ONLY s.t SET c = v[, c = v]* WHERE k = v[ AND k = v]*;" with
// values of the shapes above. False otherwise (`out` is then unspecified).
bool parse_keyed_dml(std::string_view statement, KeyedDml& out);

// A run of single-row UPDATEs by key (parse_keyed_dml) of one table with the
// same key and SET columns, no key column among them, as rows for a COPY
// into a table of (key columns, SET columns): a row named again keeps only
// its newest values (see DmlBatcher::set_collapse_updates), in the order
// the rows first came.
struct UpdateRun {
  std::string table;                                  // "s.t" as written
  std::vector<std::string> key_columns, set_columns;  // as written
  std::string copy_data;                              // COPY text lines
  std::size_t rows = 0;                               // distinct rows
  std::size_t end = 0;                                // the statement after the run
};

// The run that starts at statements[from], if that statement is such an
// UPDATE whose values append_copy_line can write; false otherwise.
bool collect_update_run(const std::vector<std::string>& statements, std::size_t from, UpdateRun& out);

class DmlBatcher {
 public:
  enum Merge : unsigned {
    kMergeInserts = 1,
    kMergeDeletes = 2,
    kMergeUpdates = 4,
    kMergeAll = kMergeInserts | kMergeDeletes | kMergeUpdates,
  };

  DmlBatcher(std::size_t max_rows = 1000, std::size_t max_bytes = 1 << 20, unsigned merge = kMergeAll)
      : max_rows_(max_rows), max_bytes_(max_bytes), merge_(merge) {}

  // Appends `statement` (complete, ending in ';') to `out`, as another row of
  // the open merged statement when it can be one. An open DELETE or UPDATE
  // keeps its first statements (1, or up to kMinUpdateRows - 1) until enough
  // join it to be merged (or flush()), so `out` may lag that far behind.
  void add(std::string_view statement, std::string& out);

  // Ends the open merged statement, if any, with ";\n" (a lone DELETE or
  // UPDATE is written as it came). Call before adding anything else to
  // `out` and before sending it.
  void flush(std::string& out);

  // Forgets the open statement without ending it: the caller dropped the
  // text it was writing into (a transaction cut short).
  void reset();

  // Which kinds are merged from now on (the open run is flushed first).
  void set_merge(unsigned merge, std::string& out) {
    flush(out);
    merge_ = merge;
  }
  unsigned merge() const { return merge_; }

  // Statements absorbed into a previous one (all kinds).
  // UPDATE runs merge only for tables this accepts (table as written,
  // "s.t"): a merged UPDATE changes its rows in the plan's order, so a
  // table with another non-deferrable UNIQUE or EXCLUDE constraint could
  // see a transient conflict that the statements one by one never hit.
  void set_update_filter(std::function<bool(std::string_view table)> filter) { update_filter_ = std::move(filter); }

  std::uint64_t rows_merged() const { return rows_merged_; }

  // An UPDATE run that names a row again with the same columns keeps only
  // the newer values for that row (counted in rows_collapsed()) instead of
  // ending the run. The result is the same row values, but each row is
  // updated once: only for a caller under which no trigger fires (replay
  // with session_replication_role = replica and no ENABLE ALWAYS trigger
  // firing) and that needs no intermediate state (a restore). A run is
  // then kept whole until it ends (at most kMaxUpdateRows rows).
  void set_collapse_updates(bool on, std::string& out) {
    flush(out);
    collapse_updates_ = on;
  }
  std::uint64_t rows_collapsed() const { return rows_collapsed_; }

  // Measured on PostgreSQL 15 (statements sent in one message, per row):
  // planning a merged UPDATE costs about as much as 2 to 3 single-row
  // UPDATEs, so shorter runs are sent as they came; past a few hundred rows
  // the planner starts to prefer a hash join over a sequential scan of
  // medium-sized tables, which gains nothing. A DELETE by composite key
  // joins a VALUES list as UPDATE does, and is cut at the same length.
  static constexpr std::size_t kMinUpdateRows = 4;
  static constexpr std::size_t kMaxUpdateRows = 256;
  static constexpr std::size_t kMaxCompositeDeleteRows = kMaxUpdateRows;

 private:
  enum class Open { kNone, kInsert, kDelete, kUpdate };

  void start_keyed(std::string_view statement);
  bool joins_keyed() const;
  bool collapses_update() const;
  bool buffers_run() const { return collapse_updates_ && open_ == Open::kUpdate; }
  void flush_buffered_run(std::string& out);
  std::size_t keyed_row_limit() const;
  void write_keyed_head(std::string& out) const;
  void write_keyed_tail(std::string& out) const;

  std::function<bool(std::string_view)> update_filter_;
  std::size_t max_rows_;
  std::size_t max_bytes_;
  unsigned merge_;
  Open open_ = Open::kNone;
  std::string head_;  // of the open INSERT
  // The open DELETE or UPDATE: until it has enough rows to be merged, its
  // statements (each with '\n', written as they came if it ends there) and
  // their rows in the merged form; then merged_ (the merged head is in the
  // caller's text). And what the next statements must match.
  std::string pending_;
  std::string pending_rows_;
  bool merged_ = false;
  std::string table_;
  std::vector<std::string> set_columns_, key_columns_;
  std::unordered_map<std::string, std::size_t> keys_;  // of the open UPDATE, as key_text(): its row
  bool collapse_updates_ = false;
  // The open UPDATE run when it collapses: its rows in the merged form and
  // its statements, to be written at its end.
  std::vector<std::string> run_rows_, run_statements_;
  std::uint64_t rows_collapsed_ = 0;
  KeyedDml next_;         // scratch: the statement being added
  std::string row_;       // scratch: its row
  std::string key_text_;  // scratch: its key
  std::size_t rows_ = 0;
  std::size_t bytes_ = 0;
  std::uint64_t rows_merged_ = 0;
};

using InsertBatcher = DmlBatcher;

}  // namespace scribe
