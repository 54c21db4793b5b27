// The uploader worker, its settings and the state scribe.status shows.
#include "uploader.hpp"

#include <algorithm>
#include <cstring>

#include "engine.hpp"
#include "scribe/core/error.hpp"
#include "scribe/core/s3.hpp"
#include "scribe/core/upload.hpp"
#include "scribe/pg/guard.hpp"

extern "C" {
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/shmem.h"
#include "storage/spin.h"
#include "funcapi.h"
#include "utils/guc.h"
#include "utils/timestamp.h"
#include "utils/wait_event.h"

PGDLLEXPORT void scribe_uploader_main(Datum main_arg);
PGDLLEXPORT Datum scribe_upload_status(PG_FUNCTION_ARGS);
PG_FUNCTION_INFO_V1(scribe_upload_status);
}

namespace scribe::uploader {

using scribe::pg::call_pg;

namespace {

// Settings. Credentials are PGC_SIGHUP and GUC_SUPERUSER_ONLY: set in
// postgresql.conf (not in SQL text that a statement log could keep) and
// shown to superusers only.
char* s3_endpoint = nullptr;
char* s3_region = nullptr;
char* s3_access_key_id = nullptr;
char* s3_secret_access_key = nullptr;
bool s3_remove_local = false;
int s3_part_size_mb = 16;
int s3_upload_interval_ms = 1000;

constexpr int kMaxEntries = 64;
constexpr int kTextSize = 512;

struct UploadEntry {
  Oid database;
  std::uint32_t files_waiting;
  std::uint64_t bytes_waiting;
  std::uint64_t files_uploaded;  // since the uploader started
  std::uint64_t bytes_uploaded;
  TimestampTz last_upload_at;
  TimestampTz last_error_at;
  TimestampTz checked_at;
  char last_error[kTextSize];
};

struct UploadShared {
  slock_t mutex;
  pid_t pid;
  UploadEntry entries[kMaxEntries];
};

UploadShared* shared = nullptr;
shmem_request_hook_type previous_shmem_request = nullptr;
shmem_startup_hook_type previous_shmem_startup = nullptr;

void on_shmem_request() {
  if (previous_shmem_request != nullptr) previous_shmem_request();
  RequestAddinShmemSpace(sizeof(UploadShared));
}

void on_shmem_startup() {
  if (previous_shmem_startup != nullptr) previous_shmem_startup();
  LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
  bool found = false;
  shared = static_cast<UploadShared*>(ShmemInitStruct("pg_scribe uploader", sizeof(UploadShared), &found));
  if (!found) {
    std::memset(static_cast<void*>(shared), 0, sizeof(UploadShared));
    SpinLockInit(&shared->mutex);
  }
  LWLockRelease(AddinShmemInitLock);
}

template <class F>
void with_entry(Oid database, F f) {
  SpinLockAcquire(&shared->mutex);
  UploadEntry* slot = nullptr;
  for (UploadEntry& e : shared->entries) {
    if (e.database == database) {
      slot = &e;
      break;
    }
    if (e.database == InvalidOid && slot == nullptr) slot = &e;
  }
  if (slot != nullptr) {
    if (slot->database != database) {
      std::memset(static_cast<void*>(slot), 0, sizeof *slot);
      slot->database = database;
    }
    f(*slot);
  }
  SpinLockRelease(&shared->mutex);
}

s3::Settings settings_from_gucs() {
  s3::Settings s;
  s.endpoint = s3_endpoint != nullptr ? s3_endpoint : "";
  if (s3_region != nullptr && s3_region[0] != '\0') s.region = s3_region;
  if (s.endpoint.empty()) s.endpoint = "https://s3." + s.region + ".amazonaws.com";
  s.access_key_id = s3_access_key_id != nullptr ? s3_access_key_id : "";
  s.secret_access_key = s3_secret_access_key != nullptr ? s3_secret_access_key : "";
  s.part_size = static_cast<std::uint64_t>(s3_part_size_mb) << 20;
  // Few quick retries per pass: the next pass (with its own back-off) tries again.
  s.max_attempts = 3;
  s.interrupted = [] { return ShutdownRequestPending != 0; };
  return s;
}

void fill_worker(BackgroundWorker& worker) {
  std::memset(&worker, 0, sizeof worker);
  worker.bgw_flags = BGWORKER_SHMEM_ACCESS;
  worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
  worker.bgw_restart_time = 5;
  snprintf(worker.bgw_library_name, BGW_MAXLEN, "scribe");
  snprintf(worker.bgw_function_name, BGW_MAXLEN, "scribe_uploader_main");
  snprintf(worker.bgw_name, BGW_MAXLEN, "pg_scribe uploader");
  snprintf(worker.bgw_type, BGW_MAXLEN, "pg_scribe uploader");
}

// One pass over one backup; returns false when it failed.
bool upload_one(const engine::BackupConfig& config) {
  std::string error;
  try {
    s3::Client client(settings_from_gucs(), s3::parse_s3_url(config.repository));
    UploadOptions options;
    options.remove_local = s3_remove_local;
    std::uint64_t counted_files = 0, counted_bytes = 0;
    upload_backup_dir(client, config.backup_dir, options, [&](const UploadProgress& p) {
      const TimestampTz now = GetCurrentTimestamp();
      with_entry(config.database, [&](UploadEntry& e) {
        e.files_waiting = p.files_waiting;
        e.bytes_waiting = p.bytes_waiting;
        e.checked_at = now;
        if (p.files_uploaded > counted_files) {
          e.files_uploaded += p.files_uploaded - counted_files;
          e.bytes_uploaded += p.bytes_uploaded - counted_bytes;
          e.last_upload_at = now;
        }
      });
      counted_files = p.files_uploaded;
      counted_bytes = p.bytes_uploaded;
    });
    with_entry(config.database, [&](UploadEntry& e) { e.last_error[0] = '\0'; });
    return true;
  } catch (const scribe::Error& e) {
    error = std::string(e.what()) + (e.detail().empty() ? "" : ": " + e.detail());
  } catch (const std::exception& e) {
    error = e.what();
  }
  const TimestampTz now = GetCurrentTimestamp();
  with_entry(config.database, [&](UploadEntry& e) {
    snprintf(e.last_error, sizeof e.last_error, "%s", error.c_str());
    e.last_error_at = now;
  });
  call_pg([&] { ereport(LOG, (errmsg("pg_scribe uploader: %s", error.c_str()))); });
  return false;
}

}  // namespace

void define_gucs() {
  DefineCustomStringVariable("scribe.s3_endpoint",
                             "Endpoint of the S3-compatible object store (http(s)://host[:port]); empty: AWS S3 in "
                             "scribe.s3_region.",
                             nullptr, &s3_endpoint, "", PGC_SIGHUP, GUC_SUPERUSER_ONLY, nullptr, nullptr, nullptr);
  DefineCustomStringVariable("scribe.s3_region", "Region of the object store (signs the requests).", nullptr,
                             &s3_region, "us-east-1", PGC_SIGHUP, GUC_SUPERUSER_ONLY, nullptr, nullptr, nullptr);
  DefineCustomStringVariable("scribe.s3_access_key_id", "Access key id for the object store.", nullptr,
                             &s3_access_key_id, "", PGC_SIGHUP, GUC_SUPERUSER_ONLY, nullptr, nullptr, nullptr);
  DefineCustomStringVariable("scribe.s3_secret_access_key", "Secret access key for the object store.", nullptr,
                             &s3_secret_access_key, "", PGC_SIGHUP, GUC_SUPERUSER_ONLY | GUC_NO_SHOW_ALL, nullptr,
                             nullptr, nullptr);
  DefineCustomBoolVariable("scribe.s3_remove_local",
                           "Remove a sealed file from the backup directory once the object store confirmed it.",
                           nullptr, &s3_remove_local, false, PGC_SIGHUP, 0, nullptr, nullptr, nullptr);
  DefineCustomIntVariable("scribe.s3_part_size", "Files larger than this are uploaded in parts of this size.", nullptr,
                          &s3_part_size_mb, 16, 5, 5120, PGC_SIGHUP, GUC_UNIT_MB, nullptr, nullptr, nullptr);
  DefineCustomIntVariable("scribe.s3_upload_interval", "How often the uploader looks for newly sealed files.", nullptr,
                          &s3_upload_interval_ms, 1000, 100, 3600 * 1000, PGC_SIGHUP, GUC_UNIT_MS, nullptr, nullptr,
                          nullptr);
}

void request_shared_memory() {
  previous_shmem_request = shmem_request_hook;
  shmem_request_hook = on_shmem_request;
  previous_shmem_startup = shmem_startup_hook;
  shmem_startup_hook = on_shmem_startup;
}

void register_static_worker() {
  try {
    for (const engine::BackupConfig& config : engine::load_all_configs())
      if (!config.repository.empty()) {
        BackgroundWorker worker;
        fill_worker(worker);
        RegisterBackgroundWorker(&worker);
        return;
      }
  } catch (const std::exception& e) {
    ereport(LOG, (errmsg("pg_scribe: could not read the backup configurations: %s", e.what())));
  }
}

void check_repository(const std::string& repository) {
  (void)s3::parse_s3_url(repository);
  if (s3_access_key_id == nullptr || s3_access_key_id[0] == '\0' || s3_secret_access_key == nullptr ||
      s3_secret_access_key[0] == '\0')
    throw Error("22023", "the object store credentials are not set",
                "A repository " + repository + " needs scribe.s3_access_key_id and scribe.s3_secret_access_key.",
                "Set them (and scribe.s3_endpoint, scribe.s3_region) in postgresql.conf and reload.");
}

void ensure_running() {
  if (shared == nullptr) return;
  SpinLockAcquire(&shared->mutex);
  const pid_t pid = shared->pid;
  SpinLockRelease(&shared->mutex);
  if (pid != 0 && kill(pid, 0) == 0) return;
  BackgroundWorker worker;
  fill_worker(worker);
  BackgroundWorkerHandle* handle = nullptr;
  call_pg([&] {
    if (!RegisterDynamicBackgroundWorker(&worker, &handle))
      ereport(WARNING, (errmsg("could not start the pg_scribe uploader: no background worker slot is free"),
                        errdetail("Sealed files wait in the backup directory."),
                        errhint("Raise max_worker_processes in postgresql.conf and restart the server.")));
  });
}

}  // namespace scribe::uploader

