// The backup engine's shared declarations: the per-database configuration
// that survives restarts, the shared-memory state through which the SQL API
// and the streaming workers talk, and the GUCs.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "scribe/pg/postgres.hpp"

extern "C" {
#include "access/xlogdefs.h"
#include "datatype/timestamp.h"
#include "storage/condition_variable.h"
#include "storage/latch.h"
#include "storage/lwlock.h"
}

namespace scribe::engine {

// Serialises the API calls of one database that change its backup (an
// advisory lock, held until the end of the call's transaction).
inline constexpr int64 kApiLockKey = 0x7363726962650001;  // "scribe" 1

// ---- configuration of one database's backup: $PGDATA/pg_scribe/db_<oid>.conf
// It is the record of which databases stream, read at server start.
struct BackupConfig {
  Oid database = InvalidOid;
  bool enabled = true;
  std::string backup_dir;
  std::string slot;       // the slot the current chain streams from
  std::string slot_base;  // the name given to init; new chains derive theirs from it
  std::string compression;
  std::string chain_id;
  std::string repository;  // s3://bucket/prefix the uploader copies sealed files to; empty: none
};

std::string config_path(Oid database);
std::optional<BackupConfig> load_config(Oid database);
void save_config(const BackupConfig& config);
void remove_config(Oid database);
std::vector<BackupConfig> load_all_configs();
std::string chain_dir_of(const BackupConfig& config);

// ---- shared memory
enum class WorkerState : std::uint8_t { kStopped = 0, kStarting, kStreaming, kIdle, kError };
const char* worker_state_name(WorkerState state);

enum class RequestKind : std::uint8_t { kNone = 0, kRotate, kSwitchChain };

inline constexpr int kErrorTextSize = 512;
inline constexpr int kIdSize = 32;

struct RequestResult {
  bool ok;
  char sqlstate[6];
  char message[kErrorTextSize];
  char hint[kErrorTextSize];
  char diff_file[MAXPGPATH];
  XLogRecPtr start_lsn;
  XLogRecPtr end_lsn;
  std::uint64_t transactions;
  std::uint64_t bytes;
  char sha256[65];
};

struct DatabaseEntry {
  bool in_use;
  Oid database;
  pid_t worker_pid;
  Latch* worker_latch;
  WorkerState state;
  char last_error[kErrorTextSize];
  TimestampTz last_error_at;
  std::uint32_t consecutive_failures;
  char chain_id[kIdSize];
  std::uint64_t active_bytes;
  XLogRecPtr written_lsn;  // decoded, durable in active.sql, and confirmed to the slot
  TimestampTz last_commit_time;
  TimestampTz caught_up_at;  // last time the worker had decoded all flushed WAL
  TimestampTz last_rotation;
  std::uint32_t diffs_in_chain;
  // The worker does not decode records at or past this point (new_chain).
  XLogRecPtr decode_limit;
  // One request at a time (callers serialise on an advisory lock).
  // request_seq: the last request asked; taken_seq: the last one the worker
  // took (it then acts on it to the end); done_seq: the last one answered,
  // or withdrawn by its caller before the worker took it.
  RequestKind request;
  std::uint64_t request_seq;
  std::uint64_t taken_seq;
  std::uint64_t done_seq;
  char switch_chain_id[kIdSize];
  char switch_slot[NAMEDATALEN];
  char switch_compression[kIdSize];
  XLogRecPtr switch_lsn;
  RequestResult result;
  ConditionVariable request_done;  // signalled by the worker when done_seq moves
};

struct SharedState {
  LWLock* lock;
  int max_databases;
  DatabaseEntry entries[FLEXIBLE_ARRAY_MEMBER];
};

extern SharedState* shared;

void request_shared_memory();
void attach_shared_memory();
bool shared_memory_ready();
// The entry of a database, created when `create`; null when full or absent.
// Caller holds shared->lock exclusively (or shared for lookups).
DatabaseEntry* find_entry(Oid database, bool create);

// ---- GUCs
extern int batch_bytes_kb;
extern int idle_timeout_ms;
extern int sync_interval_ms;
extern int start_timeout_s;
extern char* connect_host;
void define_gucs();

// ---- workers
void register_static_workers();  // at server start, for every enabled configuration
// Starts the streaming worker of a database and waits until it streams or fails.
void start_worker(Oid database);
// Asks the worker to exit and waits until it has.
void stop_worker(Oid database);
bool worker_running(Oid database);

// DROP EXTENSION / DROP SCHEMA scribe while a backup is configured: error.
void refuse_drop_while_configured(Node* statement);

// ---- text forms used in files, results and messages
// (lsn_text and the other formats: scribe/core/format.hpp)
std::string now_iso();                      // the current time, ISO 8601 UTC with microseconds
std::string timestamp_text(TimestampTz t);  // utc_timestamp_text, "" for 0 (none)
std::string current_database_name();

// The rows of a set-returning SQL function, every column text; an empty
// string is NULL.
void emit_text_rows(FunctionCallInfo fcinfo, const std::vector<std::vector<std::string>>& rows);

// ---- the path of our files inside the data directory
std::string scribe_state_dir();  // $PGDATA/pg_scribe (relative to the data directory)

}  // namespace scribe::engine
