// The streaming worker of one database (DESIGN.md invariants 2 and 3).
//
// It consumes its slot through the logical decoding machinery, batch by
// batch: decode up to the flushed WAL (or a batch's worth), append the SQL
// to chain-<ID>/active.sql, fdatasync, and only then confirm the position to
// the slot. After a crash it cuts the torn tail of active.sql and tells
// wal2sql to skip the transactions the file already holds (start_after_lsn),
// so each transaction is written exactly once.
//
// Errors end the process (an ERROR in a background worker is FATAL); the
// postmaster starts it again and it backs off by itself, so a persistent
// problem (a full disk) neither loses data nor floods the log.
#include <algorithm>
#include <csignal>
#include <cstring>
#include <ctime>
#include <string>

#include <sys/stat.h>
#include <unistd.h>

#include "base.hpp"
#include "engine.hpp"
#include "seal.hpp"
#include "scribe/core/chain_files.hpp"
#include "scribe/core/compression.hpp"
#include "scribe/core/error.hpp"
#include "scribe/core/fault.hpp"
#include "scribe/core/fileio.hpp"
#include "scribe/core/format.hpp"
#include "scribe/pg/compat.hpp"
#include "scribe/pg/guard.hpp"
#include "scribe/pg/lwlock_guard.hpp"

extern "C" {
#include "access/xact.h"
#include "access/xlog.h"
#include "access/xlogreader.h"
#include "access/xlogutils.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "replication/decode.h"
#include "replication/logical.h"
#include "replication/slot.h"
#include "storage/ipc.h"
#include "storage/proc.h"
#include "tcop/tcopprot.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/resowner.h"
#include "utils/timestamp.h"

PGDLLEXPORT void scribe_worker_main(Datum main_arg);
}

namespace scribe::engine {
namespace {

using scribe::pg::call_pg;

DatabaseEntry* my_entry = nullptr;

// The open stream: what the write callback appends to.
struct Stream {
  BackupConfig config;
  std::string chain_dir;
  Manifest manifest;
  File active;
  std::uint64_t active_size = 0;      // durable bytes of active.sql
  std::uint64_t last_commit_lsn = 0;  // of the last transaction written in this chain
  LogicalDecodingContext* ctx = nullptr;
  bool reading = false;
  std::uint64_t batch_written = 0;  // bytes written since the last fdatasync
  TimestampTz last_slot_save = 0;
  TimestampTz last_sync = 0;      // of the last batch that wrote something
  std::string next_chain;         // set while switching to a new chain
  XLogRecPtr standby_target = 0;  // held back until the failover standbys have it
  TimestampTz held_since = 0;
  bool hold_reported = false;
};

Stream* stream = nullptr;
// Decoded SQL not yet written: the decoding context's output buffer, in
// which wal2sql's statements accumulate (each write callback only adds the
// newline), so that no statement is copied on its way to the file.
StringInfo pending = nullptr;
MemoryContext stream_context = nullptr;

template <class F>
void with_entry(F f) {
  scribe::pg::LWLockGuard lock(shared->lock, LW_EXCLUSIVE);
  f(*my_entry);
}

void set_state(WorkerState state) {
  with_entry([&](DatabaseEntry& e) { e.state = state; });
}

void record_error(const char* message) {
  with_entry([&](DatabaseEntry& e) {
    e.state = WorkerState::kError;
    snprintf(e.last_error, sizeof e.last_error, "%s", message);
    e.last_error_at = GetCurrentTimestamp();
  });
}

void release_entry(int, Datum) {
  if (my_entry == nullptr) return;
  LWLockReleaseAll();
  try {
    scribe::pg::LWLockGuard lock(shared->lock, LW_EXCLUSIVE);
    if (my_entry->worker_pid == MyProcPid) {
      my_entry->worker_pid = 0;
      my_entry->worker_latch = nullptr;
      if (my_entry->state != WorkerState::kError) my_entry->state = WorkerState::kStopped;
    }
  } catch (...) {
    // Nothing more can be done while exiting; the server log has the error.
  }
  ConditionVariableBroadcast(&my_entry->request_done);
}

// Writes what is pending to active.sql (not yet durable).
void write_pending() {
  if (pending->len == 0) return;
  stream->active.write_all(pending->data, static_cast<std::size_t>(pending->len));
  stream->batch_written += static_cast<std::uint64_t>(pending->len);
  resetStringInfo(pending);
  fault_point("batch_written");
}

}  // namespace
}  // namespace scribe::engine