using namespace scribe::uploader;

void scribe_uploader_main(Datum) {
  pqsignal(SIGHUP, SignalHandlerForConfigReload);
  pqsignal(SIGTERM, SignalHandlerForShutdownRequest);
  BackgroundWorkerUnblockSignals();
  SpinLockAcquire(&shared->mutex);
  const bool another = shared->pid != 0 && shared->pid != MyProcPid && kill(shared->pid, 0) == 0;
  if (!another) shared->pid = MyProcPid;
  SpinLockRelease(&shared->mutex);
  if (another) proc_exit(0);

  int failures = 0;
  while (!ShutdownRequestPending) {
    if (ConfigReloadPending) {
      ConfigReloadPending = false;
      ProcessConfigFile(PGC_SIGHUP);
    }
    bool ok = true;
    scribe::pg::run_entry([&] {
      std::vector<scribe::engine::BackupConfig> configs;
      try {
        configs = scribe::engine::load_all_configs();
      } catch (const std::exception& e) {
        ok = false;
        return;
      }
      for (const scribe::engine::BackupConfig& config : configs)
        if (!config.repository.empty() && !ShutdownRequestPending) ok = upload_one(config) && ok;
    });
    failures = ok ? 0 : std::min(failures + 1, 6);
    // After failures, wait longer (up to 64 intervals, at most a minute).
    long wait_ms = static_cast<long>(s3_upload_interval_ms) << failures;
    wait_ms = std::max<long>(s3_upload_interval_ms, std::min<long>(wait_ms, 60000));
    (void)WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, wait_ms, PG_WAIT_EXTENSION);
    ResetLatch(MyLatch);
  }
  SpinLockAcquire(&shared->mutex);
  if (shared->pid == MyProcPid) shared->pid = 0;
  SpinLockRelease(&shared->mutex);
  proc_exit(0);
}

