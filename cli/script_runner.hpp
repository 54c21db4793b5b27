// Applies a SQL file (a diff, a pg_dump base, globals.sql) to a database
// with few round trips, streaming: the file's bytes are fed as they are read
// and decompressed, split into statements by the psql-compatible scanner,
// and sent as multi-statement messages (whole transactions, several small
// ones per message, runs of single-row INSERTs merged into multi-row ones).
// The next message is built while the server runs the previous one; for a
// diff, on a thread of its own (see ScriptRunner::enqueue).
//
// Files are not trusted: psql meta-commands are never run (pg_dump's
// \restrict/\unrestrict are the only ones accepted, and ignored), a COPY
// is fed only from the data lines that follow it, and a transaction that is
// not complete at the end of the file is rolled back, never committed.
#pragma once

#include <libpq-fe.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "scribe/core/diff_scan.hpp"
#include "scribe/core/insert_batch.hpp"

namespace pgscribe {

// Where a point-in-time restore stops: after the last transaction committed
// at or before this time (microseconds since the Unix epoch) or LSN.
struct StopTarget {
  enum class Kind { kNone, kTime, kLsn } kind = Kind::kNone;
  std::int64_t unix_micros = 0;
  std::uint64_t lsn = 0;
  std::string text;  // as given, for messages
};

// "2026-11-21T12:00:01.123456Z" (the diff header's form) -> Unix microseconds.
std::optional<std::int64_t> parse_commit_time(const std::string& text);

// A statement the server refused, with where it came from.
class ApplyError : public std::runtime_error {
 public:
  ApplyError(const std::string& message, std::string sqlstate, std::string detail, std::string hint)
      : std::runtime_error(message),
        sqlstate_(std::move(sqlstate)),
        detail_(std::move(detail)),
        hint_(std::move(hint)) {}
  const std::string& sqlstate() const { return sqlstate_; }
  const std::string& detail() const { return detail_; }
  const std::string& hint() const { return hint_; }

 private:
  std::string sqlstate_, detail_, hint_;
};

struct ApplyStats {
  std::uint64_t transactions = 0;  // committed on the target
  std::uint64_t rows = 0;          // rows inserted, updated, deleted or copied
  std::uint64_t copy_rows = 0;
  std::uint64_t copies = 0;  // COPY statements (tables with data in a dump)
  std::uint64_t statements = 0;
  std::uint64_t messages = 0;
  std::uint64_t rows_merged = 0;    // INSERT/UPDATE/DELETE sent as rows of a merged statement
  std::uint64_t groups_spread = 0;  // groups whose row changes went over several connections
  bool reached_target = false;      // a transaction after the target was found: stop here
  std::optional<scribe::DiffTransaction> last_applied;
  // The end of the file was inside a transaction (or a statement).
  bool torn = false;
  std::uint64_t torn_bytes = 0;
  std::uint32_t torn_xid = 0;
  std::uint64_t globals_failed = 0;  // globals: statements refused (reported as warnings)
  std::uint64_t roles_existing = 0;  // globals: roles that already existed
};

// Which statements of a pg_dump base are its ACL entries' (GRANT, REVOKE
// and the SET/RESET SESSION AUTHORIZATION around a grant by another
// grantor), told by the entry header comments ("-- Name: ...; Type: ACL;
// ..."). pg_dump writes these entries after the data; a confined restore
// runs them before it (ScriptRunner::set_early_acls).
class DumpAclEntries {
 public:
  void comment_line(std::string_view line);
  bool is_acl_statement(std::string_view statement) const;

 private:
  bool in_acl_entry_ = false;
};

class ScriptRunner {
 public:
  enum class Kind {
    kDiff,     // a sealed diff, or active.sql
    kDump,     // pg_dump's plain output: COPY data, run in one transaction
    kGlobals,  // pg_dumpall --globals-only: each statement alone, failures are warnings
  };