extern "C" {

// The buffer is not reset: the next statement goes after the ones pending.
static void scribe_prepare_write(LogicalDecodingContext*, XLogRecPtr, TransactionId, bool) {}

// Called by the decoding machinery for every statement wal2sql writes. A
// batch larger than scribe.batch_size goes to the file at once, so that a
// huge transaction never accumulates in memory (it becomes durable, and the
// slot moves, only once whole).
static void scribe_write(LogicalDecodingContext* ctx, XLogRecPtr, TransactionId, bool) {
  using namespace scribe::engine;
  appendStringInfoCharMacro(ctx->out, '\n');
  if (ctx->out->len >= batch_bytes_kb * 1024L) scribe::pg::run_entry([] { write_pending(); });
}

}  // extern "C"

namespace scribe::engine {
namespace {

XLogReaderRoutine reader_routine() {
  XLogReaderRoutine routine;
  std::memset(&routine, 0, sizeof routine);
  routine.page_read = read_local_xlog_page;
  routine.segment_open = wal_segment_open;
  routine.segment_close = wal_segment_close;
  return routine;
}

XLogReaderRoutine routine_storage;

void open_decoding(Stream& s) {
  char after[kLsnTextSize];
  format_lsn(s.last_commit_lsn, after);
  call_pg([&] {
    MemoryContext old = MemoryContextSwitchTo(stream_context);
    // Gone: dropped, or a promoted standby that had no synced copy of it.
    if (SearchNamedReplicationSlot(s.config.slot.c_str(), true) == nullptr)
      ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
                      errmsg("replication slot \"%s\" of the backup is missing: chain %s cannot continue",
                             s.config.slot.c_str(), s.config.chain_id.c_str()),
                      errdetail("The chain's files restore the database as it was up to where they end."),
                      errhint("SELECT scribe.new_chain(); starts a new chain, with a new base, in the same backup "
                              "directory.")));
    scribe::pg::acquire_replication_slot(s.config.slot.c_str(), true);
    // An invalidated slot (max_slot_wal_keep_size) has no restart_lsn: reading
    // from it would fail on WAL segment 0 "already removed".
    char lost_after[kLsnTextSize];
    format_lsn(MyReplicationSlot->data.confirmed_flush, lost_after);
    if (XLogRecPtrIsInvalid(MyReplicationSlot->data.restart_lsn))
      ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
                      errmsg("replication slot \"%s\" lost WAL the backup still needed: chain %s cannot continue",
                             s.config.slot.c_str(), s.config.chain_id.c_str()),
                      errdetail("The slot was invalidated (max_slot_wal_keep_size); changes after %s are not in "
                                "the backup.",
                                lost_after),
                      errhint("Start a new backup: SELECT scribe.teardown(); then SELECT * FROM "
                              "scribe.init('/path/to/a/new/directory');")));
    List* options = NIL;
    auto option = [&](const char* name, const char* value) {
      options = lappend(options, makeDefElem(pstrdup(name), reinterpret_cast<Node*>(makeString(pstrdup(value))), -1));
    };
    // The prologue is written once per file by the worker itself.
    option("include_settings", "off");
    option("include_header", "on");
    option("include_transaction", "on");
    option("skip_empty_xacts", "on");
    option("include_globals", "on");
    if (s.last_commit_lsn != 0) option("start_after_lsn", after);
    routine_storage = reader_routine();
    s.ctx = CreateDecodingContext(InvalidXLogRecPtr, options, false, &routine_storage, scribe_prepare_write,
                                  scribe_write, nullptr);
    XLogBeginRead(s.ctx->reader, MyReplicationSlot->data.restart_lsn);
    pending = s.ctx->out;
    MemoryContextSwitchTo(old);
  });
}

void close_decoding(Stream& s) {
  call_pg([&] {
    if (s.ctx != nullptr) FreeDecodingContext(s.ctx);
    s.ctx = nullptr;
    pending = nullptr;
    if (MyReplicationSlot != nullptr) ReplicationSlotRelease();
  });
}

void publish_chain(const Stream& s) {
  with_entry([&](DatabaseEntry& e) {
    snprintf(e.chain_id, sizeof e.chain_id, "%s", s.config.chain_id.c_str());
    e.diffs_in_chain = static_cast<std::uint32_t>(s.manifest.diffs.size());
    e.active_bytes = s.active_size;
  });
}

constexpr const char kChainGoneHint[] =
    "If the backup directory was moved, put it back: the worker resumes by itself. If its files are gone, "
    "start over: SELECT scribe.teardown(); then scribe.init() into an empty directory.";

