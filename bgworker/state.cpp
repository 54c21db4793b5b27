// Configuration files, shared memory, GUCs and worker registration.
#include <cerrno>
#include <csignal>
#include <cstring>

#include "engine.hpp"
#include "scribe/core/chain.hpp"
#include "scribe/core/error.hpp"
#include "scribe/core/fault.hpp"
#include "scribe/core/fileio.hpp"
#include "scribe/core/format.hpp"
#include "scribe/pg/guard.hpp"
#include "scribe/pg/lwlock_guard.hpp"

using scribe::pg::call_pg;

extern "C" {
#include "commands/dbcommands.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/proc.h"
#include "storage/shmem.h"
#include "utils/guc.h"
#include "utils/timestamp.h"
#include "utils/wait_event.h"
}

namespace scribe::engine {

SharedState* shared = nullptr;
int batch_bytes_kb = 8192;
int idle_timeout_ms = 200;
int sync_interval_ms = 100;
int start_timeout_s = 60;
char* connect_host = nullptr;
char* fault_injection = nullptr;

namespace {

int max_databases = 16;
shmem_request_hook_type previous_shmem_request = nullptr;
shmem_startup_hook_type previous_shmem_startup = nullptr;

Size shared_size() { return add_size(offsetof(SharedState, entries), mul_size(max_databases, sizeof(DatabaseEntry))); }

void on_shmem_request() {
  if (previous_shmem_request != nullptr) previous_shmem_request();
  RequestAddinShmemSpace(shared_size());
  RequestNamedLWLockTranche("pg_scribe", 1);
}

void on_shmem_startup() {
  if (previous_shmem_startup != nullptr) previous_shmem_startup();
  scribe::pg::LWLockGuard lock(AddinShmemInitLock, LW_EXCLUSIVE);
  call_pg([] {
    bool found = false;
    shared = static_cast<SharedState*>(ShmemInitStruct("pg_scribe", shared_size(), &found));
    if (!found) {
      std::memset(static_cast<void*>(shared), 0, shared_size());
      shared->lock = &(GetNamedLWLockTranche("pg_scribe"))->lock;
      shared->max_databases = max_databases;
      for (int i = 0; i < max_databases; i++) ConditionVariableInit(&shared->entries[i].request_done);
    }
  });
}

std::string trim_line(std::string line) {
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
  return line;
}

}  // namespace

const char* worker_state_name(WorkerState state) {
  switch (state) {
    case WorkerState::kStopped:
      return "stopped";
    case WorkerState::kStarting:
      return "starting";
    case WorkerState::kStreaming:
      return "streaming";
    case WorkerState::kIdle:
      return "idle";
    case WorkerState::kError:
      return "error";
  }
  return "unknown";
}

std::string now_iso() { return utc_timestamp_text(GetCurrentTimestamp()); }

std::string timestamp_text(TimestampTz t) { return t == 0 ? std::string() : utc_timestamp_text(t); }

std::string current_database_name() {
  std::string name;
  call_pg([&] { name = get_database_name(MyDatabaseId); });
  return name;
}

std::string scribe_state_dir() { return "pg_scribe"; }

std::string config_path(Oid database) { return scribe_state_dir() + "/db_" + std::to_string(database) + ".conf"; }

std::optional<BackupConfig> load_config(Oid database) {
  const std::string path = config_path(database);
  if (!path_exists(path)) return std::nullopt;
  const std::string text = read_small_file(path, 1 << 20);
  BackupConfig config;
  config.database = database;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    const std::string line = trim_line(text.substr(pos, end - pos));
    pos = end + 1;
    const std::size_t eq = line.find('=');
    if (line.empty() || line[0] == '#' || eq == std::string::npos) continue;
    const std::string key = line.substr(0, eq);
    const std::string value = line.substr(eq + 1);
    if (key == "enabled")
      config.enabled = value == "true";
    else if (key == "backup_dir")
      config.backup_dir = value;
    else if (key == "slot")
      config.slot = value;
    else if (key == "slot_base")
      config.slot_base = value;
    else if (key == "compression")
      config.compression = value;
    else if (key == "chain")
      config.chain_id = value;
    else if (key == "repository")
      config.repository = value;
  }
  if (config.backup_dir.empty() || config.slot.empty() || config.chain_id.empty())
    throw Error(sqlstate::kDataCorrupted, "pg_scribe configuration file \"" + path + "\" is incomplete", {},
                "Run scribe.teardown() and scribe.init() again.");
  if (config.slot_base.empty()) config.slot_base = config.slot;
  if (config.compression.empty()) config.compression = "none";
  return config;
}