  ScriptRunner(PGconn* conn, Kind kind, std::string file_name, StopTarget target = {});
  ~ScriptRunner();

  // Bytes of the (decompressed) file, in order, any chunking.
  void feed(const char* data, std::size_t len);
  // The stop target was passed: the caller stops reading.
  bool done() const { return stats_.reached_target; }
  // End of the file. `may_be_torn` (active.sql): an incomplete final
  // transaction is dropped and reported; otherwise it is an error.
  const ApplyStats& finish(bool may_be_torn);

  // After finish (or for the base and globals, at any time).
  const ApplyStats& stats() const { return stats_; }
  // Source transactions committed so far, for progress (any time).
  std::uint64_t transactions_applied() const {
    std::uint64_t n = stats_.transactions;
    for (const auto& lane : lanes_) n += lane->transactions.load(std::memory_order_relaxed);
    return n;
  }
  // Diffs: more connections to the same database (--jobs), with the
  // restore's session settings (synchronous_commit). The row changes of a
  // group whose rows are told apart by a simple key are spread over them
  // by key (see split_group); everything else runs on the first.
  void set_more_connections(const std::vector<PGconn*>& conns);

  // Diffs: run the code that other roles control as those roles, confined
  // (needs the run-as function of confinement.hpp in the session): row
  // changes of tables a role other than a superuser owns, as the owner;
  // captured DDL that such a role ran, as that role. Off: as the restorer.
  // Base: COPY into such a table runs as its owner, confined, through the
  // copy-as function (the data sent in chunks of lines).
  void set_confined(bool on) { confined_ = on; }
  // Base: the dump's ACL statements (see base_acl_statements), asked for
  // once, before the first confined COPY, and run then in a savepoint:
  // pg_dump grants after the data, and the owners' code the COPY runs
  // would otherwise lack the rights it had at the source.
  void set_early_acls(std::function<std::string()> source) { early_acls_ = std::move(source); }
  // Base, --jobs: run the early ACL statements now (inside a transaction),
  // before other connections load the data; whether they ran.
  bool run_early_acls() {
    apply_early_acls();
    return early_acls_applied_;
  }
  // Base, --jobs: they ran on another runner of this restore: the same
  // statements in their place are skipped.
  void set_early_acls_applied() { early_acls_applied_ = true; }
  // Base: a confined COPY first lends its table's owner the rights it
  // lacks for the COPY (see lend_copy_rights), taken back by finish(). Off
  // on --jobs' data connections: the rights are lent on the first before
  // the data (lend_copy_rights(tables)), as GRANTs on one object from two
  // sessions at once can fail.
  void set_lend_rights(bool on) { lend_rights_ = on; }
  // Base, --jobs: lends now (on this runner's connection, in its
  // transaction) what the owners of these tables ("s.t" as written) lack
  // for their COPY; returns the REVOKEs that take it back, for the
  // caller to run once the base is restored.
  std::string lend_copy_rights(const std::vector<std::string>& tables);
  // Base, --jobs: each statement sent alone, in a transaction of its own
  // (an index build's lock is not held while the connection goes on).
  void set_statements_alone(bool on) { statements_alone_ = on; }
  // Diffs: leave out the statements that switch replica-firing triggers off
  // around their tables' changes, so that those triggers fire on replay.
  void set_fire_triggers(bool on) {
    fire_triggers_ = on;
    batcher_.set_collapse_updates(!on, batch_);
  }
  // Diffs: consecutive transactions made only of row changes are applied
  // as one transaction, their statements ordered table by table (see
  // flush_group). On by default, off while triggers fire (they could
  // observe the order); off: each as it came.
  void set_group_transactions(bool on) { grouping_ = on; }
  // Diffs: called (nothing in flight, inside the open transaction) before
  // the first UPDATE or DELETE that finds its row by a REPLICA IDENTITY
  // FULL comparison, with its table as written ("s.t"); once per table.
  void set_full_identity_hook(std::function<void(const std::string& table)> hook) {
    full_identity_hook_ = std::move(hook);
  }
  std::uint64_t bytes_fed() const { return scanner_.bytes_fed(); }

