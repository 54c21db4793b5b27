// The background worker that holds one file-system backup: it runs
// pg_backup_start(), waits for a stop request or its deadline, runs
// pg_backup_stop() and records the outcome (fs_backup_internal.hpp).
#include <algorithm>
#include <csignal>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "fs_backup_internal.hpp"
#include "scribe/core/error.hpp"

#include "scribe/pg/catalog_spi.hpp"
extern "C" {
#include "access/xlog_internal.h"
#include "executor/spi.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "storage/ipc.h"
#include "tcop/tcopprot.h"
#include "utils/builtins.h"
#include "utils/pg_lsn.h"
#include "utils/snapmgr.h"

PGDLLEXPORT void scribe_fs_backup_main(Datum main_arg);
}

namespace scribe::fs_backup {
namespace {

std::string seconds_text(std::int64_t us) {
  char buf[64];
  if (us % kUsecPerSec == 0)
    snprintf(buf, sizeof buf, "%lld s", static_cast<long long>(us / kUsecPerSec));
  else
    snprintf(buf, sizeof buf, "%.3f s", static_cast<double>(us) / kUsecPerSec);
  return buf;
}

Slot* my_slot = nullptr;
std::uint64_t my_id = 0;
// Set by SIGTERM: ProcessInterrupts() clears ProcDiePending before it exits.
volatile sig_atomic_t terminate_requested = false;

bool still_mine() { return my_slot->in_use && my_slot->id == my_id && !is_final(my_slot->state); }

void finish_mine(State state, const std::string& sqlstate, const std::string& error, const Record* results) {
  LWLockGuard lock(shared->lock, LW_EXCLUSIVE);
  if (still_mine()) finish_locked(*my_slot, state, sqlstate, error, results);
}

// Runs when the worker exits, also on SIGTERM (FATAL) and postmaster death:
// a backup not yet finished is recorded as failed. PostgreSQL's own exit
// handler, registered by pg_backup_start(), has aborted it by then.
void on_worker_exit(int, Datum) {
  if (my_slot == nullptr) return;
  LWLockReleaseAll();
  try {
    LWLockGuard lock(shared->lock, LW_EXCLUSIVE);
    if (!still_mine()) return;
    std::string why = my_slot->state == State::kStarting ? "its worker ended before the backup was in progress"
                      : my_slot->state == State::kStopping
                          ? "its worker ended while stopping the backup (waiting for WAL archiving)"
                          : "its worker ended before the backup was stopped";
    why += terminate_requested ? ": terminated by a server shutdown or pg_terminate_backend()" : "; see the server log";
    finish_locked(*my_slot, State::kFailed, sqlstate::kAdminShutdown, why, nullptr);
  } catch (...) {
    // Nothing more can be done while exiting; the server log has the error.
  }
}

// A statement in its own transaction: pg_backup_start() and
// pg_backup_stop() keep the backup in the session, not in a transaction.
template <class F>
void in_transaction(const char* activity, F&& body) {
  call_pg([&] {
    SetCurrentStatementStartTimestamp();
    StartTransactionCommand();
    if (SPI_connect() != SPI_OK_CONNECT) elog(ERROR, "SPI_connect failed");
    PushActiveSnapshot(GetTransactionSnapshot());
    pgstat_report_activity(STATE_RUNNING, activity);
    body();
    SPI_finish();
    PopActiveSnapshot();
    CommitTransactionCommand();
    pgstat_report_activity(STATE_IDLE, nullptr);
  });
}

XLogRecPtr start_backup(const std::string& label, bool fast) {
  static const char kSql[] = "SELECT pg_catalog.pg_backup_start($1, $2)";
  XLogRecPtr lsn = InvalidXLogRecPtr;
  in_transaction(kSql, [&] {
    Oid types[2] = {TEXTOID, BOOLOID};
    Datum values[2] = {CStringGetTextDatum(label.c_str()), BoolGetDatum(fast)};
    if (scribe::pg::spi_execute_catalog_with_args(kSql, 2, types, values, nullptr, false, 1) != SPI_OK_SELECT ||
        SPI_processed != 1)
      elog(ERROR, "pg_backup_start() returned no row");
    bool isnull = false;
    const Datum d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
    lsn = isnull ? InvalidXLogRecPtr : DatumGetLSN(d);
  });
  return lsn;
}

Record stop_backup(bool wait_for_archive) {
  static const char kSql[] = "SELECT lsn, labelfile, spcmapfile FROM pg_catalog.pg_backup_stop($1)";
  Record r;
  in_transaction(kSql, [&] {
    Oid types[1] = {BOOLOID};
    Datum values[1] = {BoolGetDatum(wait_for_archive)};
    if (scribe::pg::spi_execute_catalog_with_args(kSql, 1, types, values, nullptr, false, 1) != SPI_OK_SELECT ||
        SPI_processed != 1)
      elog(ERROR, "pg_backup_stop() returned no row");
    HeapTuple row = SPI_tuptable->vals[0];
    TupleDesc desc = SPI_tuptable->tupdesc;
    bool isnull = false;
    const Datum d = SPI_getbinval(row, desc, 1, &isnull);
    r.stop_lsn = isnull ? InvalidXLogRecPtr : DatumGetLSN(d);
    const char* label = SPI_getvalue(row, desc, 2);
    const char* map = SPI_getvalue(row, desc, 3);
    r.backup_label = label != nullptr ? label : "";
    r.tablespace_map = map != nullptr ? map : "";
  });
  return r;
}

// The value of a "KEY: value" line of backup_label.
std::string label_field(const std::string& label_file, const std::string& key) {
  const std::string prefix = key + ": ";
  std::size_t pos = 0;
  while (pos < label_file.size()) {
    std::size_t end = label_file.find('\n', pos);
    if (end == std::string::npos) end = label_file.size();
    if (label_file.compare(pos, prefix.size(), prefix) == 0)
      return label_file.substr(pos + prefix.size(), end - pos - prefix.size());
    pos = end + 1;
  }
  return {};
}

// The WAL the backup needs: every segment from the one holding the start
// (the redo point of its checkpoint) to the one holding the end-of-backup
// record, then the backup history file a primary writes.
std::vector<std::string> wal_files_of(XLogRecPtr start, XLogRecPtr stop, const std::string& label_file) {
  const std::string timeline = label_field(label_file, "START TIMELINE");
  if (timeline.empty() || timeline.find_first_not_of("0123456789") != std::string::npos)
    throw Error(sqlstate::kInternalError, "backup_label has no START TIMELINE line", label_file);
  const TimeLineID tli = static_cast<TimeLineID>(std::stoul(timeline));
  XLogSegNo first, last;
  XLByteToSeg(start, first, wal_segment_size);
  XLByteToPrevSeg(stop, last, wal_segment_size);
  std::vector<std::string> files;
  char name[MAXFNAMELEN];
  for (XLogSegNo seg = first; seg <= last; seg++) {
    XLogFileName(name, tli, seg, wal_segment_size);
    files.emplace_back(name);
  }
  if (label_field(label_file, "BACKUP FROM") == "primary") {
    BackupHistoryFileName(name, tli, first, start, wal_segment_size);
    files.emplace_back(name);
  }
  return files;
}

// Through call_pg: its callers hold C++ strings. If it fails, the exit
// handler that pg_backup_start() registered aborts the backup.
void abort_backup() {
  try {
    call_pg([] {
      if (get_backup_status() == SESSION_BACKUP_RUNNING) do_pg_abort_backup(0, BoolGetDatum(false));
    });
  } catch (const std::exception& e) {
    ereport(LOG, (errmsg("pg_scribe: could not abort the file-system backup: %s", e.what())));
  }
}

// Waits for a stop request. False when the backup ended otherwise (timed
// out, or its start was cancelled): already aborted and recorded then.
bool wait_for_stop_request() {
  for (;;) {
    bool stop, abort;
    TimestampTz deadline;
    std::int64_t timeout_us;
    {
      LWLockGuard lock(shared->lock, LW_SHARED);
      stop = my_slot->stop_requested;
      abort = my_slot->abort_requested;
      deadline = my_slot->deadline;
      timeout_us = my_slot->timeout_us;
    }
    if (stop) return true;
    if (abort) {
      abort_backup();
      finish_mine(State::kFailed, sqlstate::kQueryCanceled, "canceled: scribe.fs_backup_start() was interrupted",
                  nullptr);
      return false;
    }
    long wait_ms = 1000;
    if (deadline != 0) {
      const TimestampTz now = GetCurrentTimestamp();
      if (now >= deadline) {
        abort_backup();
        finish_mine(State::kTimedOut, sqlstate::kObjectNotInPrerequisiteState,
                    "not stopped within its timeout of " + seconds_text(timeout_us) + "; the backup was aborted",
                    nullptr);
        return false;
      }
      wait_ms = std::min<long>(wait_ms, static_cast<long>((deadline - now + 999) / 1000));
    }
    call_pg([&] {
      (void)WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, wait_ms, PG_WAIT_EXTENSION);
      ResetLatch(MyLatch);
      CHECK_FOR_INTERRUPTS();
    });
  }
}

void run_backup() {
  std::string label;
  bool fast, cancelled;
  {
    LWLockGuard lock(shared->lock, LW_SHARED);
    label = my_slot->label;
    fast = my_slot->fast;
    cancelled = my_slot->abort_requested;
  }
  if (cancelled) {
    finish_mine(State::kFailed, sqlstate::kQueryCanceled, "canceled: scribe.fs_backup_start() was interrupted",
                nullptr);
    return;
  }
  try {
    const XLogRecPtr start_lsn = start_backup(label, fast);
    {
      LWLockGuard lock(shared->lock, LW_EXCLUSIVE);
      my_slot->start_lsn = start_lsn;
      if (my_slot->timeout_us > 0) my_slot->deadline = GetCurrentTimestamp() + my_slot->timeout_us;
      my_slot->state = State::kRunning;
      persist(*my_slot);
      ConditionVariableBroadcast(&my_slot->changed);
    }
    call_pg([] { pgstat_report_activity(STATE_IDLE, "backup in progress, waiting for scribe.fs_backup_stop()"); });
    if (!wait_for_stop_request()) return;
    bool wait_for_archive;
    {
      LWLockGuard lock(shared->lock, LW_EXCLUSIVE);
      wait_for_archive = my_slot->wait_for_archive;
      my_slot->state = State::kStopping;
      persist(*my_slot);
      ConditionVariableBroadcast(&my_slot->changed);
    }
    Record results = stop_backup(wait_for_archive);
    results.wal_files = wal_files_of(start_lsn, results.stop_lsn, results.backup_label);
    finish_mine(State::kComplete, "", "", &results);
  } catch (const std::exception& e) {
    std::string sqlstate = sqlstate::kInternalError;
    if (const auto* pe = dynamic_cast<const scribe::pg::PgError*>(&e))
      sqlstate = unpack_sql_state(pe->edata()->sqlerrcode);
    else if (const auto* se = dynamic_cast<const Error*>(&e))
      sqlstate = se->sqlstate();
    const std::string message = e.what();
    try {
      call_pg([] { AbortCurrentTransaction(); });
    } catch (...) {
      // The exit path aborts what is left.
    }
    abort_backup();
    ereport(LOG, (errmsg("pg_scribe: file-system backup \"%s\" failed: %s", label.c_str(), message.c_str())));
    finish_mine(State::kFailed, sqlstate, message, nullptr);
  }
}

}  // namespace
}  // namespace scribe::fs_backup

