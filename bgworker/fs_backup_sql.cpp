// The SQL functions of file-system backups: scribe.fs_backup_start(),
// scribe.fs_backup_stop(), scribe.fs_backup_clear() and the rows of the
// scribe.fs_backups view (fs_backup_internal.hpp).
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "engine.hpp"
#include "fs_backup_internal.hpp"
#include "scribe/core/error.hpp"
#include "scribe/core/fileio.hpp"
#include "scribe/core/format.hpp"

extern "C" {
#include "access/xlog.h"
#include "catalog/pg_authid_d.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "postmaster/bgworker.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/pg_lsn.h"
#include "utils/wait_event.h"

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

// 'text' as an SQL literal, for the commands that hints show.
std::string sql_literal(const std::string& text) {
  std::string quoted = "'";
  for (const char ch : text) quoted += ch == '\'' ? std::string("''") : std::string(1, ch);
  return quoted + "'";
}

using engine::timestamp_text;

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
    throw Error(sqlstate::kInvalidParameterValue, "backup label must not be empty", {},
                "Name each backup, for example 'nightly-2026-11-21'.");
  if (label.size() > kMaxLabelBytes)
    throw Error(sqlstate::kInvalidParameterValue,
                "backup label too long (max " + std::to_string(kMaxLabelBytes) + " bytes)");
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
  if (us > 1e17L)
    throw Error(sqlstate::kInvalidParameterValue, "timeout is out of range", {}, "Give '0' for no timeout.");
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
    copy_text(sqlstate, sizeof sqlstate,
              r.sqlstate.size() == 5 ? r.sqlstate : std::string(sqlstate::kObjectNotInPrerequisiteState));
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
        finish_locked(s, State::kFailed, sqlstate::kObjectNotInPrerequisiteState,
                      "its background worker exited before it reported; see the server log", nullptr);
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
        finish_locked(s, State::kFailed, sqlstate::kConfigurationLimitExceeded, "no background worker slot was free",
                      nullptr);
    }
    throw Error(sqlstate::kConfigurationLimitExceeded,
                "could not start file-system backup \"" + label + "\": no background worker slot is free",
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
  std::string lsn = lsn_text(r.stop_lsn);
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
    throw Error(sqlstate::kObjectNotInPrerequisiteState, "there is no file-system backup labelled \"" + label + "\"",
                {}, "Start one with SELECT scribe.fs_backup_start(" + sql_literal(label) + ");");
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
    rows.push_back({r.label, state_name(r.state), r.start_lsn != InvalidXLogRecPtr ? lsn_text(r.start_lsn) : "",
                    r.stop_lsn != InvalidXLogRecPtr ? lsn_text(r.stop_lsn) : "", timestamp_text(r.started_at),
                    timestamp_text(r.finished_at), timestamp_text(r.deadline),
                    active && r.worker_pid != 0 ? std::to_string(r.worker_pid) : "", r.error});
  }
  engine::emit_text_rows(fcinfo, rows);
  return static_cast<Datum>(0);
}

}  // namespace
}  // namespace scribe::fs_backup

using namespace scribe::fs_backup;

SCRIBE_SQL_FUNCTION(scribe_fs_backup_start, fs_backup_start)

SCRIBE_SQL_FUNCTION(scribe_fs_backup_stop, fs_backup_stop)

SCRIBE_SQL_FUNCTION(scribe_fs_backup_clear, fs_backup_clear)

SCRIBE_SQL_FUNCTION(scribe_fs_backup_rows, fs_backup_rows)
