// What the SQL functions share: their refusals (privileges, a primary, a
// transaction of their own, a streaming backup) and the requests to the
// worker (api_internal.hpp).
#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "scribe/core/error.hpp"
#include "scribe/core/format.hpp"
#include "scribe/pg/compat.hpp"
#include "api_internal.hpp"

extern "C" {
#include "catalog/pg_authid_d.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/wait_event.h"
}

namespace scribe::engine::api {

void require_writer(const char* function) {
  bool allowed = false;
  call_pg([&] { allowed = superuser() || has_privs_of_role(GetUserId(), ROLE_PG_WRITE_SERVER_FILES); });
  if (!allowed)
    throw Error(sqlstate::kInsufficientPrivilege, std::string("permission denied for ") + function,
                "It writes files on the server and manages a replication slot.",
                "Only superusers and members of pg_write_server_files may call it.");
}

void require_preloaded() {
  if (!shared_memory_ready())
    throw Error(sqlstate::kObjectNotInPrerequisiteState, "the scribe library was not loaded at server start", {},
                "Add 'scribe' to shared_preload_libraries in postgresql.conf and restart the server.");
}

// A hot standby cannot hold a backup: pg_scribe captures DDL through event
// triggers and WAL messages, which a server in recovery neither fires nor
// writes; the worker would not start before a promotion (scribe.start()
// would wait for it), and the configuration in the data directory and the
// backup directory are the primary's. Logical decoding on a standby (16+)
// would see row changes without their DDL.
void require_primary(const char* function) {
  bool in_recovery = false;
  call_pg([&] { in_recovery = RecoveryInProgress(); });
  if (!in_recovery) return;
  throw Error(sqlstate::kReadOnlySqlTransaction, std::string(function) + " cannot run on a standby server",
              "The server is in recovery. pg_scribe captures DDL with event triggers and messages written into the "
              "WAL, which a standby can neither fire nor write, so a backup cannot stream from a standby.",
              scribe::pg::kHasFailoverSlots
                  ? "Run it on the primary. A standby with sync_replication_slots = on keeps the backup's failover "
                    "slot, and the backup continues on it once it is promoted."
                  : "Run it on the primary.");
}

// Like CREATE DATABASE: the work below is not transactional (a slot, files,
// a worker), so it must not run where a ROLLBACK could pretend to undo it;
// and a slot cannot be created while this transaction holds an xid.
void require_own_transaction(const char* function) {
  bool block = false, has_xid = false;
  call_pg([&] {
    block = IsTransactionBlock();
    has_xid = TransactionIdIsValid(GetTopTransactionIdIfAny());
  });
  if (block || has_xid)
    throw Error(sqlstate::kActiveSqlTransaction, std::string(function) + " cannot run inside a transaction block", {},
                "Call it on its own, outside BEGIN ... COMMIT.");
}

void lock_api() {
  call_pg([] { (void)DirectFunctionCall1(pg_advisory_xact_lock_int8, Int64GetDatum(kApiLockKey)); });
}

BackupConfig require_config(const char* function) {
  std::optional<BackupConfig> config = load_config(MyDatabaseId);
  if (!config)
    throw Error(sqlstate::kObjectNotInPrerequisiteState,
                "database \"" + current_database_name() + "\" has no pg_scribe backup",
                std::string(function) + " needs one.", "Run SELECT * FROM scribe.init('/path/to/backup');");
  return *config;
}

SlotCondition slot_condition(const BackupConfig& config, XLogRecPtr* confirmed_out) {
  bool exists = false, lost = false;
  XLogRecPtr confirmed = InvalidXLogRecPtr;
  {
    LWLockGuard lock(ReplicationSlotControlLock, LW_SHARED);
    call_pg([&] {
      ReplicationSlot* slot = SearchNamedReplicationSlot(config.slot.c_str(), false);
      if (slot != nullptr) {
        exists = true;
        SpinLockAcquire(&slot->mutex);
        // An invalidated slot has no restart_lsn any more.
        lost = XLogRecPtrIsInvalid(slot->data.restart_lsn);
        confirmed = slot->data.confirmed_flush;
        SpinLockRelease(&slot->mutex);
      }
    });
  }
  if (confirmed_out != nullptr) *confirmed_out = confirmed;
  if (!exists) return SlotCondition::kMissing;
  return lost ? SlotCondition::kLost : SlotCondition::kUsable;
}

void require_usable_slot(const BackupConfig& config, const char* function) {
  XLogRecPtr confirmed = InvalidXLogRecPtr;
  const SlotCondition condition = slot_condition(config, &confirmed);
  if (condition == SlotCondition::kUsable) return;
  if (condition == SlotCondition::kMissing)
    throw Error(sqlstate::kObjectNotInPrerequisiteState,
                "replication slot \"" + config.slot + "\" of the backup of database \"" + current_database_name() +
                    "\" is missing: chain " + config.chain_id + " cannot continue",
                std::string(function) +
                    " needs it. The chain's files restore the database as it was up to where "
                    "they end.",
                "SELECT scribe.new_chain(); starts a new chain, with a new base, in the same backup directory.");
  throw Error(sqlstate::kObjectNotInPrerequisiteState,
              "replication slot \"" + config.slot + "\" of the backup of database \"" + current_database_name() +
                  "\" lost WAL the backup still needed: chain " + config.chain_id + " cannot continue",
              "The slot was invalidated (max_slot_wal_keep_size); changes after " + lsn_text(confirmed) +
                  " are not in the backup. The chain's files restore the database as it was up to there.",
              "Start a new backup: SELECT scribe.teardown(); then SELECT * FROM "
              "scribe.init('/path/to/a/new/directory');");
}

BackupConfig require_streaming(const char* function) {
  BackupConfig config = require_config(function);
  require_usable_slot(config, function);
  if (config.enabled && !worker_running(MyDatabaseId)) {
    // Between an error and the back-off's restart there is no worker: say
    // why, rather than suggest a start() that is not needed.
    // Copied into a buffer under the lock: nothing there may throw.
    char last_error[sizeof(DatabaseEntry::last_error)] = "";
    std::uint32_t failures = 0;
    {
      LWLockGuard lock(shared->lock, LW_SHARED);
      if (const DatabaseEntry* e = find_entry(MyDatabaseId, false)) {
        failures = e->consecutive_failures;
        std::memcpy(last_error, e->last_error, sizeof last_error);
      }
    }
    last_error[sizeof last_error - 1] = '\0';
    if (failures > 0 && last_error[0] != '\0')
      throw Error(sqlstate::kObjectNotInPrerequisiteState,
                  std::string("the pg_scribe worker is recovering from an error: ") + last_error,
                  std::string(function) + " needs the streaming worker; it restarts by itself after a back-off.",
                  "See scribe.status and the server log, and fix the cause.");
  }
  if (!config.enabled || !worker_running(MyDatabaseId))
    throw Error(sqlstate::kObjectNotInPrerequisiteState,
                "the backup of database \"" + current_database_name() + "\" is not streaming",
                std::string(function) + " needs the streaming worker.",
                config.enabled ? "See scribe.status for its last error; run SELECT scribe.start();"
                               : "Run SELECT scribe.start();");
  return config;
}

std::string list_text(const std::vector<std::string>& items, std::size_t max) {
  std::string text;
  for (std::size_t i = 0; i < items.size() && i < max; i++) text += (i ? ", " : "") + items[i];
  if (items.size() > max) text += " and " + std::to_string(items.size() - max) + " more";
  return text;
}

void validate_slot_name(const std::string& slot) {
  call_pg([&] { (void)ReplicationSlotValidateName(slot.c_str(), ERROR); });
  bool exists = false;
  call_pg([&] { exists = SearchNamedReplicationSlot(slot.c_str(), true) != nullptr; });
  if (exists)
    throw Error(sqlstate::kDuplicateObject, "replication slot \"" + slot + "\" already exists", {},
                "Choose another slot_name, or drop the slot if nothing uses it.");
}

CompressionSpec compression_arg(const std::string& text) { return parse_compression_spec(text); }

RequestResult send_request(RequestKind kind, const std::string& chain_id, const std::string& slot,
                           const std::string& compression, XLogRecPtr switch_lsn) {
  std::uint64_t seq = 0;
  Latch* latch = nullptr;
  DatabaseEntry* e = nullptr;
  {
    LWLockGuard lock(shared->lock, LW_EXCLUSIVE);
    e = find_entry(MyDatabaseId, false);
    if (e == nullptr || e->worker_pid == 0) {
      lock.release();  // current_database_name() reads the catalog
      throw Error(sqlstate::kObjectNotInPrerequisiteState,
                  "the pg_scribe worker of database \"" + current_database_name() + "\" is not running", {},
                  "See scribe.status; run SELECT scribe.start();");
    }
    e->request = kind;
    snprintf(e->switch_chain_id, sizeof e->switch_chain_id, "%s", chain_id.c_str());
    snprintf(e->switch_slot, sizeof e->switch_slot, "%s", slot.c_str());
    snprintf(e->switch_compression, sizeof e->switch_compression, "%s", compression.c_str());
    e->switch_lsn = switch_lsn;
    seq = ++e->request_seq;
    latch = e->worker_latch;
  }
  if (latch != nullptr) SetLatch(latch);
  RequestResult result;
  struct CancelSleep {
    ~CancelSleep() { ConditionVariableCancelSleep(); }
  } cancel_sleep;
  ConditionVariablePrepareToSleep(&e->request_done);
  for (;;) {
    bool done, taken;
    pid_t pid;
    {
      LWLockGuard lock(shared->lock, LW_SHARED);
      done = e->done_seq >= seq;
      taken = e->taken_seq >= seq;
      pid = e->worker_pid;
      if (done) result = e->result;
    }
    if (done) break;
    if (pid == 0) {
      // Withdraw the request: a restarted worker must not act on it later.
      {
        LWLockGuard lock(shared->lock, LW_EXCLUSIVE);
        if (e->request_seq == seq) e->done_seq = seq;
      }
      throw Error(sqlstate::kObjectNotInPrerequisiteState, "the pg_scribe worker exited before it answered", {},
                  "See scribe.status and the server log; it restarts by itself.");
    }
    if (taken) {
      // The worker acts on the request to the end (a seal, a switch of
      // chain) and its answer says what happened: wait for it even if this
      // statement is cancelled meanwhile (the cancel comes too late, and is
      // taken at the next check for interrupts). Bounded by the worker: it
      // answers, or exits (above).
      call_pg([&] {
        HOLD_INTERRUPTS();
        (void)ConditionVariableTimedSleep(&e->request_done, 500, PG_WAIT_EXTENSION);
        RESUME_INTERRUPTS();
      });
      continue;
    }
    try {
      call_pg([&] { (void)ConditionVariableTimedSleep(&e->request_done, 500, PG_WAIT_EXTENSION); });
    } catch (...) {
      // Interrupted (a cancel, statement_timeout) before the worker took
      // the request: withdraw it, so that the worker never acts on it after
      // the caller undid what it needs (new_chain drops the new slot and
      // chain directory). Taken meanwhile: wait for the answer instead.
      bool withdrawn = false;
      {
        LWLockGuard lock(shared->lock, LW_EXCLUSIVE);
        if (e->taken_seq < seq) {
          if (e->done_seq < seq) e->done_seq = seq;
          if (e->request_seq == seq) e->request = RequestKind::kNone;
          withdrawn = true;
        }
      }
      if (withdrawn) throw;
    }
  }
  if (!result.ok)
    throw Error(result.sqlstate[0] ? result.sqlstate : sqlstate::kInternalError, result.message, {}, result.hint);
  return result;
}

void set_decode_limit(XLogRecPtr limit) {
  LWLockGuard lock(shared->lock, LW_EXCLUSIVE);
  if (DatabaseEntry* e = find_entry(MyDatabaseId, false)) e->decode_limit = limit;
}

Datum tuple_of(FunctionCallInfo fcinfo, const std::vector<const char*>& values) {
  Datum result;
  call_pg([&] {
    TupleDesc desc;
    if (get_call_result_type(fcinfo, nullptr, &desc) != TYPEFUNC_COMPOSITE) elog(ERROR, "return type must be a row");
    BlessTupleDesc(desc);
    AttInMetadata* meta = TupleDescGetAttInMetadata(desc);
    HeapTuple tuple = BuildTupleFromCStrings(meta, const_cast<char**>(values.data()));
    result = HeapTupleGetDatum(tuple);
  });
  return result;
}

std::string text_arg(FunctionCallInfo fcinfo, int n, const char* name) {
  if (PG_ARGISNULL(n))
    throw Error(sqlstate::kNullValueNotAllowed, std::string("argument ") + name + " must not be null");
  std::string value;
  call_pg([&] { value = text_to_cstring(PG_GETARG_TEXT_PP(n)); });
  return value;
}

}  // namespace scribe::engine::api