// The file the worker writes must still be the chain's active.sql, at its
// place, and the chain writable: a backup directory removed, moved away or
// replaced under a running worker would otherwise have it fdatasync a file
// that no restore will find and confirm the slot past it, while
// scribe.status says all is well. Checked before each confirmation of the
// slot and while idle; the error stops the stream, the slot stays where the
// files at their place end, and the worker retries with its back-off.
void check_chain_in_place(const Stream& s) {
  const std::string active_path = join_path(s.chain_dir, std::string(kActiveFileName));
  struct stat open_file, at_path;
  if (::fstat(s.active.fd(), &open_file) != 0) throw_io_error("stat file", active_path, errno);
  if (::stat(active_path.c_str(), &at_path) != 0 || open_file.st_nlink == 0 || open_file.st_dev != at_path.st_dev ||
      open_file.st_ino != at_path.st_ino)
    throw Error(sqlstate::kIoError,
                "\"" + active_path +
                    "\" is no longer the file the pg_scribe worker writes: the backup directory was "
                    "removed, moved or replaced",
                "Nothing written since is confirmed to the replication slot.", kChainGoneHint);
  if (::access(s.chain_dir.c_str(), W_OK) != 0) throw_io_error("write in directory", s.chain_dir, errno);
  if (::access(active_path.c_str(), W_OK) != 0) throw_io_error("write to file", active_path, errno);
}

// A worker restarted in this server's lifetime knows from shared memory how
// far its predecessor made this chain durable (and confirmed to the slot).
// Files that hold less are an older copy put in place of the backup
// directory: streaming on into them would leave a silent gap, because the
// slot is past what they hold. Checked before anything is repaired.
void check_not_older_copy(const Stream& s) {
  std::uint64_t known_diffs = 0, known_bytes = 0;
  bool known = false;
  {
    scribe::pg::LWLockGuard lock(shared->lock, LW_SHARED);
    if (s.config.chain_id == my_entry->chain_id) {
      known = true;
      known_diffs = my_entry->diffs_in_chain;
      known_bytes = my_entry->active_bytes;
    }
  }
  if (!known) return;
  // A rotation interrupted after its rename has one diff more than the
  // manifest lists (and maybe no active.sql): reconcile_chain completes it.
  const std::string active_path = join_path(s.chain_dir, std::string(kActiveFileName));
  struct stat st;
  const bool has_active = ::stat(active_path.c_str(), &st) == 0;
  const std::uint64_t diffs = s.manifest.diffs.size();
  const std::uint64_t bytes = has_active ? static_cast<std::uint64_t>(st.st_size) : 0;
  bool orphan_diff = false;
  for (const std::string& name : list_directory(s.chain_dir))
    if (is_diff_file_name(name) && std::none_of(s.manifest.diffs.begin(), s.manifest.diffs.end(),
                                                [&](const SealedDiff& d) { return d.stored.file == name; }))
      orphan_diff = true;
  if (orphan_diff || diffs > known_diffs || (diffs == known_diffs && has_active && bytes >= known_bytes)) return;
  throw Error(sqlstate::kDataCorrupted,
              "the files of chain " + s.config.chain_id +
                  " hold less than the pg_scribe worker had made durable: "
                  "the backup directory was replaced by an older copy",
              "The chain has " + std::to_string(diffs) + " sealed diffs and an active.sql of " + std::to_string(bytes) +
                  " bytes; " + std::to_string(known_diffs) + " sealed diffs and " + std::to_string(known_bytes) +
                  " bytes were durable and confirmed to the slot.",
              kChainGoneHint);
}

void drop_previous_slot(const std::string& old_slot) {
  try {
    call_pg([&] { ReplicationSlotDrop(old_slot.c_str(), true); });
  } catch (const std::exception& e) {
    ereport(WARNING,
            (errmsg("pg_scribe: could not drop the previous chain's slot \"%s\": %s", old_slot.c_str(), e.what()),
             errhint("Drop it with pg_drop_replication_slot(); it retains WAL.")));
  }
}

// A crash in switch_chain() after the old chain was sealed and closed, before
// the configuration named the new chain. The new chain is whole (its base,
// manifest, active.sql and slot were made before the switch was asked for)
// and starts where the old one ends: finish the switch.
bool complete_interrupted_switch(Stream& s) {
  if (s.manifest.next_chain.empty()) return false;
  BackupConfig next = s.config;
  next.chain_id = s.manifest.next_chain;
  Manifest m;
  try {
    m = load_manifest(chain_dir_of(next));
  } catch (const std::exception&) {
    return false;
  }
  if (m.chain_id != next.chain_id || m.start_lsn != s.manifest.end_lsn || m.slot.empty()) return false;
  bool slot_exists = false;
  call_pg([&] { slot_exists = SearchNamedReplicationSlot(m.slot.c_str(), true) != nullptr; });
  if (!slot_exists) return false;
  const std::string old_slot = s.config.slot, old_chain = s.config.chain_id;
  next.slot = m.slot;
  next.compression = m.compression;
  save_config(next);
  s.config = next;
  drop_previous_slot(old_slot);
  ereport(LOG, (errmsg("pg_scribe: completed the switch from chain %s to chain %s that a crash interrupted",
                       old_chain.c_str(), next.chain_id.c_str())));
  return true;
}

