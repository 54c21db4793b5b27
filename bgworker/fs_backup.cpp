// File-system backups held open across sessions: scribe.fs_backup_start(),
// scribe.fs_backup_stop(), scribe.fs_backup_clear() and the rows of the
// scribe.fs_backups view.
//
// PostgreSQL's non-exclusive low-level backup must be started and stopped
// by the same session. Here that session is a dynamic background worker per
// backup: it runs pg_backup_start(), waits on its latch for a stop request
// or its deadline, runs pg_backup_stop() and exits. The calling sessions
// only talk to it, so they may come and go.
//
// State lives in two places, changed together under one lock:
//  - a slot in shared memory per backup in progress (the worker's pid and
//    latch, the requests, a condition variable the callers wait on);
//  - a record file per backup, $PGDATA/pg_scribe/fs_backups/<id>.json, with
//    the outcome and the files pg_backup_stop() returned. It outlives the
//    slot and the server: a record still "running" at server start belonged
//    to a backup that the restart aborted, and is marked failed.
// A slot is freed only after its final record is written, so a caller that
// finds the slot gone reads the outcome from the file.
#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "engine.hpp"
#include "fs_backup.hpp"
#include "scribe/core/error.hpp"
#include "scribe/core/fileio.hpp"
#include "scribe/core/format.hpp"
#include "scribe/core/json.hpp"
#include "scribe/pg/guard.hpp"
#include "scribe/pg/lwlock_guard.hpp"

extern "C" {
#include "access/htup_details.h"
#include "access/xact.h"
#include "access/xlog.h"
#include "access/xlog_internal.h"
#include "catalog/pg_authid_d.h"
#include "catalog/pg_type_d.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "storage/condition_variable.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/lwlock.h"
#include "storage/proc.h"
#include "storage/shmem.h"
#include "tcop/tcopprot.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/pg_lsn.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"
#include "utils/wait_event.h"

PGDLLEXPORT void scribe_fs_backup_main(Datum main_arg);
PGDLLEXPORT Datum scribe_fs_backup_start(PG_FUNCTION_ARGS);
PGDLLEXPORT Datum scribe_fs_backup_stop(PG_FUNCTION_ARGS);
PGDLLEXPORT Datum scribe_fs_backup_clear(PG_FUNCTION_ARGS);
PGDLLEXPORT Datum scribe_fs_backup_rows(PG_FUNCTION_ARGS);
PG_FUNCTION_INFO_V1(scribe_fs_backup_start);
PG_FUNCTION_INFO_V1(scribe_fs_backup_stop);
PG_FUNCTION_INFO_V1(scribe_fs_backup_clear);
PG_FUNCTION_INFO_V1(scribe_fs_backup_rows);
}