namespace scribe::engine {

using api::call_pg;

void emit_text_rows(FunctionCallInfo fcinfo, const std::vector<std::vector<std::string>>& rows) {
  call_pg([&] {
    InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC);
    auto* rsinfo = reinterpret_cast<ReturnSetInfo*>(fcinfo->resultinfo);
    AttInMetadata* meta = TupleDescGetAttInMetadata(rsinfo->setDesc);
    // A palloc'd array, not a C++ container: BuildTupleFromCStrings and
    // tuplestore_puttuple may longjmp out of this lambda.
    const std::size_t natts = static_cast<std::size_t>(meta->tupdesc->natts);
    char** values = static_cast<char**>(palloc(sizeof(char*) * std::max<std::size_t>(natts, 1)));
    for (const std::vector<std::string>& row : rows) {
      for (std::size_t i = 0; i < natts; i++)
        values[i] = i < row.size() && !row[i].empty() ? const_cast<char*>(row[i].c_str()) : nullptr;
      tuplestore_puttuple(rsinfo->setResult, BuildTupleFromCStrings(meta, values));
    }
    pfree(values);
  });
}

// Refuses DROP EXTENSION scribe (or DROP SCHEMA scribe) while this database
// has a backup: its slot would stay behind, retaining WAL for ever.
void refuse_drop_while_configured(Node* statement) {
  if (statement == nullptr || !IsA(statement, DropStmt)) return;
  auto* drop = reinterpret_cast<DropStmt*>(statement);
  if (drop->removeType != OBJECT_EXTENSION && drop->removeType != OBJECT_SCHEMA) return;
  bool ours = false;
  ListCell* cell;
  foreach (cell, drop->objects) {
    Node* object = static_cast<Node*>(lfirst(cell));
    if (IsA(object, String) && std::strcmp(strVal(object), "scribe") == 0) ours = true;
  }
  if (!ours) return;
  std::optional<BackupConfig> config;
  try {
    config = load_config(MyDatabaseId);
  } catch (const std::exception&) {
    return;
  }
  if (!config) return;
  throw Error(
      sqlstate::kObjectInUse, "cannot drop pg_scribe while database \"" + current_database_name() + "\" is backed up",
      "Its slot \"" + config->slot + "\" would stay behind and retain WAL.", "Run SELECT scribe.teardown(); first.");
}

}  // namespace scribe::engine