// remove_abandoned_chains(), when no API call holds the lock: one that does
// may be making a chain right now (the worker restarts after its own errors
// too, not only after a crash).
void remove_abandoned_chains_if_idle(const BackupConfig& config) {
  bool in_transaction = false;
  try {
    bool locked = false;
    call_pg([&] {
      SetCurrentStatementStartTimestamp();
      StartTransactionCommand();
      in_transaction = true;
      locked = DatumGetBool(DirectFunctionCall1(pg_try_advisory_xact_lock_int8, Int64GetDatum(kApiLockKey)));
    });
    if (locked) remove_abandoned_chains(config.backup_dir, config.chain_id, config.slot, config.slot_base);
    call_pg([&] { CommitTransactionCommand(); });
    in_transaction = false;
  } catch (...) {
    if (in_transaction) call_pg([] { AbortCurrentTransaction(); });
    throw;
  }
}

// Opens the configured chain: repairs what a crash left, reopens the slot.
void open_stream(Stream& s) {
  s.chain_dir = chain_dir_of(s.config);
  if (!is_directory(s.chain_dir))
    throw Error(sqlstate::kIoError,
                "chain directory \"" + s.chain_dir +
                    "\" is missing: the backup directory was removed, moved or "
                    "replaced",
                {}, kChainGoneHint);
  s.manifest = load_manifest(s.chain_dir);
  // A loop: a promoted standby's configuration is the one its base backup
  // copied, and may name a chain that several new_chain() calls on the old
  // primary have closed since; each closed chain names its successor.
  while (s.manifest.closed && complete_interrupted_switch(s)) {
    s.chain_dir = chain_dir_of(s.config);
    s.manifest = load_manifest(s.chain_dir);
  }
  // Another backup's chain put in place of ours (even with the same id).
  if (s.manifest.system_identifier != GetSystemIdentifier() || s.manifest.slot != s.config.slot)
    throw Error(sqlstate::kIoError,
                "chain directory \"" + s.chain_dir + "\" belongs to another backup (slot \"" + s.manifest.slot +
                    "\"), not to this one (slot \"" + s.config.slot + "\")",
                "The backup directory was replaced.", kChainGoneHint);
  check_not_older_copy(s);
  if (s.manifest.closed)
    throw Error(sqlstate::kObjectNotInPrerequisiteState,
                "chain " + s.config.chain_id + " was closed by scribe.new_chain() but is still configured",
                "Its successor is chain " + s.manifest.next_chain + ".",
                "Run scribe.teardown() and scribe.init() into a new directory, or scribe.new_chain() again.");
  remove_abandoned_chains_if_idle(s.config);
  const std::string encoding = GetDatabaseEncodingName();
  if (reconcile_chain(s.chain_dir, s.manifest, now_iso()))
    ereport(LOG, (errmsg("pg_scribe: repaired chain %s after an interrupted rotation", s.config.chain_id.c_str())));
  const std::string active_path = join_path(s.chain_dir, std::string(kActiveFileName));
  if (!path_exists(active_path))
    create_active_file(s.chain_dir, s.config.chain_id, s.manifest.stream_position(), encoding);
  const ActiveFileState active =
      recover_active_file(s.chain_dir, s.config.chain_id, s.manifest.stream_position(), encoding);
  if (active.unsealed)
    ereport(LOG, (errmsg("pg_scribe: took the trailer of an interrupted rotation (%llu bytes) off \"%s\"; the next "
                         "rotation seals it again",
                         static_cast<unsigned long long>(active.torn_bytes), active_path.c_str())));
  else if (active.torn_bytes > 0)
    ereport(LOG, (errmsg("pg_scribe: cut %llu bytes of an unfinished transaction from the end of \"%s\"",
                         static_cast<unsigned long long>(active.torn_bytes), active_path.c_str())));
  if (active.start_lsn != s.manifest.stream_position())
    throw Error(sqlstate::kDataCorrupted, "\"" + active_path + "\" does not continue the chain's last sealed diff", {},
                "Start a new chain with scribe.new_chain().");
  s.active = File(active_path, File::Mode::kAppend);
  s.active_size = active.size;
  s.last_commit_lsn = active.transactions > 0 ? active.last_commit_lsn : s.manifest.last_commit_lsn();
  s.batch_written = 0;
  check_chain_in_place(s);
  open_decoding(s);
  publish_chain(s);
}