// One row per backup with a repository. All text; the view casts.
Datum scribe_upload_status(PG_FUNCTION_ARGS) {
  scribe::pg::run_entry([&] {
    std::vector<std::vector<std::string>> rows;
    for (const scribe::engine::BackupConfig& config : scribe::engine::load_all_configs()) {
      if (config.repository.empty()) continue;
      UploadEntry copy;
      std::memset(static_cast<void*>(&copy), 0, sizeof copy);
      pid_t pid = 0;
      if (shared != nullptr) {
        SpinLockAcquire(&shared->mutex);
        pid = shared->pid;
        for (const UploadEntry& e : shared->entries)
          if (e.database == config.database) copy = e;
        SpinLockRelease(&shared->mutex);
      }
      auto ts = [](TimestampTz t) { return t == 0 ? std::string() : std::string(timestamptz_to_str(t)); };
      const bool checked = copy.checked_at != 0;
      rows.push_back(
          {std::to_string(config.database), config.repository, checked ? std::to_string(copy.files_waiting) : "",
           checked ? std::to_string(copy.bytes_waiting) : "", std::to_string(copy.files_uploaded),
           ts(copy.last_upload_at), copy.last_error, ts(copy.last_error_at), pid != 0 ? std::to_string(pid) : ""});
    }
    scribe::engine::emit_text_rows(fcinfo, rows);
  });
  return static_cast<Datum>(0);
}