using namespace scribe::fs_backup;

static void handle_sigterm(SIGNAL_ARGS) {
  terminate_requested = true;
  die(postgres_signal_arg);
}

// The worker holding one backup: bgw_main_arg is its slot, bgw_extra the
// backup's id (a slot reused meanwhile belongs to another backup).
void scribe_fs_backup_main(Datum main_arg) {
  const int index = DatumGetInt32(main_arg);
  std::uint64_t id;
  std::memcpy(&id, MyBgworkerEntry->bgw_extra, sizeof id);
  pqsignal(SIGTERM, handle_sigterm);
  BackgroundWorkerUnblockSignals();

  Oid database = InvalidOid;
  bool mine = false;
  scribe::pg::run_entry([&] {
    LWLockGuard lock(shared->lock, LW_EXCLUSIVE);
    if (index < 0 || index >= shared->max_backups) return;
    Slot& s = slot_at(index);
    mine = s.in_use && s.id == id && s.state == State::kStarting && s.worker_pid == 0;
    if (mine) {
      s.worker_pid = MyProcPid;
      s.worker_latch = MyLatch;
      database = s.database;
      my_slot = &s;
      my_id = id;
    }
  });
  if (!mine) proc_exit(0);
  // Before connecting, so that a failure to connect is recorded too.
  before_shmem_exit(on_worker_exit, 0);
  ConditionVariableBroadcast(&my_slot->changed);

  BackgroundWorkerInitializeConnectionByOid(database, InvalidOid, 0);
  scribe::pg::run_entry([] { run_backup(); });
  proc_exit(0);
}