// Makes everything decoded so far durable, then moves the slot.
void finish_batch(Stream& s) {
  write_pending();
  if (s.batch_written > 0) {
    s.active.sync_data();
    s.last_sync = GetCurrentTimestamp();
  }
  s.active_size += s.batch_written;
  const bool wrote = s.batch_written > 0;
  s.batch_written = 0;
  if (wrote) check_chain_in_place(s);
  if (wrote) fault_point("batch_synced");
  const XLogRecPtr position = s.ctx->reader->EndRecPtr;
  call_pg([&] {
    if (position != InvalidXLogRecPtr) LogicalConfirmReceivedLocation(position);
    // Persist the slot now and then (LogicalConfirmReceivedLocation alone
    // leaves that to checkpoints): less to decode again after a crash.
    const TimestampTz now = GetCurrentTimestamp();
    if (TimestampDifferenceExceeds(s.last_slot_save, now, 10000)) {
      ReplicationSlotMarkDirty();
      ReplicationSlotSave();
      s.last_slot_save = now;
    }
  });
  with_entry([&](DatabaseEntry& e) {
    e.written_lsn = position;
    e.active_bytes = s.active_size;
    // Only bytes made durable are progress: a batch that confirmed nothing
    // new must not reset the back-off (a full disk fails at every write).
    if (wrote) e.consecutive_failures = 0;
  });
}

XLogRecPtr decode_limit() {
  scribe::pg::LWLockGuard lock(shared->lock, LW_SHARED);
  return my_entry->decode_limit;
}

bool request_waiting() {
  // Unlocked read of one word: only a hint to end a batch early.
  return my_entry->request_seq != my_entry->done_seq;
}

// Decodes records while the reader is before `upto`, then makes them durable.
void decode_until(Stream& s, XLogRecPtr upto, bool stop_for_requests) {
  const std::uint64_t batch_limit = static_cast<std::uint64_t>(batch_bytes_kb) * 1024;
  set_state(WorkerState::kStreaming);
  while (s.ctx->reader->EndRecPtr < upto) {
    call_pg([&] {
      char* errm = nullptr;
      XLogRecord* record = XLogReadRecord(s.ctx->reader, &errm);
      if (errm != nullptr) elog(ERROR, "could not read WAL for pg_scribe: %s", errm);
      if (record != nullptr) LogicalDecodingProcessRecord(s.ctx, s.ctx->reader);
      CHECK_FOR_INTERRUPTS();
    });
    if (s.batch_written + static_cast<std::uint64_t>(pending->len) >= batch_limit) finish_batch(s);
    if (stop_for_requests && request_waiting()) break;
  }
  finish_batch(s);
}

// How far the worker may decode towards `want`: nothing past what the
// failover standbys have (17+, a failover slot and synchronized_standby_slots
// set), so that a standby promoted later holds every transaction the backup
// holds and the chain continues on it without a gap. Under a steady load the
// flush position always runs ahead of the standbys': a target is kept until
// they have it, then the next one is taken.
XLogRecPtr standby_bound(Stream& s, XLogRecPtr want) {
  bool have = false;
  call_pg([&] { have = scribe::pg::standbys_have_wal_up_to(want); });
  if (!have && (s.standby_target == 0 || s.standby_target > want)) s.standby_target = want;
  if (!have) call_pg([&] { have = scribe::pg::standbys_have_wal_up_to(s.standby_target); });
  if (have) {
    const XLogRecPtr bound = s.standby_target != 0 ? std::min(want, s.standby_target) : want;
    s.standby_target = 0;
    s.held_since = 0;
    s.hold_reported = false;
    return bound;
  }
  if (s.held_since == 0) s.held_since = GetCurrentTimestamp();
  return s.ctx->reader->EndRecPtr;
}

bool held_longer_than(const Stream& s, int ms) {
  return s.held_since != 0 && TimestampDifferenceExceeds(s.held_since, GetCurrentTimestamp(), ms);
}

void sleep_a_little() {
  call_pg([] {
    (void)WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, 100, PG_WAIT_EXTENSION);
    ResetLatch(MyLatch);
    CHECK_FOR_INTERRUPTS();
  });
}

void catch_up_to(Stream& s, XLogRecPtr target) {
  for (;;) {
    const XLogRecPtr limit = decode_limit();
    XLogRecPtr upto = target;
    if (limit != InvalidXLogRecPtr) upto = std::min(upto, limit);
    if (s.ctx->reader->EndRecPtr >= upto) return;
    const XLogRecPtr bound = standby_bound(s, upto);
    if (bound > s.ctx->reader->EndRecPtr) {
      decode_until(s, bound, false);
      continue;
    }
    // A rotation or new_chain() must not hang while a standby is away.
    if (held_longer_than(s, start_timeout_s * 1000))
      throw Error(sqlstate::kObjectNotInPrerequisiteState,
                  "the standbys in synchronized_standby_slots have not received the WAL up to " + lsn_text(upto),
                  "The chain's slot is a failover slot: the backup holds nothing that a standby could lack after a "
                  "promotion, and waits for them.",
                  "Bring the standby back, or take its slot out of synchronized_standby_slots.");
    sleep_a_little();
  }
}