void save_config(const BackupConfig& config) {
  if (!is_directory(scribe_state_dir())) make_directory(scribe_state_dir());
  std::string text = "# pg_scribe: the backup of one database; written by scribe.init(), do not edit\n";
  text += "enabled=" + std::string(config.enabled ? "true" : "false") + "\n";
  text += "backup_dir=" + config.backup_dir + "\n";
  text += "slot=" + config.slot + "\n";
  text += "slot_base=" + config.slot_base + "\n";
  text += "compression=" + config.compression + "\n";
  text += "chain=" + config.chain_id + "\n";
  if (!config.repository.empty()) text += "repository=" + config.repository + "\n";
  write_file_atomically(config_path(config.database), text);
}

void remove_config(Oid database) {
  remove_file(config_path(database));
  fsync_directory(scribe_state_dir());
}

std::vector<BackupConfig> load_all_configs() {
  std::vector<BackupConfig> configs;
  if (!is_directory(scribe_state_dir())) return configs;
  for (const std::string& name : list_directory(scribe_state_dir())) {
    if (name.rfind("db_", 0) != 0 || name.size() < 9 || name.compare(name.size() - 5, 5, ".conf") != 0) continue;
    const std::string digits = name.substr(3, name.size() - 8);
    if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos) continue;
    if (auto config = load_config(static_cast<Oid>(std::stoul(digits)))) configs.push_back(std::move(*config));
  }
  return configs;
}

std::string chain_dir_of(const BackupConfig& config) {
  return join_path(config.backup_dir, chain_dir_name(config.chain_id));
}

void request_shared_memory() {
  DefineCustomIntVariable("scribe.max_databases", "Maximum number of databases pg_scribe can back up at once.", nullptr,
                          &max_databases, 16, 1, 1024, PGC_POSTMASTER, 0, nullptr, nullptr, nullptr);
  previous_shmem_request = shmem_request_hook;
  shmem_request_hook = on_shmem_request;
  previous_shmem_startup = shmem_startup_hook;
  shmem_startup_hook = on_shmem_startup;
}

bool shared_memory_ready() { return shared != nullptr; }

DatabaseEntry* find_entry(Oid database, bool create) {
  DatabaseEntry* free_entry = nullptr;
  for (int i = 0; i < shared->max_databases; i++) {
    DatabaseEntry* e = &shared->entries[i];
    if (e->in_use && e->database == database) return e;
    if (!e->in_use && free_entry == nullptr) free_entry = e;
  }
  if (!create || free_entry == nullptr) return nullptr;
  ConditionVariable cv = free_entry->request_done;
  std::memset(static_cast<void*>(free_entry), 0, sizeof *free_entry);
  free_entry->request_done = cv;
  free_entry->in_use = true;
  free_entry->database = database;
  free_entry->state = WorkerState::kStopped;
  return free_entry;
}

namespace {

bool fault_armed(const char* point) { return fault_injection != nullptr && std::strcmp(fault_injection, point) == 0; }

// The hook of scribe::fault_point: while scribe.fault_injection names this
// point, the process waits here (the tests kill it, or change the setting
// and reload to let it go on). At most ten minutes, so that a forgotten
// setting cannot hang a server for good.
void pause_at_fault_point(const char* point) {
  if (!fault_armed(point)) return;
  scribe::pg::call_pg(
      [&] { ereport(LOG, (errmsg("pg_scribe: paused at fault point \"%s\" (pid %d)", point, MyProcPid))); });
  const TimestampTz until = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), 600 * 1000);
  while (fault_armed(point) && GetCurrentTimestamp() < until) {
    scribe::pg::call_pg([&] {
      (void)WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, 100, PG_WAIT_EXTENSION);
      ResetLatch(MyLatch);
      CHECK_FOR_INTERRUPTS();
      if (ConfigReloadPending) {
        ConfigReloadPending = false;
        ProcessConfigFile(PGC_SIGHUP);
      }
    });
  }
  scribe::pg::call_pg(
      [&] { ereport(LOG, (errmsg("pg_scribe: resumed at fault point \"%s\" (pid %d)", point, MyProcPid))); });
}

}  // namespace

