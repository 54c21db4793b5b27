// The slots of the file-system backups in progress, in shared memory: their
// state changes under shared->lock, the settings that size them, and the
// recovery of the records at server start (fs_backup_internal.hpp).
#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <string>

#include "fs_backup.hpp"
#include "fs_backup_internal.hpp"
#include "scribe/core/error.hpp"
#include "scribe/core/fileio.hpp"

extern "C" {
#include "miscadmin.h"
#include "storage/ipc.h"
#include "storage/shmem.h"
#include "utils/guc.h"
}

namespace scribe::fs_backup {

Shared* shared = nullptr;
int max_backups = 4;
int default_timeout_s = 86400;

namespace {

shmem_request_hook_type previous_shmem_request = nullptr;
shmem_startup_hook_type previous_shmem_startup = nullptr;

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

bool process_gone(pid_t pid) { return pid != 0 && kill(pid, 0) != 0 && errno == ESRCH; }

}  // namespace

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

// A worker that vanished without recording why (or a start whose session
// ended before its worker came up): the backup is failed, never usable.
void reap_dead_workers() {
  LWLockGuard lock(shared->lock, LW_EXCLUSIVE);
  for (int i = 0; i < shared->max_backups; i++) {
    Slot& s = slot_at(i);
    if (!s.in_use || is_final(s.state)) continue;
    if (s.worker_pid != 0 && process_gone(s.worker_pid))
      finish_locked(s, State::kFailed, sqlstate::kObjectNotInPrerequisiteState,
                    "its background worker exited unexpectedly; the backup was aborted", nullptr);
    else if (s.worker_pid == 0 && s.state == State::kStarting && process_gone(s.launcher_pid))
      finish_locked(s, State::kFailed, sqlstate::kObjectNotInPrerequisiteState,
                    "the session that started it ended before its worker came up", nullptr);
  }
}

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