// Seals active.sql; `continue_chain`: start a new active.sql (not when the
// chain ends here).
SealedDiff rotate(Stream& s, bool continue_chain = true) {
  TimeLineID tli;
  catch_up_to(s, GetFlushRecPtr(&tli));
  // Sealing works on the path: it must still name the file written to.
  check_chain_in_place(s);
  const std::string sequences = sequence_values_sql();
  SealRequest request;
  request.chain_dir = s.chain_dir;
  request.end_lsn = s.ctx->reader->EndRecPtr;
  request.sequences_sql = sequences;
  request.compression = parse_compression_spec(s.config.compression);
  const std::string previous =
      s.manifest.diffs.empty() ? std::string() : s.manifest.diffs.back().stored.file.substr(5, 16);
  request.file_timestamp = next_name_timestamp(static_cast<std::int64_t>(std::time(nullptr)), previous);
  request.sealed_at = now_iso();
  SealedDiff diff = seal_active_file(request);
  // From here the diff is sealed: any failure leaves a state that the
  // restart's reconcile_chain completes.
  fault_point("seal_renamed");
  s.active.close();
  s.manifest.diffs.push_back(diff);
  if (!continue_chain) {
    s.manifest.closed = true;
    s.manifest.end_lsn = request.end_lsn;
    s.manifest.next_chain = s.next_chain;
  }
  save_manifest(s.chain_dir, s.manifest);
  fault_point("seal_manifest_saved");
  if (continue_chain) {
    create_active_file(s.chain_dir, s.config.chain_id, request.end_lsn, GetDatabaseEncodingName());
    s.active = File(join_path(s.chain_dir, std::string(kActiveFileName)), File::Mode::kAppend);
    s.active_size = s.active.size();
  }
  if (diff.transactions > 0) s.last_commit_lsn = diff.last_commit_lsn;
  call_pg([&] {
    ReplicationSlotMarkDirty();
    ReplicationSlotSave();
  });
  with_entry([&](DatabaseEntry& e) {
    e.last_rotation = GetCurrentTimestamp();
    e.diffs_in_chain = static_cast<std::uint32_t>(s.manifest.diffs.size());
    e.active_bytes = s.active_size;
  });
  return diff;
}

// Answers request `seq`, the one taken: not whatever request_seq says now
// (a caller cancelled while its request was served is followed by another
// one, whose request must be served in turn, not answered by this result).
void respond(const RequestResult& result, std::uint64_t seq) {
  with_entry([&](DatabaseEntry& e) {
    if (seq > e.done_seq) {
      e.result = result;
      e.done_seq = seq;
    }
    if (e.request_seq == seq) e.request = RequestKind::kNone;
  });
  ConditionVariableBroadcast(&my_entry->request_done);
}

// Takes the waiting request, if any: from here its caller waits for the
// answer instead of withdrawing it. Returns its sequence number, 0 if none.
std::uint64_t take_request(RequestKind& kind, std::string& new_chain, std::string& new_slot,
                           std::string& new_compression, XLogRecPtr& switch_lsn) {
  scribe::pg::LWLockGuard lock(shared->lock, LW_EXCLUSIVE);
  if (my_entry->request_seq == my_entry->done_seq || my_entry->request == RequestKind::kNone) return 0;
  // The strings first: a failed allocation leaves the request untaken.
  new_chain = my_entry->switch_chain_id;
  new_slot = my_entry->switch_slot;
  new_compression = my_entry->switch_compression;
  kind = my_entry->request;
  switch_lsn = my_entry->switch_lsn;
  my_entry->taken_seq = my_entry->request_seq;
  return my_entry->request_seq;
}

RequestResult result_for(const SealedDiff& diff, const std::string& chain_dir) {
  RequestResult r;
  std::memset(&r, 0, sizeof r);
  r.ok = true;
  snprintf(r.diff_file, sizeof r.diff_file, "%s", join_path(chain_dir, diff.stored.file).c_str());
  r.start_lsn = diff.start_lsn;
  r.end_lsn = diff.end_lsn;
  r.transactions = diff.transactions;
  r.bytes = diff.stored.bytes;
  snprintf(r.sha256, sizeof r.sha256, "%s", diff.stored.sha256.c_str());
  return r;
}

RequestResult result_for(const std::exception& e) {
  RequestResult r;
  std::memset(&r, 0, sizeof r);
  r.ok = false;
  const auto* se = dynamic_cast<const Error*>(&e);
  snprintf(r.sqlstate, sizeof r.sqlstate, "%s", se != nullptr ? se->sqlstate() : sqlstate::kInternalError);
  snprintf(r.message, sizeof r.message, "%s", e.what());
  if (se != nullptr) snprintf(r.hint, sizeof r.hint, "%s", se->hint().c_str());
  return r;
}