void define_gucs() {
  DefineCustomIntVariable("scribe.batch_size",
                          "Decoded SQL the worker writes before it makes it durable and advances the slot.", nullptr,
                          &batch_bytes_kb, 8192, 64, 1024 * 1024, PGC_SIGHUP, GUC_UNIT_KB, nullptr, nullptr, nullptr);
  DefineCustomIntVariable("scribe.idle_timeout", "How long an idle worker sleeps before it looks for new WAL.", nullptr,
                          &idle_timeout_ms, 200, 10, 60000, PGC_SIGHUP, GUC_UNIT_MS, nullptr, nullptr, nullptr);
  DefineCustomIntVariable("scribe.sync_interval",
                          "Shortest time between two fdatasyncs of active.sql while the worker keeps up with new WAL.",
                          "Under a steady write load the worker gathers this long's transactions into one batch, "
                          "rather than syncing after every few commits; 0 syncs as soon as it has written.",
                          &sync_interval_ms, 100, 0, 10000, PGC_SIGHUP, GUC_UNIT_MS, nullptr, nullptr, nullptr);
  DefineCustomIntVariable("scribe.start_timeout", "How long scribe.init() and scribe.start() wait for streaming.",
                          nullptr, &start_timeout_s, 60, 1, 3600, PGC_SIGHUP, GUC_UNIT_S, nullptr, nullptr, nullptr);
  DefineCustomStringVariable("scribe.host",
                             "Host (or socket directory) that scribe.init() and scribe.new_chain() connect to for "
                             "the replication slot and pg_dump; empty: the server's first Unix socket directory.",
                             nullptr, &connect_host, "", PGC_SUSET, 0, nullptr, nullptr, nullptr);
  DefineCustomStringVariable("scribe.fault_injection",
                             "For tests only: the fault point at which pg_scribe processes pause (see RELIABILITY.md).",
                             "Empty (the default): none.", &fault_injection, "", PGC_SUSET, GUC_NOT_IN_SAMPLE, nullptr,
                             nullptr, nullptr);
  scribe::set_fault_hook(pause_at_fault_point);
}

namespace {

void fill_worker(BackgroundWorker& worker, Oid database) {
  std::memset(&worker, 0, sizeof worker);
  worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
  worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
  // The worker backs off by itself after failures (consecutive_failures).
  worker.bgw_restart_time = 1;
  snprintf(worker.bgw_library_name, BGW_MAXLEN, "scribe");
  snprintf(worker.bgw_function_name, BGW_MAXLEN, "scribe_worker_main");
  snprintf(worker.bgw_name, BGW_MAXLEN, "pg_scribe worker for database %u", database);
  snprintf(worker.bgw_type, BGW_MAXLEN, "pg_scribe worker");
  worker.bgw_main_arg = ObjectIdGetDatum(database);
}

}  // namespace

void register_static_workers() {
  std::vector<BackupConfig> configs;
  try {
    configs = load_all_configs();
  } catch (const std::exception& e) {
    ereport(LOG, (errmsg("pg_scribe: could not read the backup configurations: %s", e.what())));
    return;
  }
  for (const BackupConfig& config : configs) {
    if (!config.enabled) continue;
    BackgroundWorker worker;
    fill_worker(worker, config.database);
    RegisterBackgroundWorker(&worker);
  }
}

bool worker_running(Oid database) {
  scribe::pg::LWLockGuard lock(shared->lock, LW_SHARED);
  const DatabaseEntry* e = find_entry(database, false);
  return e != nullptr && e->worker_pid != 0;
}