 private:
  struct Pending {                  // one commit of a message, to name it in errors
    scribe::DiffTransaction tx;     // the (last) source transaction it commits
    scribe::DiffTransaction first;  // a group: its first one
    std::uint64_t count = 1;        // source transactions it commits
  };

  // What a message's results add up to.
  struct Tally {
    std::uint64_t transactions = 0, rows = 0, copy_rows = 0;
    std::optional<scribe::DiffTransaction> last_applied;
  };
  // Reads every result of the query sent; returns the first error (or
  // null), to be failed once all are read. `commits`: the COMMITs seen of
  // those that `txs` names.
  PGresult* read_results(PGconn* conn, const std::vector<Pending>& txs, std::size_t& commits, Tally& tally);

  // Diffs: what goes to the server runs on threads of their own, one per
  // connection (a lane), in order, while this one reads the file and
  // builds what comes next (the client's work and the server's overlap).
  // Only a lane's thread uses its connection while work is queued;
  // everything else that uses the first connection calls
  // wait_for_results (sync) first.
  struct Barrier {  // under executor_mutex_
    std::size_t parties = 0, arrived = 0;
    bool failed = false;
  };
  struct Job {
    std::string sql;        // statements; or (copy) the COPY statement
    std::string copy_data;  // copy: its rows, in text format
    bool copy = false;
    bool count_rows = false;           // copy: its rows are the stream's
    std::vector<Pending> txs;          // the commits the statements make, in order
    std::string where;                 // where an error is when not in one of txs
    std::shared_ptr<Barrier> barrier;  // a barrier: wait for every lane to reach it
  };
  struct Lane {
    PGconn* conn = nullptr;
    std::thread thread;
    std::deque<Job> jobs;  // under executor_mutex_, as everything below but transactions
    std::size_t queued_bytes = 0;
    bool busy = false;
    std::exception_ptr error;
    bool error_secondary = false;  // it stopped because another lane failed
    Tally tally;                   // of finished jobs, transactions excepted:
    std::atomic<std::uint64_t> transactions{0};
    std::uint64_t session_version = 0;  // lanes 1..: the session settings it has
  };
  void enqueue(Job job);
  void enqueue_barrier(const std::shared_ptr<Barrier>& barrier);
  void sync();        // everything queued has run; rethrows the first failure
  void sync_lanes();  // the same, also while another lane's share is built
  void executor_loop(Lane& lane);
  void run_job(Lane& lane, const Job& job, Tally& tally);
  void stop_executor() noexcept;
  // Spreading a group over the lanes (set_more_connections).
  struct SplitInfo {
    bool ok = false;
    std::vector<std::string> key_columns;  // as wal2sql writes them (quote_ident)
  };
  bool confine_foreign_key(std::string_view text);
  const SplitInfo& split_info(const std::string& table);
  std::string split_refusal(const std::string& table);
  void report_not_spread(const std::string& table, const std::string& why);
  bool split_key(std::string_view statement, const SplitInfo& info, std::string& key) const;
  struct GroupTable;
  std::vector<std::vector<GroupTable>> split_group();
  void switch_lane(std::size_t lane);

  void on_statement(const scribe::DiffStatement& statement);
  void on_transaction(const scribe::DiffTransaction& tx);
  void on_copy_data(std::uint64_t data_start, std::uint64_t data_end, std::uint64_t resume);
  void on_meta_command(std::uint64_t start, std::uint64_t end);

