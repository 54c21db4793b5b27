// File-system backups held open across sessions: scribe.fs_backup_start(),
// scribe.fs_backup_stop(), scribe.fs_backup_clear() and the rows of the
// scribe.fs_backups view. What the parts share; the parts are
//   fs_backup_records.cpp  the record file of each backup (JSON)
//   fs_backup_shmem.cpp    the slots in shared memory, their state changes,
//                          the settings and the recovery at server start
//   fs_backup_worker.cpp   the background worker that holds one backup
//   fs_backup_sql.cpp      the SQL functions
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
#pragma once

#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "scribe/pg/guard.hpp"
#include "scribe/pg/lwlock_guard.hpp"

extern "C" {
#include "access/xlogdefs.h"
#include "storage/condition_variable.h"
#include "storage/latch.h"
#include "utils/timestamp.h"
}

namespace scribe::fs_backup {

using scribe::pg::call_pg;
// shared->lock guards the slots and the record files.
using scribe::pg::LWLockGuard;

enum class State : std::uint8_t { kStarting = 0, kRunning, kStopping, kComplete, kFailed, kTimedOut };

inline constexpr const char* kStateNames[] = {"starting", "running", "stopping", "complete", "failed", "timed_out"};

inline const char* state_name(State state) { return kStateNames[static_cast<int>(state)]; }

inline std::optional<State> state_from_name(const std::string& name) {
  for (int i = 0; i < 6; i++)
    if (name == kStateNames[i]) return static_cast<State>(i);
  return std::nullopt;
}

inline bool is_final(State state) {
  return state == State::kComplete || state == State::kFailed || state == State::kTimedOut;
}

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

// ---- shared memory (fs_backup_shmem.cpp)

extern Shared* shared;
extern int max_backups;        // scribe.max_fs_backups
extern int default_timeout_s;  // scribe.fs_backup_timeout

inline void copy_text(char* dst, std::size_t size, const std::string& src) { snprintf(dst, size, "%s", src.c_str()); }

// ---- record files (fs_backup_records.cpp)

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

std::string records_dir();
std::string record_path(std::uint64_t id);
Record read_record(const std::string& path);
void save_record(const Record& r);
bool is_record_name(const std::string& name);
// Every record, oldest first; a damaged one is reported and left out.
std::vector<Record> load_records();
std::optional<Record> load_record(std::uint64_t id);

// ---- slots (fs_backup_shmem.cpp; callers hold shared->lock)

inline Slot& slot_at(int index) { return shared->slots[index]; }
Record record_of(const Slot& s);
void persist(const Slot& s);
// The active slot holding `label`, or -1.
int find_active(const std::string& label);
const Slot* find_by_id(std::uint64_t id);
// Ends a backup's slot (lock held exclusively): its outcome goes to the
// record file first, then the slot is freed and the waiters woken.
void finish_locked(Slot& s, State state, const std::string& sqlstate, const std::string& error, const Record* results);
// A record that says the backup is in progress while no slot holds it was
// left by a failed write of its outcome (lock held).
void settle(Record& r);
// A worker that vanished without recording why (or a start whose session
// ended before its worker came up): the backup is failed, never usable.
// Takes the lock.
void reap_dead_workers();

}  // namespace scribe::fs_backup