void start_worker(Oid database) {
  BackgroundWorker worker;
  fill_worker(worker, database);
  worker.bgw_notify_pid = MyProcPid;
  BackgroundWorkerHandle* handle = nullptr;
  bool have_entry = false;
  {
    scribe::pg::LWLockGuard lock(shared->lock, LW_EXCLUSIVE);
    DatabaseEntry* e = find_entry(database, true);
    if (e != nullptr) {
      e->consecutive_failures = 0;
      e->state = WorkerState::kStarting;
      e->last_error[0] = '\0';
      have_entry = true;
    }
  }
  call_pg([&] {
    if (!have_entry)
      ereport(ERROR, (errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
                      errmsg("pg_scribe already backs up scribe.max_databases = %d databases", max_databases),
                      errhint("Raise scribe.max_databases in postgresql.conf and restart the server.")));
    if (!RegisterDynamicBackgroundWorker(&worker, &handle))
      ereport(ERROR, (errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
                      errmsg("could not start the pg_scribe worker: no background worker slot is free"),
                      errhint("Raise max_worker_processes in postgresql.conf and restart the server.")));
    pid_t pid;
    if (WaitForBackgroundWorkerStartup(handle, &pid) != BGWH_STARTED)
      ereport(ERROR, (errcode(ERRCODE_INSUFFICIENT_RESOURCES), errmsg("the pg_scribe worker did not start"),
                      errhint("See the server log.")));
  });
  // Wait until it streams (or reports why it cannot).
  const TimestampTz deadline = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), start_timeout_s * 1000);
  for (;;) {
    WorkerState state;
    char error[kErrorTextSize];
    pid_t pid;
    {
      scribe::pg::LWLockGuard lock(shared->lock, LW_SHARED);
      const DatabaseEntry* e = find_entry(database, false);
      state = e != nullptr ? e->state : WorkerState::kStopped;
      pid = e != nullptr ? e->worker_pid : 0;
      snprintf(error, sizeof error, "%s", e != nullptr ? e->last_error : "");
    }
    if (state == WorkerState::kStreaming || state == WorkerState::kIdle) return;
    if (state == WorkerState::kError)
      throw Error(sqlstate::kObjectNotInPrerequisiteState,
                  std::string("the pg_scribe worker could not start streaming: ") + error, {},
                  "See the server log; fix the cause and run scribe.start().");
    pid_t bgpid;
    if (pid == 0 && GetBackgroundWorkerPid(handle, &bgpid) == BGWH_STOPPED)
      throw Error(sqlstate::kObjectNotInPrerequisiteState, "the pg_scribe worker exited before it started streaming",
                  {}, "See the server log.");
    if (GetCurrentTimestamp() > deadline)
      throw Error(sqlstate::kQueryCanceled, "the pg_scribe worker did not start streaming within scribe.start_timeout",
                  {}, "See the server log; a long-running transaction can delay decoding.");
    call_pg([&] {
      (void)WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, 50, PG_WAIT_EXTENSION);
      ResetLatch(MyLatch);
      CHECK_FOR_INTERRUPTS();
    });
  }
}

void stop_worker(Oid database) {
  // The entry's pid under the lock (0: no worker).
  const auto worker_pid = [database] {
    scribe::pg::LWLockGuard lock(shared->lock, LW_SHARED);
    const DatabaseEntry* e = find_entry(database, false);
    return e != nullptr ? e->worker_pid : 0;
  };
  pid_t pid = worker_pid();
  if (pid == 0) return;
  if (kill(pid, SIGTERM) != 0 && errno != ESRCH)
    throw Error(sqlstate::kSystemError, std::string("could not signal the pg_scribe worker: ") + strerror(errno));
  for (int waited_ms = 0;; waited_ms += 50) {
    pid = worker_pid();
    if (pid == 0) return;
    if (waited_ms > start_timeout_s * 1000)
      throw Error(sqlstate::kQueryCanceled, "the pg_scribe worker did not stop",
                  "Its process is " + std::to_string(pid) + ".");
    call_pg([&] {
      (void)WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, 50, PG_WAIT_EXTENSION);
      ResetLatch(MyLatch);
      CHECK_FOR_INTERRUPTS();
    });
  }
}

}  // namespace scribe::engine