  std::string_view window_text(std::uint64_t start, std::uint64_t end) const;
  void trim_window();
  void send_batch();
  void wait_for_results();
  void run_alone(std::string_view sql);
  void run_copy(std::string_view statement);
  void put_copy_data(std::uint64_t upto);
  bool confine_copy(std::string_view statement);
  void apply_early_acls();
  void send_copy_chunk(std::uint64_t upto);
  void wait_for_copy_chunk();
  std::uint64_t drain_copy_results(PGconn* conn, const std::function<std::optional<std::uint64_t>(PGresult*)>& rows_of,
                                   const std::string& what);
  void globals_statement(std::string_view statement);
  [[noreturn]] void fail(const PGresult* result, const std::string& where) { fail(conn_, result, where); }
  [[noreturn]] void fail(PGconn* conn, const PGresult* result, const std::string& where);
  // Text from the file about to be sent: libpq sends a C string, so a NUL
  // byte would silently cut it there (statements, COMMITs and whole
  // transactions after it lost). No SQL text holds one: refuse.
  void refuse_nul(std::string_view sql) const;
  std::string describe(const scribe::DiffTransaction& tx) const;
  std::string describe(const Pending& commit) const;
  // A statement inside a transaction that runs as it came (not grouped).
  void transaction_statement(std::string_view text);
  // Grouping (set_group_transactions).
  void start_transaction(std::string_view begin);
  void ungroup_open_transaction();
  void flush_group();
  void read_update_unsafe();
  void apply_group_table(const GroupTable& table);
  bool copy_rows(const std::string& table, const std::vector<std::string>& statements, std::size_t from, std::size_t to,
                 std::size_t head);
  bool update_by_copy(const std::string& table, const std::vector<std::string>& statements, std::size_t from,
                      std::size_t& end);
  void copy_in(const std::string& copy, std::string data, bool count);
  std::uint64_t temp_tables_ = 0;
  std::function<void(const std::string&)> full_identity_hook_;
  std::set<std::string, std::less<>> full_identity_seen_;
  void note_full_identity(std::string_view text);
  // Confinement (set_confined): true when `text` was taken care of.
  bool confine_statement(std::string_view text);
  void close_confined_group();
  void append_run_as(const std::string& role_oid, std::string_view sql);
  struct RoleInfo {
    std::string oid;
    bool trusted = true;     // a superuser or the restoring role: nothing to confine
    bool not_owner = false;  // tables: a trusted owner's table run as the role whose code it calls
    std::string grant;       // tables: what gives the owner the rights it lacks for a row change ...
    std::string revoke;      // ... and what takes them back
  };
  RoleInfo lookup(const char* sql, std::string_view key);
  void lend_copy_rights(std::string_view table, std::string& revokes);
  bool lend_rights_ = true;
  std::set<std::string, std::less<>> lent_tables_;
  std::string lent_revokes_;  // for finish()
  std::string copy_role_;     // the confined COPY's role (OID; "0": the table's owner)

  PGconn* conn_;
  Kind kind_;
  std::string file_name_;
  StopTarget target_;
  scribe::DiffScanner scanner_;
  scribe::InsertBatcher batcher_;

  std::string window_;  // file bytes from window_base_ on
  std::uint64_t window_base_ = 0;
  std::uint64_t consumed_ = 0;  // bytes before this are no longer needed

  std::string batch_;  // the message being built
  std::vector<Pending> batch_txs_;
  std::size_t batch_tx_start_ = 0;  // where the open transaction's text starts in batch_
  bool tx_open_ = false;            // inside BEGIN ... COMMIT in the file
  bool tx_partly_sent_ = false;     // part of the open transaction is already on the server
  bool non_transactional_ = false;  // between END; and START TRANSACTION; inside a transaction
  scribe::DiffTransaction open_tx_;

  bool in_flight_ = false;
  std::vector<Pending> flight_txs_;
  std::uint64_t flight_commits_ = 0;