// The old chain ends exactly where the new slot's stream begins
// (switch_lsn, the new slot's consistent point): the old slot decodes every
// record before it, the new one every transaction committed after it.
void switch_chain(Stream& s, const std::string& new_chain, const std::string& new_slot,
                  const std::string& new_compression, XLogRecPtr switch_lsn) {
  catch_up_to(s, switch_lsn);
  if (s.ctx->reader->EndRecPtr != switch_lsn) {
    char at[kLsnTextSize], want[kLsnTextSize];
    format_lsn(s.ctx->reader->EndRecPtr, at);
    format_lsn(switch_lsn, want);
    throw Error(sqlstate::kInternalError,
                "the stream is at " + std::string(at) + ", not at the new chain's start " + want, {},
                "This is a bug; please report it. The current chain continues.");
  }
  s.next_chain = new_chain;
  (void)rotate(s, false);
  fault_point("switch_chain_sealed");
  const std::string old_slot = s.config.slot;
  s.config.chain_id = new_chain;
  s.config.slot = new_slot;
  s.config.compression = new_compression;
  save_config(s.config);
  with_entry([&](DatabaseEntry& e) { e.decode_limit = InvalidXLogRecPtr; });
  close_decoding(s);
  drop_previous_slot(old_slot);
  open_stream(s);
}

void serve_request(Stream& s) {
  RequestKind kind = RequestKind::kNone;
  std::string new_chain, new_slot, new_compression;
  XLogRecPtr switch_lsn = InvalidXLogRecPtr;
  const std::uint64_t seq = take_request(kind, new_chain, new_slot, new_compression, switch_lsn);
  if (seq == 0) return;
  RequestResult result;
  try {
    if (kind == RequestKind::kRotate) {
      result = result_for(rotate(s), s.chain_dir);
    } else {
      switch_chain(s, new_chain, new_slot, new_compression, switch_lsn);
      result = result_for(SealedDiff{}, s.chain_dir);
    }
  } catch (const std::exception& e) {
    respond(result_for(e), seq);
    // After a PostgreSQL error, or once files changed in a way only the
    // restart's repair completes, the worker starts over; otherwise (say a
    // full disk while sealing, which leaves active.sql as it was) it goes
    // on streaming.
    const bool restart = dynamic_cast<const scribe::pg::PgError*>(&e) != nullptr || s.ctx == nullptr ||
                         !s.active.is_open() || !path_exists(join_path(s.chain_dir, std::string(kActiveFileName)));
    if (restart) throw;
    return;
  }
  respond(result, seq);
}

void reload_config_if_asked() {
  if (ConfigReloadPending) {
    ConfigReloadPending = false;
    ProcessConfigFile(PGC_SIGHUP);
  }
}

// Under a steady write load there is new WAL every time the worker has
// synced a batch, and without a pause it would fdatasync after every few
// commits, competing with the server's own WAL flushes for the disk. It
// waits until scribe.sync_interval has passed since the last sync, so that
// one batch gathers that long's transactions; a request (rotate_diff(),
// new_chain(), stop) sets the latch and ends the wait. True if it waited:
// the caller then looks again for requests and for the WAL flushed since.
bool pace_syncs(const Stream& s) {
  if (sync_interval_ms <= 0 || s.last_sync == 0 || request_waiting()) return false;
  const TimestampTz due = TimestampTzPlusMilliseconds(s.last_sync, sync_interval_ms);
  const long wait_ms = TimestampDifferenceMilliseconds(GetCurrentTimestamp(), due);
  if (wait_ms <= 0) return false;
  call_pg([&] {
    (void)WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, wait_ms, PG_WAIT_EXTENSION);
    ResetLatch(MyLatch);
    CHECK_FOR_INTERRUPTS();
    reload_config_if_asked();
  });
  return true;
}

void wait_for_work() {
  call_pg([&] {
    const int rc =
        WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, idle_timeout_ms, PG_WAIT_EXTENSION);
    (void)rc;
    ResetLatch(MyLatch);
    CHECK_FOR_INTERRUPTS();
    reload_config_if_asked();
  });
}