namespace scribe::fs_backup {
namespace {

using scribe::pg::call_pg;
// shared->lock guards the slots and the record files.
using scribe::pg::LWLockGuard;

enum class State : std::uint8_t { kStarting = 0, kRunning, kStopping, kComplete, kFailed, kTimedOut };

constexpr const char* kStateNames[] = {"starting", "running", "stopping", "complete", "failed", "timed_out"};

const char* state_name(State state) { return kStateNames[static_cast<int>(state)]; }

std::optional<State> state_from_name(const std::string& name) {
  for (int i = 0; i < 6; i++)
    if (name == kStateNames[i]) return static_cast<State>(i);
  return std::nullopt;
}

bool is_final(State state) { return state == State::kComplete || state == State::kFailed || state == State::kTimedOut; }

// pg_backup_start() accepts MAXPGPATH bytes; one less leaves room for the
// terminating zero in the slot.
constexpr std::size_t kMaxLabelBytes = MAXPGPATH - 1;
constexpr int kErrorSize = 1024;
constexpr std::int64_t kUsecPerSec = 1000000;

struct Slot {
  bool in_use;
  std::uint64_t id;
  char label[MAXPGPATH];
  State state;
  Oid database;  // the worker connects to the caller's database
  bool fast;
  bool stop_requested;
  bool wait_for_archive;
  bool abort_requested;  // fs_backup_start() was interrupted
  pid_t launcher_pid;
  pid_t worker_pid;
  Latch* worker_latch;
  std::int64_t timeout_us;  // 0: none
  XLogRecPtr start_lsn;
  XLogRecPtr stop_lsn;
  TimestampTz started_at;
  TimestampTz finished_at;
  TimestampTz deadline;  // 0: none; set once the backup is in progress
  char sqlstate[6];
  char error[kErrorSize];
  ConditionVariable changed;  // broadcast at every change of state
};

struct Shared {
  LWLock* lock;
  int max_backups;
  std::uint64_t next_id;
  Slot slots[FLEXIBLE_ARRAY_MEMBER];
};

Shared* shared = nullptr;
int max_backups = 4;
int default_timeout_s = 86400;
shmem_request_hook_type previous_shmem_request = nullptr;
shmem_startup_hook_type previous_shmem_startup = nullptr;

void copy_text(char* dst, std::size_t size, const std::string& src) { snprintf(dst, size, "%s", src.c_str()); }

// 'text' as an SQL literal, for the commands that hints show.
std::string sql_literal(const std::string& text) {
  std::string quoted = "'";
  for (const char ch : text) quoted += ch == '\'' ? std::string("''") : std::string(1, ch);
  return quoted + "'";
}

// ---- record files

struct Record {
  std::uint64_t id = 0;
  std::string label;
  State state = State::kStarting;
  Oid database = InvalidOid;
  bool fast = false;
  std::int64_t timeout_us = 0;
  XLogRecPtr start_lsn = InvalidXLogRecPtr;
  XLogRecPtr stop_lsn = InvalidXLogRecPtr;
  TimestampTz started_at = 0;
  TimestampTz finished_at = 0;
  TimestampTz deadline = 0;
  int worker_pid = 0;
  std::string sqlstate;
  std::string error;
  // What pg_backup_stop() returned, for complete backups.
  std::string backup_label;
  std::string tablespace_map;  // empty: only the default tablespaces
  std::vector<std::string> wal_files;
};

std::string records_dir() { return engine::scribe_state_dir() + "/fs_backups"; }

std::string record_path(std::uint64_t id) {
  char name[32];
  snprintf(name, sizeof name, "%010llu.json", static_cast<unsigned long long>(id));
  return join_path(records_dir(), name);
}

std::string record_json(const Record& r) {
  JsonWriter w;
  auto lsn = [&](const char* key, XLogRecPtr value) {
    w.key(key);
    if (value == InvalidXLogRecPtr) {
      w.null_value();
    } else {
      char buf[kLsnTextSize];
      format_lsn(value, buf);
      w.value(buf);
    }
  };
  w.begin_object();
  w.key("id");
  w.value(r.id);
  w.key("label");
  w.value(r.label);
  w.key("state");
  w.value(state_name(r.state));
  w.key("database_oid");
  w.value(static_cast<std::uint64_t>(r.database));
  w.key("fast");
  w.value(r.fast);
  w.key("timeout_us");
  w.value(r.timeout_us);
  lsn("start_lsn", r.start_lsn);
  lsn("stop_lsn", r.stop_lsn);
  // TimestampTz: microseconds since 2000-01-01 00:00:00 UTC, 0 for none.
  w.key("started_at_us");
  w.value(static_cast<std::int64_t>(r.started_at));
  w.key("finished_at_us");
  w.value(static_cast<std::int64_t>(r.finished_at));
  w.key("deadline_us");
  w.value(static_cast<std::int64_t>(r.deadline));
  w.key("worker_pid");
  w.value(r.worker_pid);
  w.key("sqlstate");
  w.value(r.sqlstate);
  w.key("error");
  w.value(r.error);
  w.key("backup_label");
  w.value(r.backup_label);
  w.key("tablespace_map");
  w.value(r.tablespace_map);
  w.key("wal_files");
  w.begin_array();
  for (const std::string& f : r.wal_files) w.value(f);
  w.end_array();
  w.end_object();
  return w.str();
}

Record read_record(const std::string& path) {
  const JsonValue doc = parse_json(read_small_file(path, 16u << 20), "file \"" + path + "\"");
  auto lsn = [&](const char* key) -> XLogRecPtr {
    const JsonValue& v = doc.at(key);
    if (v.is_null()) return InvalidXLogRecPtr;
    const std::optional<std::uint64_t> parsed = parse_lsn(v.as_string());
    if (!parsed) throw Error(sqlstate::kDataCorrupted, "invalid " + std::string(key) + " in \"" + path + "\"");
    return *parsed;
  };
  Record r;
  r.id = doc.uint_at("id");
  r.label = doc.string_at("label");
  const std::optional<State> state = state_from_name(doc.string_at("state"));
  if (!state) throw Error(sqlstate::kDataCorrupted, "unknown state \"" + doc.string_at("state") + "\" in \"" + path + "\"");
  r.state = *state;
  r.database = static_cast<Oid>(doc.uint_at("database_oid"));
  r.fast = doc.at("fast").as_bool();
  r.timeout_us = doc.at("timeout_us").as_int();
  r.start_lsn = lsn("start_lsn");
  r.stop_lsn = lsn("stop_lsn");
  r.started_at = doc.at("started_at_us").as_int();
  r.finished_at = doc.at("finished_at_us").as_int();
  r.deadline = doc.at("deadline_us").as_int();
  r.worker_pid = static_cast<int>(doc.at("worker_pid").as_int());
  r.sqlstate = doc.string_at("sqlstate");
  r.error = doc.string_at("error");
  r.backup_label = doc.string_at("backup_label");
  r.tablespace_map = doc.string_at("tablespace_map");
  for (const JsonValue& f : doc.at("wal_files").as_array()) r.wal_files.push_back(f.as_string());
  return r;
}

void save_record(const Record& r) {
  const std::string base = engine::scribe_state_dir();
  if (!is_directory(base)) make_directory(base);
  if (!is_directory(records_dir())) {
    make_directory(records_dir());
    fsync_directory(base);
  }
  write_file_atomically(record_path(r.id), record_json(r));
}

bool is_record_name(const std::string& name) {
  return name.size() > 5 && name.compare(name.size() - 5, 5, ".json") == 0 &&
         name.find_first_not_of("0123456789") == name.size() - 5;
}

// Every record, oldest first; a damaged one is reported and left out.
std::vector<Record> load_records() {
  std::vector<Record> records;
  if (!is_directory(records_dir())) return records;
  for (const std::string& name : list_directory(records_dir())) {
    if (!is_record_name(name)) continue;
    try {
      records.push_back(read_record(join_path(records_dir(), name)));
    } catch (const std::exception& e) {
      ereport(WARNING, (errmsg("pg_scribe: skipping a damaged file-system backup record: %s", e.what())));
    }
  }
  std::sort(records.begin(), records.end(), [](const Record& a, const Record& b) { return a.id < b.id; });
  return records;
}

std::optional<Record> load_record(std::uint64_t id) {
  const std::string path = record_path(id);
  if (!path_exists(path)) return std::nullopt;
  return read_record(path);
}

// ---- slots (callers hold shared->lock)

Slot& slot_at(int index) { return shared->slots[index]; }

Record record_of(const Slot& s) {
  Record r;
  r.id = s.id;
  r.label = s.label;
  r.state = s.state;
  r.database = s.database;
  r.fast = s.fast;
  r.timeout_us = s.timeout_us;
  r.start_lsn = s.start_lsn;
  r.stop_lsn = s.stop_lsn;
  r.started_at = s.started_at;
  r.finished_at = s.finished_at;
  r.deadline = s.deadline;
  r.worker_pid = s.worker_pid;
  r.sqlstate = s.sqlstate;
  r.error = s.error;
  return r;
}

void persist(const Slot& s) { save_record(record_of(s)); }

// The active slot holding `label`, or -1.
int find_active(const std::string& label) {
  for (int i = 0; i < shared->max_backups; i++) {
    const Slot& s = slot_at(i);
    if (s.in_use && !is_final(s.state) && label == s.label) return i;
  }
  return -1;
}

const Slot* find_by_id(std::uint64_t id) {
  for (int i = 0; i < shared->max_backups; i++)
    if (slot_at(i).in_use && slot_at(i).id == id) return &slot_at(i);
  return nullptr;
}

// Ends a backup's slot (lock held exclusively): its outcome goes to the
// record file first, then the slot is freed and the waiters woken.
void finish_locked(Slot& s, State state, const std::string& sqlstate, const std::string& error, const Record* results) {
  s.state = state;
  s.finished_at = GetCurrentTimestamp();
  copy_text(s.sqlstate, sizeof s.sqlstate, sqlstate);
  copy_text(s.error, sizeof s.error, error);
  Record r = record_of(s);
  if (results != nullptr) {
    s.stop_lsn = r.stop_lsn = results->stop_lsn;
    r.backup_label = results->backup_label;
    r.tablespace_map = results->tablespace_map;
    r.wal_files = results->wal_files;
  }
  try {
    save_record(r);
  } catch (const std::exception& e) {
    // The slot is freed all the same: its outcome then reads as failed.
    ereport(WARNING,
            (errmsg("pg_scribe could not record the outcome of file-system backup \"%s\": %s", s.label, e.what())));
  }
  s.in_use = false;
  s.worker_pid = 0;
  s.worker_latch = nullptr;
  ConditionVariableBroadcast(&s.changed);
}

// A record that says the backup is in progress while no slot holds it was
// left by a failed write of its outcome (lock held).
void settle(Record& r) {
  if (is_final(r.state)) return;
  if (const Slot* s = find_by_id(r.id)) {
    r.state = s->state;
    r.worker_pid = s->worker_pid;
    r.start_lsn = s->start_lsn;
    r.deadline = s->deadline;
    return;
  }
  r.state = State::kFailed;
  r.error = "its outcome could not be recorded; see the server log";
}

bool process_gone(pid_t pid) { return pid != 0 && kill(pid, 0) != 0 && errno == ESRCH; }

// A worker that vanished without recording why (or a start whose session
// ended before its worker came up): the backup is failed, never usable.
void reap_dead_workers() {
  LWLockGuard lock(shared->lock, LW_EXCLUSIVE);
  for (int i = 0; i < shared->max_backups; i++) {
    Slot& s = slot_at(i);
    if (!s.in_use || is_final(s.state)) continue;
    if (s.worker_pid != 0 && process_gone(s.worker_pid))
      finish_locked(s, State::kFailed, sqlstate::kObjectNotInPrerequisiteState, "its background worker exited unexpectedly; the backup was aborted",
                    nullptr);
    else if (s.worker_pid == 0 && s.state == State::kStarting && process_gone(s.launcher_pid))
      finish_locked(s, State::kFailed, sqlstate::kObjectNotInPrerequisiteState, "the session that started it ended before its worker came up", nullptr);
  }
}

std::string seconds_text(std::int64_t us) {
  char buf[64];
  if (us % kUsecPerSec == 0)
    snprintf(buf, sizeof buf, "%lld s", static_cast<long long>(us / kUsecPerSec));
  else
    snprintf(buf, sizeof buf, "%.3f s", static_cast<double>(us) / kUsecPerSec);
  return buf;
}

std::string timestamp_text(TimestampTz t) {
  if (t == 0) return {};
  char buf[kTimestampTextSize];
  format_utc_timestamp(t, buf);
  return buf;
}

// ---- the worker

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
    if (SPI_execute_with_args(kSql, 2, types, values, nullptr, false, 1) != SPI_OK_SELECT || SPI_processed != 1)
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
    if (SPI_execute_with_args(kSql, 1, types, values, nullptr, false, 1) != SPI_OK_SELECT || SPI_processed != 1)
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
      finish_mine(State::kFailed, sqlstate::kQueryCanceled, "canceled: scribe.fs_backup_start() was interrupted", nullptr);
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
    finish_mine(State::kFailed, sqlstate::kQueryCanceled, "canceled: scribe.fs_backup_start() was interrupted", nullptr);
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

// ---- the SQL functions

void require_preloaded() {
  if (shared == nullptr)
    throw Error(sqlstate::kObjectNotInPrerequisiteState, "the scribe library was not loaded at server start", {},
                "Add 'scribe' to shared_preload_libraries in postgresql.conf and restart the server.");
}

// Whoever could take a low-level backup by hand: superusers, members of
// pg_checkpoint, and roles allowed to execute pg_backup_start() and
// pg_backup_stop().
void require_backup_privilege(const char* function) {
  bool allowed = false;
  call_pg([&] {
    auto may_execute = [](Oid function_oid) {
      return DatumGetBool(DirectFunctionCall2(has_function_privilege_id, ObjectIdGetDatum(function_oid),
                                              CStringGetTextDatum("EXECUTE")));
    };
    allowed = superuser() || has_privs_of_role(GetUserId(), ROLE_PG_CHECKPOINT) ||
              (may_execute(F_PG_BACKUP_START) && may_execute(F_PG_BACKUP_STOP));
  });
  if (!allowed)
    throw Error(sqlstate::kInsufficientPrivilege, std::string("permission denied for ") + function,
                "It starts or ends a low-level backup of the whole cluster.",
                "Only superusers, members of pg_checkpoint and roles that may execute pg_backup_start() and "
                "pg_backup_stop() may call it.");
}

std::string label_arg(FunctionCallInfo fcinfo, int n) {
  if (PG_ARGISNULL(n)) throw Error(sqlstate::kNullValueNotAllowed, "argument label must not be null");
  std::string label;
  call_pg([&] { label = text_to_cstring(PG_GETARG_TEXT_PP(n)); });
  if (label.empty())
    throw Error(sqlstate::kInvalidParameterValue, "backup label must not be empty", {}, "Name each backup, for example 'nightly-2026-11-21'.");
  if (label.size() > kMaxLabelBytes)
    throw Error(sqlstate::kInvalidParameterValue, "backup label too long (max " + std::to_string(kMaxLabelBytes) + " bytes)");
  for (const unsigned char ch : label)
    if (ch < 0x20 || ch == 0x7f)
      throw Error(sqlstate::kInvalidParameterValue, "backup label must not contain control characters",
                  "The label is written on one line of the backup_label file.", "Choose a plain one-line label.");
  return label;
}

std::int64_t timeout_arg(FunctionCallInfo fcinfo, int n) {
  if (PG_ARGISNULL(n)) return static_cast<std::int64_t>(default_timeout_s) * kUsecPerSec;
  const Interval* span = PG_GETARG_INTERVAL_P(n);
  // As extract(epoch from interval) counts: a month is 30 days.
  const long double us = static_cast<long double>(span->time) + static_cast<long double>(span->day) * USECS_PER_DAY +
                         static_cast<long double>(span->month) * DAYS_PER_MONTH * USECS_PER_DAY;
  if (us < 0)
    throw Error(sqlstate::kInvalidParameterValue, "timeout must not be negative", {},
                "Give an interval such as '2 hours', or '0' for no timeout.");
  if (us > 1e17L) throw Error(sqlstate::kInvalidParameterValue, "timeout is out of range", {}, "Give '0' for no timeout.");
  return static_cast<std::int64_t>(us);
}

Error failure_of(const std::string& label, const Record& r, bool starting) {
  if (r.state == State::kTimedOut)
    return Error(sqlstate::kObjectNotInPrerequisiteState, "file-system backup \"" + label + "\" timed out",
                 "It was " + r.error + " at " + timestamp_text(r.finished_at) + ".",
                 "A copy taken during it is not a valid backup. Take it again, with a longer timeout: SELECT "
                 "scribe.fs_backup_start(" +
                     sql_literal(label) + ", timeout => '…');");
  if (starting) {
    // The worker's SQLSTATE (Error keeps a pointer: static storage).
    static char sqlstate[6];
    copy_text(sqlstate, sizeof sqlstate, r.sqlstate.size() == 5 ? r.sqlstate : std::string(sqlstate::kObjectNotInPrerequisiteState));
    return Error(sqlstate, "could not start file-system backup \"" + label + "\": " + r.error, {},
                 "See the server log.");
  }
  std::string detail = r.error + (r.finished_at != 0 ? " (at " + timestamp_text(r.finished_at) + ")" : "") + ".";
  if (!detail.empty() && detail[0] >= 'a' && detail[0] <= 'z') detail[0] = static_cast<char>(detail[0] - 'a' + 'A');
  return Error(sqlstate::kObjectNotInPrerequisiteState, "file-system backup \"" + label + "\" failed", detail,
               "A copy taken during it is not a valid backup: take it again.");
}

// Waits until the slot no longer holds backup `id` in a state that `busy`
// accepts. `handle` (of the worker this session started) catches a worker
// that could not run at all.
template <class Busy>
void wait_while(int index, std::uint64_t id, Busy busy, BackgroundWorkerHandle* handle) {
  Slot& s = slot_at(index);
  for (;;) {
    {
      LWLockGuard lock(shared->lock, LW_SHARED);
      if (!s.in_use || s.id != id || !busy(s.state)) break;
    }
    pid_t pid;
    if (handle != nullptr && GetBackgroundWorkerPid(handle, &pid) == BGWH_STOPPED) {
      LWLockGuard lock(shared->lock, LW_EXCLUSIVE);
      if (s.in_use && s.id == id && !is_final(s.state))
        finish_locked(s, State::kFailed, sqlstate::kObjectNotInPrerequisiteState, "its background worker exited before it reported; see the server log",
                      nullptr);
      break;
    }
    reap_dead_workers();
    call_pg([&] { (void)ConditionVariableTimedSleep(&s.changed, 1000, PG_WAIT_EXTENSION); });
  }
  call_pg([] { ConditionVariableCancelSleep(); });
}

Datum fs_backup_start(FunctionCallInfo fcinfo) {
  require_preloaded();
  require_backup_privilege("scribe.fs_backup_start()");
  const std::string label = label_arg(fcinfo, 0);
  const bool fast = !PG_ARGISNULL(1) && PG_GETARG_BOOL(1);
  const std::int64_t timeout_us = timeout_arg(fcinfo, 2);
  reap_dead_workers();
  int index = -1;
  std::uint64_t id = 0;
  {
    LWLockGuard lock(shared->lock, LW_EXCLUSIVE);
    if (find_active(label) >= 0)
      throw Error(
          sqlstate::kDuplicateObject, "file-system backup \"" + label + "\" is already running",
          "Several backups may run at once, but each needs its own label.",
          "Stop it with SELECT * FROM scribe.fs_backup_stop(" + sql_literal(label) + "); or choose another label.");
    for (int i = 0; i < shared->max_backups && index < 0; i++)
      if (!slot_at(i).in_use) index = i;
    if (index < 0)
      throw Error(sqlstate::kConfigurationLimitExceeded,
                  "too many file-system backups are running (scribe.max_fs_backups = " +
                      std::to_string(shared->max_backups) + ")",
                  {}, "Stop one first, or raise scribe.max_fs_backups in postgresql.conf and restart the server.");
    Slot& s = slot_at(index);
    id = shared->next_id++;
    s.in_use = true;
    s.id = id;
    copy_text(s.label, sizeof s.label, label);
    s.state = State::kStarting;
    s.database = MyDatabaseId;
    s.fast = fast;
    s.stop_requested = false;
    s.wait_for_archive = true;
    s.abort_requested = false;
    s.launcher_pid = MyProcPid;
    s.worker_pid = 0;
    s.worker_latch = nullptr;
    s.timeout_us = timeout_us;
    s.start_lsn = InvalidXLogRecPtr;
    s.stop_lsn = InvalidXLogRecPtr;
    s.started_at = GetCurrentTimestamp();
    s.finished_at = 0;
    s.deadline = 0;
    s.sqlstate[0] = '\0';
    s.error[0] = '\0';
    try {
      // On record before the worker exists: a crash from here on leaves a
      // record that the restart marks failed.
      persist(s);
    } catch (...) {
      s.in_use = false;
      throw;
    }
  }

  BackgroundWorker worker;
  std::memset(&worker, 0, sizeof worker);
  worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
  // ConsistentState: a hot standby can take a backup too.
  worker.bgw_start_time = BgWorkerStart_ConsistentState;
  // Never restarted: a new worker would not be in the backup's session.
  worker.bgw_restart_time = BGW_NEVER_RESTART;
  snprintf(worker.bgw_library_name, BGW_MAXLEN, "scribe");
  snprintf(worker.bgw_function_name, BGW_MAXLEN, "scribe_fs_backup_main");
  snprintf(worker.bgw_name, BGW_MAXLEN, "pg_scribe file-system backup %s", label.c_str());
  snprintf(worker.bgw_type, BGW_MAXLEN, "pg_scribe file-system backup");
  worker.bgw_main_arg = Int32GetDatum(index);
  std::memcpy(worker.bgw_extra, &id, sizeof id);
  worker.bgw_notify_pid = MyProcPid;
  BackgroundWorkerHandle* handle = nullptr;
  bool registered = false;
  call_pg([&] { registered = RegisterDynamicBackgroundWorker(&worker, &handle); });
  if (!registered) {
    {
      LWLockGuard lock(shared->lock, LW_EXCLUSIVE);
      Slot& s = slot_at(index);
      if (s.in_use && s.id == id)
        finish_locked(s, State::kFailed, sqlstate::kConfigurationLimitExceeded, "no background worker slot was free", nullptr);
    }
    throw Error(sqlstate::kConfigurationLimitExceeded, "could not start file-system backup \"" + label + "\": no background worker slot is free",
                "Each file-system backup in progress holds a background worker.",
                "Raise max_worker_processes in postgresql.conf and restart the server.");
  }

  try {
    wait_while(
        index, id, [](State s) { return s == State::kStarting; }, handle);
  } catch (...) {
    // Interrupted (a cancel, statement_timeout): no backup may stay behind
    // a call that failed.
    Latch* latch = nullptr;
    {
      LWLockGuard lock(shared->lock, LW_EXCLUSIVE);
      Slot& s = slot_at(index);
      if (s.in_use && s.id == id && !is_final(s.state)) {
        s.abort_requested = true;
        latch = s.worker_latch;
      }
    }
    if (latch != nullptr) SetLatch(latch);
    throw;
  }
  std::optional<XLogRecPtr> start_lsn;
  {
    LWLockGuard lock(shared->lock, LW_SHARED);
    const Slot& s = slot_at(index);
    if (s.in_use && s.id == id && s.state != State::kStarting) start_lsn = s.start_lsn;
  }
  if (!start_lsn) {
    const std::optional<Record> r = load_record(id);
    if (r && r->state == State::kComplete) {
      start_lsn = r->start_lsn;  // already stopped by another session
    } else {
      Record unknown;
      unknown.state = State::kFailed;
      unknown.error = "its outcome was not recorded; see the server log";
      throw failure_of(label, r ? *r : unknown, true);
    }
  }
  return LSNGetDatum(*start_lsn);
}

Datum stop_result(FunctionCallInfo fcinfo, const Record& r) {
  std::string lsn = engine::lsn_text(r.stop_lsn);
  std::string wal = "{";
  for (std::size_t i = 0; i < r.wal_files.size(); i++) wal += (i ? "," : "") + r.wal_files[i];
  wal += "}";
  std::string label = r.backup_label, map = r.tablespace_map;
  Datum result = 0;
  call_pg([&] {
    TupleDesc desc;
    if (get_call_result_type(fcinfo, nullptr, &desc) != TYPEFUNC_COMPOSITE) elog(ERROR, "return type must be a row");
    BlessTupleDesc(desc);
    AttInMetadata* meta = TupleDescGetAttInMetadata(desc);
    // pg_backup_stop() gives an empty map when there are only the default
    // tablespaces; no tablespace_map file is needed then.
    char* values[4] = {lsn.data(), label.data(), map.empty() ? nullptr : map.data(), wal.data()};
    result = HeapTupleGetDatum(BuildTupleFromCStrings(meta, values));
  });
  return result;
}

// The latest record of `label` (lock held).
std::optional<Record> latest_record(const std::string& label) {
  std::optional<Record> latest;
  for (Record& r : load_records())
    if (r.label == label) latest = std::move(r);
  if (latest) settle(*latest);
  return latest;
}

Datum fs_backup_stop(FunctionCallInfo fcinfo) {
  require_preloaded();
  require_backup_privilege("scribe.fs_backup_stop()");
  const std::string label = label_arg(fcinfo, 0);
  const bool wait_for_archive = PG_ARGISNULL(1) || PG_GETARG_BOOL(1);
  reap_dead_workers();
  int index;
  std::uint64_t id = 0;
  Latch* latch = nullptr;
  bool requested_here = false;
  {
    LWLockGuard lock(shared->lock, LW_EXCLUSIVE);
    index = find_active(label);
    if (index >= 0) {
      Slot& s = slot_at(index);
      if (s.state == State::kStarting)
        throw Error(sqlstate::kObjectNotInPrerequisiteState, "file-system backup \"" + label + "\" is still starting",
                    "Its checkpoint has not completed yet.",
                    "Wait until scribe.fs_backup_start() has returned, then stop it.");
      if (s.state == State::kRunning && !s.stop_requested) {
        s.stop_requested = true;
        s.wait_for_archive = wait_for_archive;
        latch = s.worker_latch;
        requested_here = true;
      }
      // Otherwise another session is stopping it: wait for that.
      id = s.id;
    }
  }
  if (index >= 0) {
    if (latch != nullptr) SetLatch(latch);
    if (requested_here && wait_for_archive && !XLogArchivingActive())
      ereport(NOTICE, (errmsg("WAL archiving is not enabled; you must ensure that all required WAL segments are "
                              "copied through other means to complete the backup")));
    wait_while(
        index, id, [](State s) { return !is_final(s); }, nullptr);
  }
  std::optional<Record> r;
  {
    LWLockGuard lock(shared->lock, LW_SHARED);
    if (id != 0) {
      r = load_record(id);
      if (r) settle(*r);
    } else {
      r = latest_record(label);
    }
  }
  if (!r)
    throw Error(sqlstate::kObjectNotInPrerequisiteState, "there is no file-system backup labelled \"" + label + "\"", {},
                "Start one with SELECT scribe.fs_backup_start(" + sql_literal(label) + ");");
  if (r->state != State::kComplete) throw failure_of(label, *r, false);
  if (index < 0)
    ereport(NOTICE, (errmsg("file-system backup \"%s\" was stopped already, at %s; returning its result again",
                            label.c_str(), timestamp_text(r->finished_at).c_str())));
  return stop_result(fcinfo, *r);
}

Datum fs_backup_clear(FunctionCallInfo fcinfo) {
  require_preloaded();
  require_backup_privilege("scribe.fs_backup_clear()");
  std::optional<std::string> label;
  if (!PG_ARGISNULL(0)) call_pg([&] { label = std::string(text_to_cstring(PG_GETARG_TEXT_PP(0))); });
  reap_dead_workers();
  int cleared = 0;
  {
    LWLockGuard lock(shared->lock, LW_EXCLUSIVE);
    for (Record& r : load_records()) {
      settle(r);
      if (!is_final(r.state) || (label && r.label != *label)) continue;
      remove_file(record_path(r.id));
      cleared++;
    }
    if (cleared > 0) fsync_directory(records_dir());
  }
  return Int32GetDatum(cleared);
}

Datum fs_backup_rows(FunctionCallInfo fcinfo) {
  require_preloaded();
  reap_dead_workers();
  std::vector<Record> records;
  {
    LWLockGuard lock(shared->lock, LW_SHARED);
    records = load_records();
    for (Record& r : records) settle(r);
  }
  std::vector<std::vector<std::string>> rows;
  for (const Record& r : records) {
    const bool active = !is_final(r.state);
    rows.push_back({r.label, state_name(r.state), r.start_lsn != InvalidXLogRecPtr ? engine::lsn_text(r.start_lsn) : "",
                    r.stop_lsn != InvalidXLogRecPtr ? engine::lsn_text(r.stop_lsn) : "", timestamp_text(r.started_at),
                    timestamp_text(r.finished_at), timestamp_text(r.deadline),
                    active && r.worker_pid != 0 ? std::to_string(r.worker_pid) : "", r.error});
  }
  engine::emit_text_rows(fcinfo, rows);
  return static_cast<Datum>(0);
}

// ---- shared memory

Size shared_size() { return add_size(offsetof(Shared, slots), mul_size(max_backups, sizeof(Slot))); }

void on_shmem_request() {
  if (previous_shmem_request != nullptr) previous_shmem_request();
  RequestAddinShmemSpace(shared_size());
  RequestNamedLWLockTranche("pg_scribe fs_backups", 1);
}

// At server start and after a crash, in the postmaster: the records of
// backups that were in progress belong to backups the restart aborted.
void recover_records() {
  std::uint64_t next_id = 1;
  try {
    if (!is_directory(records_dir())) return;
    for (const std::string& name : list_directory(records_dir())) {
      const std::string path = join_path(records_dir(), name);
      if (name.size() > 4 && name.compare(name.size() - 4, 4, ".tmp") == 0) {
        remove_file(path);  // a write the crash interrupted
        continue;
      }
      if (!is_record_name(name)) continue;
      Record r;
      try {
        r = read_record(path);
      } catch (const std::exception& e) {
        ereport(LOG, (errmsg("pg_scribe: skipping a damaged file-system backup record: %s", e.what())));
        continue;
      }
      next_id = std::max(next_id, r.id + 1);
      if (is_final(r.state)) continue;
      r.error =
          std::string("the server restarted while the backup was ") + state_name(r.state) + "; the backup was aborted";
      r.state = State::kFailed;
      r.sqlstate = sqlstate::kObjectNotInPrerequisiteState;
      r.finished_at = GetCurrentTimestamp();
      save_record(r);
      ereport(LOG, (errmsg("pg_scribe: file-system backup \"%s\" failed: the server restarted while it was in "
                           "progress",
                           r.label.c_str())));
    }
  } catch (const std::exception& e) {
    ereport(LOG, (errmsg("pg_scribe: could not recover the file-system backup records: %s", e.what())));
  }
  shared->next_id = next_id;
}

void on_shmem_startup() {
  if (previous_shmem_startup != nullptr) previous_shmem_startup();
  bool found = false;
  {
    LWLockGuard lock(AddinShmemInitLock, LW_EXCLUSIVE);
    call_pg([&] {
      shared = static_cast<Shared*>(ShmemInitStruct("pg_scribe fs_backups", shared_size(), &found));
      if (!found) {
        std::memset(static_cast<void*>(shared), 0, shared_size());
        shared->lock = &(GetNamedLWLockTranche("pg_scribe fs_backups"))->lock;
        shared->max_backups = max_backups;
        shared->next_id = 1;
        for (int i = 0; i < max_backups; i++) ConditionVariableInit(&shared->slots[i].changed);
      }
    });
  }
  if (!found) recover_records();
}

}  // namespace

void define_gucs() {
  DefineCustomIntVariable("scribe.fs_backup_timeout",
                          "How long a file-system backup may stay in progress before it is aborted, unless "
                          "scribe.fs_backup_start() gives a timeout; 0: no limit.",
                          nullptr, &default_timeout_s, 86400, 0, INT_MAX, PGC_SIGHUP, GUC_UNIT_S, nullptr, nullptr,
                          nullptr);
}

void request_shared_memory() {
  DefineCustomIntVariable("scribe.max_fs_backups", "Maximum number of file-system backups in progress at once.",
                          nullptr, &max_backups, 4, 1, 64, PGC_POSTMASTER, 0, nullptr, nullptr, nullptr);
  previous_shmem_request = shmem_request_hook;
  shmem_request_hook = on_shmem_request;
  previous_shmem_startup = shmem_startup_hook;
  shmem_startup_hook = on_shmem_startup;
}

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

SCRIBE_SQL_FUNCTION(scribe_fs_backup_start, fs_backup_start)

SCRIBE_SQL_FUNCTION(scribe_fs_backup_stop, fs_backup_stop)

SCRIBE_SQL_FUNCTION(scribe_fs_backup_clear, fs_backup_clear)

SCRIBE_SQL_FUNCTION(scribe_fs_backup_rows, fs_backup_rows)