  bool in_copy_ = false;
  std::uint64_t copy_sent_ = 0;
  bool copy_started_ = false;
  bool copy_confined_ = false;  // the COPY in progress goes through the copy-as function
  bool copy_chunked_ = false;   // its data lines are rows: sent in chunks
  bool copy_chunk_in_flight_ = false;
  std::string copy_statement_;
  std::function<std::string()> early_acls_;
  bool early_acls_asked_ = false;
  bool early_acls_applied_ = false;  // they ran: the same statements in their place are skipped
  DumpAclEntries acl_entries_;
  std::vector<std::string> existing_roles_;
  std::set<std::string> update_unsafe_;  // tables with other immediate UNIQUE/EXCLUDE constraints
  // DDL ran since update_unsafe_ was read: UPDATEs are not merged until
  // it is read again (flush_group).
  bool update_unsafe_stale_ = false;

  bool confined_ = false;
  bool fire_triggers_ = false;
  bool statements_alone_ = false;
  std::map<std::string, RoleInfo, std::less<>> table_owners_;  // by table as written; cleared by DDL
  std::string group_role_;                                     // role OID of the open confined group; empty: none
  std::string group_sql_;                                      // its statements
  std::string group_revokes_;                         // what to revoke after the group's call (see confine_statement)
  std::set<std::string, std::less<>> group_granted_;  // tables whose owner's rights the group granted
  std::string ddl_group_;                             // the confined role's statements up to RESET ROLE
  bool ddl_role_open_ = false;                        // between SET ROLE and RESET ROLE of captured DDL
  bool ddl_confined_ = false;
  std::string ddl_role_;

  // Grouping: the source transactions of the group (their row changes by
  // table, tables in the order they first came) and the open transaction's
  // statements while it has only row changes.
  struct GroupTable {
    std::string name;
    std::vector<std::string> statements;
  };
  bool grouping_ = true;
  std::vector<GroupTable> group_tables_;
  std::map<std::string, std::size_t, std::less<>> group_table_index_;
  std::size_t group_bytes_ = 0;
  Pending group_{{}, {}, 0};     // count 0: no group
  bool flushing_group_ = false;  // its statements are being built: errors name it
  bool tx_buffered_ = false;     // the open transaction is held in tx_statements_
  bool tx_grouped_ = false;      // its COMMIT came: it joins the group at on_transaction
  std::string tx_begin_;
  std::vector<std::string> tx_statements_;
  std::size_t tx_bytes_ = 0;

  ApplyStats stats_;

  // The lanes (diffs only): lanes_[0] uses conn_, the others those of
  // set_more_connections.
  std::vector<std::unique_ptr<Lane>> lanes_;
  std::mutex executor_mutex_;
  std::condition_variable executor_cv_;
  bool executor_stop_ = false;
  bool lanes_failed_ = false;  // a lane failed: no barrier is waited for any more
  // Tests only (PG_SCRIBE_TEST_LANE_DELAY_MS): a pause before each job
  // queued for a lane other than the first, so that a lane fails while its
  // share is still being queued, a timing otherwise rare.
  int test_lane_delay_ms_ = 0;
  std::size_t lane_ = 0;  // the lane that send_batch and copy_in queue for
  // Spreading: the settings the file's statements outside transactions
  // made (SET, set_config), sent to the other lanes before their work;
  // off for the rest of the file after any other such statement.
  std::string session_sql_;
  std::uint64_t session_version_ = 1;
  bool split_ok_ = true;
  std::map<std::string, SplitInfo, std::less<>> split_info_;  // cleared by DDL
  // split_key's scratch, kept for its capacity (it runs on every row change).
  mutable std::vector<std::string_view> split_columns_, split_literals_;
  mutable scribe::KeyedDml split_dml_;
  std::set<std::string, std::less<>> not_spread_reported_;  // "table: why", said once (-v)
  // switch_lane: the other lane's message and batcher while it is built.
  std::string lane_batch_;
  std::vector<Pending> lane_txs_;
  scribe::DmlBatcher lane_batcher_;
  std::uint64_t lane_rows_merged_ = 0;
};

}  // namespace pgscribe