void back_off_after_failures() {
  std::uint32_t failures;
  {
    scribe::pg::LWLockGuard lock(shared->lock, LW_SHARED);
    failures = my_entry->consecutive_failures;  // starts since the last success, this one included
  }
  if (failures <= 1) return;
  const long delay_ms = std::min(60000L, 1000L << std::min<std::uint32_t>(failures - 2, 6));
  const TimestampTz until = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), delay_ms);
  while (GetCurrentTimestamp() < until) {
    call_pg([&] {
      (void)WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, 1000, PG_WAIT_EXTENSION);
      ResetLatch(MyLatch);
      CHECK_FOR_INTERRUPTS();
    });
    // A waiting request gets its answer: the stream is not running.
    RequestKind kind = RequestKind::kNone;
    std::string unused_chain, unused_slot, unused_compression;
    XLogRecPtr unused_lsn = InvalidXLogRecPtr;
    if (const std::uint64_t seq = take_request(kind, unused_chain, unused_slot, unused_compression, unused_lsn)) {
      RequestResult r;
      std::memset(&r, 0, sizeof r);
      snprintf(r.sqlstate, sizeof r.sqlstate, "%s", sqlstate::kObjectNotInPrerequisiteState);
      snprintf(r.message, sizeof r.message, "the pg_scribe worker is recovering from an error: %s",
               my_entry->last_error);
      snprintf(r.hint, sizeof r.hint, "See scribe.status and the server log.");
      respond(r, seq);
    }
  }
}

void run(Oid database) {
  stream_context = AllocSetContextCreate(TopMemoryContext, "pg_scribe stream", ALLOCSET_DEFAULT_SIZES);
  std::optional<BackupConfig> config = load_config(database);
  if (!config || !config->enabled) {
    set_state(WorkerState::kStopped);
    proc_exit(0);  // stopped or torn down: unregister
  }
  Stream s;
  stream = &s;
  s.config = *config;
  // The back-off is reset by progress (a durable batch, or catching up),
  // not by opening the stream: a cause that fails after the open (a full
  // disk, an unwritable file) would otherwise restart the worker every
  // second for as long as it lasts.
  open_stream(s);
  for (;;) {
    serve_request(s);
    TimeLineID tli;
    const XLogRecPtr flushed = GetFlushRecPtr(&tli);
    const XLogRecPtr limit = decode_limit();
    XLogRecPtr upto = flushed;
    if (limit != InvalidXLogRecPtr) upto = std::min(upto, limit);
    if (s.ctx->reader->EndRecPtr < upto) {
      if (pace_syncs(s)) continue;
      const XLogRecPtr bound = standby_bound(s, upto);
      if (bound > s.ctx->reader->EndRecPtr) {
        decode_until(s, bound, true);
        continue;
      }
      // Held back by the failover standbys: not idle, the lag grows.
      set_state(WorkerState::kStreaming);
      if (!s.hold_reported && held_longer_than(s, 10000)) {
        s.hold_reported = true;
        ereport(WARNING, (errmsg("pg_scribe waits for the standbys in synchronized_standby_slots to receive the WAL "
                                 "up to %s",
                                 lsn_text(s.standby_target).c_str()),
                          errhint("Bring the standby back, or take its slot out of synchronized_standby_slots.")));
      }
      wait_for_work();
      continue;
    }
    check_chain_in_place(s);
    with_entry([&](DatabaseEntry& e) {
      e.state = WorkerState::kIdle;
      e.caught_up_at = GetCurrentTimestamp();
      e.consecutive_failures = 0;
    });
    wait_for_work();
  }
}

}  // namespace
}  // namespace scribe::engine

void scribe_worker_main(Datum main_arg) {
  using namespace scribe::engine;
  const Oid database = DatumGetObjectId(main_arg);
  pqsignal(SIGHUP, SignalHandlerForConfigReload);
  pqsignal(SIGTERM, die);
  BackgroundWorkerUnblockSignals();

  // Claim this database's entry; a second worker for it leaves at once.
  DatabaseEntry* entry = nullptr;
  bool duplicate = true;
  scribe::pg::run_entry([&] {
    scribe::pg::LWLockGuard lock(shared->lock, LW_EXCLUSIVE);
    entry = find_entry(database, true);
    duplicate = entry == nullptr;
    if (entry != nullptr && entry->worker_pid != 0 && entry->worker_pid != MyProcPid && kill(entry->worker_pid, 0) == 0)
      duplicate = true;
    if (!duplicate) {
      entry->worker_pid = MyProcPid;
      entry->worker_latch = MyLatch;
      entry->consecutive_failures++;
      if (entry->state != WorkerState::kError) entry->state = WorkerState::kStarting;
    }
  });
  if (duplicate) proc_exit(0);
  my_entry = entry;
  on_shmem_exit(release_entry, 0);
  // Before connecting: a failure there (a database dropped while it was
  // backed up) must not restart the worker every second either.
  scribe::pg::run_entry([] { back_off_after_failures(); });

  BackgroundWorkerInitializeConnectionByOid(database, InvalidOid, 0);
  if (CurrentResourceOwner == nullptr) CreateAuxProcessResourceOwner();

  scribe::pg::run_entry([&] {
    try {
      run(database);
    } catch (const std::exception& e) {
      // For scribe.status; the error itself is logged as the worker exits.
      record_error(e.what());
      throw;
    }
  });
  proc_exit(0);
}
