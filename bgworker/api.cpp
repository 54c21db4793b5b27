// The SQL API (schema scribe): init, start, stop, rotate_diff, new_chain,
// teardown, and the rows behind the status and chains views. Every entry is
// a thin extern "C" wrapper around C++ (DESIGN.md, "C++ inside PostgreSQL").
#include <cstring>
#include <ctime>
#include <string>
#include <vector>

#include <climits>
#include <cstdlib>
#include <sys/stat.h>

#include "base.hpp"
#include "engine.hpp"
#include "../scribe/ddl_capture.hpp"
#include "globals_sync.hpp"
#include "uploader.hpp"
#include "scribe/core/chain.hpp"
#include "scribe/core/chain_files.hpp"
#include "scribe/core/compression.hpp"
#include "scribe/core/error.hpp"
#include "scribe/core/fileio.hpp"
#include "scribe/core/format.hpp"
#include "scribe/core/json.hpp"
#include "scribe/pg/compat.hpp"
#include "scribe/pg/guard.hpp"

extern "C" {
#include "access/htup_details.h"
#include "access/relation.h"
#include "access/xact.h"
#include "access/xlog.h"
#include "catalog/namespace.h"
#include "catalog/pg_authid_d.h"
#include "commands/dbcommands.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "replication/slot.h"
#include "storage/lmgr.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/pg_lsn.h"
#include "utils/rel.h"
#include "utils/relcache.h"
#include "utils/timestamp.h"
#include "utils/wait_event.h"

PGDLLEXPORT Datum scribe_init(PG_FUNCTION_ARGS);
PGDLLEXPORT Datum scribe_start(PG_FUNCTION_ARGS);
PGDLLEXPORT Datum scribe_stop(PG_FUNCTION_ARGS);
PGDLLEXPORT Datum scribe_rotate_diff(PG_FUNCTION_ARGS);
PGDLLEXPORT Datum scribe_new_chain(PG_FUNCTION_ARGS);
PGDLLEXPORT Datum scribe_teardown(PG_FUNCTION_ARGS);
PGDLLEXPORT Datum scribe_status_rows(PG_FUNCTION_ARGS);
PGDLLEXPORT Datum scribe_chain_files(PG_FUNCTION_ARGS);
PG_FUNCTION_INFO_V1(scribe_init);
PG_FUNCTION_INFO_V1(scribe_start);
PG_FUNCTION_INFO_V1(scribe_stop);
PG_FUNCTION_INFO_V1(scribe_rotate_diff);
PG_FUNCTION_INFO_V1(scribe_new_chain);
PG_FUNCTION_INFO_V1(scribe_teardown);
PG_FUNCTION_INFO_V1(scribe_status_rows);
PG_FUNCTION_INFO_V1(scribe_chain_files);
}

namespace scribe::engine {
namespace {

using scribe::pg::call_pg;

void require_writer(const char* function) {
  bool allowed = false;
  call_pg([&] { allowed = superuser() || has_privs_of_role(GetUserId(), ROLE_PG_WRITE_SERVER_FILES); });
  if (!allowed)
    throw Error("42501", std::string("permission denied for ") + function,
                "It writes files on the server and manages a replication slot.",
                "Only superusers and members of pg_write_server_files may call it.");
}

void require_preloaded() {
  if (!shared_memory_ready())
    throw Error("55000", "the scribe library was not loaded at server start", {},
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
  throw Error("25006", std::string(function) + " cannot run on a standby server",
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
    throw Error("25001", std::string(function) + " cannot run inside a transaction block", {},
                "Call it on its own, outside BEGIN ... COMMIT.");
}

void lock_api() {
  call_pg([] { (void)DirectFunctionCall1(pg_advisory_xact_lock_int8, Int64GetDatum(kApiLockKey)); });
}

BackupConfig require_config(const char* function) {
  std::optional<BackupConfig> config = load_config(MyDatabaseId);
  if (!config)
    throw Error("55000", "database \"" + current_database_name() + "\" has no pg_scribe backup",
                std::string(function) + " needs one.", "Run SELECT * FROM scribe.init('/path/to/backup');");
  return *config;
}

// The chain streams from its slot: once the slot is gone or has lost WAL
// (invalidated by max_slot_wal_keep_size), nothing can make it continue -
// neither scribe.start() nor a rotation - and the caller must hear that
// rather than "run scribe.start()".
enum class SlotCondition { kUsable, kMissing, kLost };

SlotCondition slot_condition(const BackupConfig& config, XLogRecPtr* confirmed_out = nullptr) {
  bool exists = false, lost = false;
  XLogRecPtr confirmed = InvalidXLogRecPtr;
  call_pg([&] {
    LWLockAcquire(ReplicationSlotControlLock, LW_SHARED);
    ReplicationSlot* slot = SearchNamedReplicationSlot(config.slot.c_str(), false);
    if (slot != nullptr) {
      exists = true;
      SpinLockAcquire(&slot->mutex);
      // An invalidated slot has no restart_lsn any more.
      lost = XLogRecPtrIsInvalid(slot->data.restart_lsn);
      confirmed = slot->data.confirmed_flush;
      SpinLockRelease(&slot->mutex);
    }
    LWLockRelease(ReplicationSlotControlLock);
  });
  if (confirmed_out != nullptr) *confirmed_out = confirmed;
  if (!exists) return SlotCondition::kMissing;
  return lost ? SlotCondition::kLost : SlotCondition::kUsable;
}

void require_usable_slot(const BackupConfig& config, const char* function) {
  XLogRecPtr confirmed = InvalidXLogRecPtr;
  const SlotCondition condition = slot_condition(config, &confirmed);
  if (condition == SlotCondition::kUsable) return;
  if (condition == SlotCondition::kMissing)
    throw Error("55000",
                "replication slot \"" + config.slot + "\" of the backup of database \"" + current_database_name() +
                    "\" is missing: chain " + config.chain_id + " cannot continue",
                std::string(function) +
                    " needs it. The chain's files restore the database as it was up to where "
                    "they end.",
                "SELECT scribe.new_chain(); starts a new chain, with a new base, in the same backup directory.");
  throw Error("55000",
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
    LWLockAcquire(shared->lock, LW_SHARED);
    if (const DatabaseEntry* e = find_entry(MyDatabaseId, false)) {
      failures = e->consecutive_failures;
      std::memcpy(last_error, e->last_error, sizeof last_error);
    }
    LWLockRelease(shared->lock);
    last_error[sizeof last_error - 1] = '\0';
    if (failures > 0 && last_error[0] != '\0')
      throw Error("55000", std::string("the pg_scribe worker is recovering from an error: ") + last_error,
                  std::string(function) + " needs the streaming worker; it restarts by itself after a back-off.",
                  "See scribe.status and the server log, and fix the cause.");
  }
  if (!config.enabled || !worker_running(MyDatabaseId))
    throw Error("55000", "the backup of database \"" + current_database_name() + "\" is not streaming",
                std::string(function) + " needs the streaming worker.",
                config.enabled ? "See scribe.status for its last error; run SELECT scribe.start();"
                               : "Run SELECT scribe.start();");
  return config;
}

// ---- validation (the seed CLI's phase 1)

struct Findings {
  std::vector<std::string> errors;  // critical: init refuses unless force
  std::vector<std::string> error_fixes;
  std::vector<std::string> warnings;
};

std::vector<std::vector<std::string>> spi_rows(const char* query, int columns) {
  std::vector<std::vector<std::string>> rows;
  call_pg([&] {
    if (SPI_connect() != SPI_OK_CONNECT) elog(ERROR, "SPI_connect failed");
    if (SPI_execute(query, true, 0) != SPI_OK_SELECT) elog(ERROR, "pg_scribe could not run: %s", query);
    for (uint64 i = 0; i < SPI_processed; i++) {
      std::vector<std::string> row;
      for (int c = 1; c <= columns; c++) {
        const char* v = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, c);
        row.emplace_back(v != nullptr ? v : "");
      }
      rows.push_back(std::move(row));
    }
    SPI_finish();
  });
  return rows;
}

// Tables whose UPDATE and DELETE cannot be identified on replay: what
// RelationGetReplicaIndex() finds (a deferrable primary key is no identity).
constexpr const char kReplicaIdentityQuery[] =
    "SELECT pg_catalog.format('%I.%I', n.nspname, c.relname),"
    "       CASE c.relreplident WHEN 'n' THEN 'REPLICA IDENTITY NOTHING'"
    "            WHEN 'i' THEN 'its REPLICA IDENTITY index is missing' ELSE 'no primary key' END,"
    "       c.oid::pg_catalog.text"
    "  FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
    " WHERE c.relkind = 'r' AND c.relpersistence = 'p'"
    "   AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'scribe') AND n.nspname !~ '^pg_toast'"
    "   AND (c.relreplident = 'n'"
    "        OR (c.relreplident = 'd' AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_index i"
    "                                                  WHERE i.indrelid = c.oid AND i.indisprimary"
    "                                                    AND i.indimmediate AND i.indisvalid))"
    "        OR (c.relreplident = 'i' AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_index i"
    "                                                  WHERE i.indrelid = c.oid AND i.indisreplident)))"
    " ORDER BY 1";

constexpr const char kUnloggedQuery[] =
    "SELECT pg_catalog.format('%I.%I', n.nspname, c.relname)"
    "  FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
    " WHERE c.relkind IN ('r', 'p') AND c.relpersistence = 'u' ORDER BY 1";

// Inheritance children that a plain SQL dump restores with another column
// order: pg_dump's CREATE TABLE ... INHERITS puts the inherited columns
// first, in their parents' order, then the child's own; a child whose
// columns are in another order (its parent gained a column after it was
// created, or it was attached by ALTER TABLE ... INHERIT) comes back
// reordered. Only pg_upgrade's binary mode keeps the order. The rows are the
// same; ROW(t.*) and SELECT * differ. Each column's rank is where such a
// CREATE puts it (parent by inhseqno, then the parent's attnum; own columns
// last); a child qualifies when two columns are out of rank order.
constexpr const char kInheritedOrderQuery[] =
    "SELECT pg_catalog.format('%I.%I', n.nspname, c.relname)"
    "  FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
    " WHERE c.relkind = 'r' AND NOT c.relispartition"
    "   AND EXISTS (SELECT FROM pg_catalog.pg_inherits i WHERE i.inhrelid = c.oid)"
    "   AND EXISTS ("
    "     WITH cols AS ("
    "       SELECT a.attnum, COALESCE((SELECT pg_catalog.min(i.inhseqno::pg_catalog.int8 * 100000 + pa.attnum)"
    "                                    FROM pg_catalog.pg_inherits i JOIN pg_catalog.pg_attribute pa"
    "                                      ON pa.attrelid = i.inhparent"
    "                                   WHERE i.inhrelid = c.oid AND pa.attname = a.attname"
    "                                     AND NOT pa.attisdropped),"
    "                                  1000000000000 + a.attnum) AS rank"
    "         FROM pg_catalog.pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped)"
    "     SELECT FROM cols x, cols y WHERE x.attnum < y.attnum AND x.rank > y.rank)"
    " ORDER BY 1";

constexpr const char kLargeObjectsQuery[] = "SELECT count(*)::text FROM pg_catalog.pg_largeobject_metadata";

std::string list_text(const std::vector<std::string>& items, std::size_t max = 20) {
  std::string text;
  for (std::size_t i = 0; i < items.size() && i < max; i++) text += (i ? ", " : "") + items[i];
  if (items.size() > max) text += " and " + std::to_string(items.size() - max) + " more";
  return text;
}

// Fills `without_identity` with the tables init gives REPLICA IDENTITY FULL
// (scribe.auto_replica_identity on).
void validate_server(bool force, std::vector<Oid>& without_identity) {
  std::vector<std::string> problems;
  std::vector<std::string> fixes;
  bool logical = false;
  int slots_free = 0, senders = 0;
  std::string plugins;
  call_pg([&] {
    logical = XLogLogicalInfoActive();
    senders = max_wal_senders;
    LWLockAcquire(ReplicationSlotControlLock, LW_SHARED);
    for (int i = 0; i < max_replication_slots; i++)
      if (!ReplicationSlotCtl->replication_slots[i].in_use) slots_free++;
    LWLockRelease(ReplicationSlotControlLock);
    const char* opl = GetConfigOption("output_plugin_libraries", true, false);
    plugins = opl != nullptr ? opl : "*";
  });
  if (!logical) {
    problems.push_back("wal_level is not logical");
    fixes.push_back("set wal_level = logical in postgresql.conf and restart");
  }
  if (slots_free == 0) {
    problems.push_back("no free replication slot (max_replication_slots)");
    fixes.push_back("raise max_replication_slots (each backup needs one, two during scribe.new_chain())");
  }
  if (senders < 1) {
    problems.push_back("max_wal_senders is 0");
    fixes.push_back("set max_wal_senders to at least 2 and restart (the slot is created over a replication "
                    "connection)");
  }
  if (plugins != "*" && plugins.find("wal2sql") == std::string::npos) {
    problems.push_back("wal2sql is not in output_plugin_libraries");
    fixes.push_back("set output_plugin_libraries = '" + plugins + ", wal2sql' in postgresql.conf and reload");
  }
  if (!problems.empty())
    throw Error("55000", "the server is not configured for pg_scribe: " + list_text(problems),
                {}, "To fix: " + list_text(fixes) + ".");

  const auto offenders = spi_rows(kReplicaIdentityQuery, 3);
  if (!offenders.empty()) {
    std::string detail = "These tables cannot have their UPDATE and DELETE replayed:";
    std::string hint = "Add a primary key, or run:";
    for (std::size_t i = 0; i < offenders.size(); i++) {
      if (i < 50) {
        detail += "\n  " + offenders[i][0] + " (" + offenders[i][1] + ")";
        hint += "\n  ALTER TABLE " + offenders[i][0] + " REPLICA IDENTITY FULL;";
      }
    }
    if (offenders.size() > 50) detail += "\n  ... and " + std::to_string(offenders.size() - 50) + " more";
    // As for tables created later: FULL, set by init (give_full_identity).
    if (scribe::capture::auto_replica_identity_enabled()) {
      for (const auto& row : offenders) without_identity.push_back(static_cast<Oid>(std::stoul(row[2])));
      return;
    }
    if (!force)
      throw Error("55000", std::to_string(offenders.size()) + " table(s) have no usable replica identity", detail,
                  hint +
                      "\nOr SET scribe.auto_replica_identity = on (the default), and scribe.init() gives them "
                      "REPLICA IDENTITY FULL; or call scribe.init(..., force => true): their UPDATE and DELETE "
                      "are then not backed up (a comment in the backup marks each).");
    ereport(WARNING, (errmsg("%zu table(s) have no usable replica identity: their UPDATE and DELETE are not backed up",
                             offenders.size()),
                      errdetail_internal("%s", detail.c_str()), errhint("%s", hint.c_str())));
  }
  std::vector<std::string> unlogged;
  for (const auto& row : spi_rows(kUnloggedQuery, 1)) unlogged.push_back(row[0]);
  if (!unlogged.empty())
    ereport(WARNING, (errmsg("unlogged tables are not backed up: %s", list_text(unlogged).c_str()),
                      errdetail("Their changes are not in the WAL; the base dump holds their definition only."),
                      errhint("ALTER TABLE ... SET LOGGED to back them up.")));
  std::vector<std::string> reordered;
  for (const auto& row : spi_rows(kInheritedOrderQuery, 1)) reordered.push_back(row[0]);
  if (!reordered.empty())
    ereport(
        WARNING,
        (errmsg("a restore gives these inheritance children another column order: %s", list_text(reordered).c_str()),
         errdetail("Their parents gained columns after they were created, or they were attached with ALTER "
                   "TABLE ... INHERIT; a plain SQL dump (pg_dump, and the base of every chain) creates a child "
                   "with its inherited columns first, in the parents' order. Rows are the same; SELECT * and "
                   "ROW(t.*) list the columns in another order."),
         errhint("Name the columns in queries and INSERTs on these tables.")));
  const auto large_objects = spi_rows(kLargeObjectsQuery, 1);
  if (!large_objects.empty() && large_objects[0][0] != "0")
    ereport(WARNING, (errmsg("the database has %s large objects; changes to large objects are not backed up",
                             large_objects[0][0].c_str()),
                      errdetail("Logical decoding does not see large objects; the base dump holds them as they are "
                                "now."),
                      errhint("Store the data in bytea columns, or back large objects up separately.")));
}

bool has_control_chars(const std::string& s) {
  for (const unsigned char ch : s)
    if (ch < 0x20 || ch == 0x7f) return true;
  return false;
}

std::string real_path_of_existing_prefix(const std::string& path, std::string& missing_tail) {
  std::string existing = path;
  missing_tail.clear();
  while (!existing.empty() && existing != "/" && !path_exists(existing)) {
    const std::string parent = parent_directory(existing);
    missing_tail = existing.substr(parent == "/" ? 1 : parent.size() + 1) + (missing_tail.empty() ? "" : "/") +
                   missing_tail;
    existing = parent;
  }
  char resolved[PATH_MAX];
  if (::realpath(existing.c_str(), resolved) == nullptr)
    throw_io_error("resolve path", existing, errno);
  return resolved;
}

// Whose backup a scribe.json describes, for a DETAIL.
std::string owner_detail(const std::string& owner) {
  try {
    const JsonValue doc = parse_json(read_small_file(owner, 1 << 20));
    return "It belongs to the backup of database \"" + doc.string_at("database") + "\" (slot \"" +
           doc.string_at("slot") + "\") of the cluster with system identifier " + doc.string_at("system_identifier") +
           ".";
  } catch (const std::exception&) {
    return "It holds a pg_scribe backup.";
  }
}

// Checks the backup directory and creates it (and its missing parents).
// Returns the directories it created, innermost last.
std::vector<std::string> prepare_backup_dir(const std::string& dir, bool create) {
  if (dir.empty() || dir[0] != '/')
    throw Error("22023", "backup directory \"" + dir + "\" is not an absolute path", {},
                "Give a full path such as '/var/backups/pg_scribe/mydb'.");
  if (has_control_chars(dir))
    throw Error("22023", "backup directory name contains control characters", {}, "Choose a plain path.");
  std::size_t start = 0;
  while (start <= dir.size()) {
    std::size_t end = dir.find('/', start);
    if (end == std::string::npos) end = dir.size();
    const std::string part = dir.substr(start, end - start);
    if (part == "." || part == "..")
      throw Error("22023", "backup directory \"" + dir + "\" contains a \".\" or \"..\" component", {},
                  "Give the path without . or .. components.");
    start = end + 1;
  }
  std::string tail;
  const std::string resolved = real_path_of_existing_prefix(dir, tail);
  const std::string full = tail.empty() ? resolved : join_path(resolved, tail);
  char data_dir[PATH_MAX];
  if (::realpath(DataDir, data_dir) == nullptr) throw_io_error("resolve path", DataDir, errno);
  const std::string data(data_dir);
  if (full == data || full.rfind(data + "/", 0) == 0 || data.rfind(full + "/", 0) == 0)
    throw Error("22023", "backup directory \"" + dir + "\" overlaps the data directory",
                "It resolves to \"" + full + "\"; the data directory is \"" + data + "\".",
                "Keep backups outside the data directory, preferably on another disk.");
  // A backup inside another one (at any depth) would be taken for part of
  // it: a directory named chain-<later timestamp> there becomes that
  // backup's latest chain, which --restore picks and --verify fails.
  for (std::string above = parent_directory(full);; above = parent_directory(above)) {
    if (path_exists(join_path(above, std::string(kOwnerFileName))))
      throw Error("55000", "backup directory \"" + dir + "\" is inside the pg_scribe backup directory \"" + above + "\"",
                  owner_detail(join_path(above, std::string(kOwnerFileName))),
                  "Give each backup its own directory, outside the others.");
    if (above == "/" || above == ".") break;
  }
  if (tail.empty()) {
    if (!is_directory(full))
      throw Error("22023", "\"" + dir + "\" exists and is not a directory", {},
                  "Give the path of a directory, new or empty.");
    const std::vector<std::string> names = list_directory(full);
    if (!names.empty()) {
      const std::string owner = join_path(full, std::string(kOwnerFileName));
      if (path_exists(owner))
        throw Error("55000", "backup directory \"" + dir + "\" is used by another pg_scribe backup", owner_detail(owner),
                    "Give each backup its own directory.");
      throw Error("55000", "backup directory \"" + dir + "\" is not empty", {},
                  "Give an empty or new directory (like initdb and pg_basebackup, pg_scribe does not write into a "
                  "directory with other files).");
    }
    return {};
  }
  std::vector<std::string> created;
  if (!create) return created;
  std::string path = resolved;
  std::size_t pos = 0;
  while (pos <= tail.size()) {
    std::size_t end = tail.find('/', pos);
    if (end == std::string::npos) end = tail.size();
    path = join_path(path, tail.substr(pos, end - pos));
    make_directory(path);
    created.push_back(path);
    pos = end + 1;
  }
  fsync_directory(parent_directory(created.front()));
  return created;
}

std::string owner_json(const std::string& slot) {
  JsonWriter w;
  w.begin_object();
  w.key("format");
  w.value("pg_scribe backup 1");
  w.key("system_identifier");
  w.value(std::to_string(GetSystemIdentifier()));
  w.key("database");
  w.value(current_database_name());
  w.key("database_oid");
  w.value(static_cast<std::uint64_t>(MyDatabaseId));
  w.key("slot");
  w.value(slot);
  w.key("created_at");
  w.value(now_iso());
  w.end_object();
  return w.str();
}

void validate_slot_name(const std::string& slot) {
  call_pg([&] { (void)ReplicationSlotValidateName(slot.c_str(), ERROR); });
  bool exists = false;
  call_pg([&] { exists = SearchNamedReplicationSlot(slot.c_str(), true) != nullptr; });
  if (exists)
    throw Error("42710", "replication slot \"" + slot + "\" already exists", {},
                "Choose another slot_name, or drop the slot if nothing uses it.");
}

CompressionSpec compression_arg(const std::string& text) { return parse_compression_spec(text); }

// Undo of init: everything it created, in reverse.
struct InitUndo {
  bool armed = true;
  std::vector<std::string> created_dirs;
  std::string owner_file;
  bool config_saved = false;
  ~InitUndo() {
    if (!armed) return;
    if (config_saved) {
      try {
        remove_config(MyDatabaseId);
        stop_worker(MyDatabaseId);
      } catch (const std::exception& e) {
        ereport(WARNING, (errmsg("pg_scribe: cleanup after the failed init: %s", e.what())));
      }
    }
    remove_files();
  }
  void remove_files() {
    try {
      if (!owner_file.empty()) remove_file(owner_file);
      for (auto it = created_dirs.rbegin(); it != created_dirs.rend(); ++it) remove_tree(*it);
    } catch (const std::exception& e) {
      ereport(WARNING, (errmsg("pg_scribe: cleanup after the failed init: %s", e.what())));
    }
  }
  // A session ended by FATAL before the configuration was saved leaves no
  // owner file behind either (the base's slot and chain are take_base's).
  // Once it is saved, the backup exists: the worker streams it.
  ExitUndo on_exit{[this] {
    if (armed && !config_saved) remove_files();
  }};
};

RequestResult send_request(RequestKind kind, const std::string& chain_id = {}, const std::string& slot = {},
                           const std::string& compression = {}, XLogRecPtr switch_lsn = InvalidXLogRecPtr) {
  std::uint64_t seq = 0;
  Latch* latch = nullptr;
  LWLockAcquire(shared->lock, LW_EXCLUSIVE);
  DatabaseEntry* e = find_entry(MyDatabaseId, false);
  if (e == nullptr || e->worker_pid == 0) {
    LWLockRelease(shared->lock);
    throw Error("55000", "the pg_scribe worker of database \"" + current_database_name() + "\" is not running", {},
                "See scribe.status; run SELECT scribe.start();");
  }
  e->request = kind;
  snprintf(e->switch_chain_id, sizeof e->switch_chain_id, "%s", chain_id.c_str());
  snprintf(e->switch_slot, sizeof e->switch_slot, "%s", slot.c_str());
  snprintf(e->switch_compression, sizeof e->switch_compression, "%s", compression.c_str());
  e->switch_lsn = switch_lsn;
  seq = ++e->request_seq;
  latch = e->worker_latch;
  LWLockRelease(shared->lock);
  if (latch != nullptr) SetLatch(latch);
  RequestResult result;
  struct CancelSleep {
    ~CancelSleep() { ConditionVariableCancelSleep(); }
  } cancel_sleep;
  ConditionVariablePrepareToSleep(&e->request_done);
  for (;;) {
    bool done, taken;
    pid_t pid;
    LWLockAcquire(shared->lock, LW_SHARED);
    done = e->done_seq >= seq;
    taken = e->taken_seq >= seq;
    pid = e->worker_pid;
    if (done) result = e->result;
    LWLockRelease(shared->lock);
    if (done) break;
    if (pid == 0) {
      // Withdraw the request: a restarted worker must not act on it later.
      LWLockAcquire(shared->lock, LW_EXCLUSIVE);
      if (e->request_seq == seq) e->done_seq = seq;
      LWLockRelease(shared->lock);
      throw Error("55000", "the pg_scribe worker exited before it answered", {},
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
      LWLockAcquire(shared->lock, LW_EXCLUSIVE);
      if (e->taken_seq < seq) {
        if (e->done_seq < seq) e->done_seq = seq;
        if (e->request_seq == seq) e->request = RequestKind::kNone;
        withdrawn = true;
      }
      LWLockRelease(shared->lock);
      if (withdrawn) throw;
    }
  }
  if (!result.ok) throw Error(result.sqlstate[0] ? result.sqlstate : "XX000", result.message, {}, result.hint);
  return result;
}

void set_decode_limit(XLogRecPtr limit) {
  LWLockAcquire(shared->lock, LW_EXCLUSIVE);
  if (DatabaseEntry* e = find_entry(MyDatabaseId, false)) e->decode_limit = limit;
  LWLockRelease(shared->lock);
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
    throw Error("22004", std::string("argument ") + name + " must not be null");
  std::string value;
  call_pg([&] { value = text_to_cstring(PG_GETARG_TEXT_PP(n)); });
  return value;
}

// init with scribe.auto_replica_identity on: REPLICA IDENTITY FULL for the
// tables that had no usable one, as for tables that lose it later.
void give_full_identity(const std::vector<Oid>& tables) {
  if (tables.empty()) return;
  std::vector<std::string> names;
  call_pg([&] {
    for (const Oid relid : tables) {
      Relation rel = try_relation_open(relid, AccessExclusiveLock);
      if (rel == nullptr) continue;
      if (rel->rd_rel->relreplident != REPLICA_IDENTITY_FULL && !OidIsValid(RelationGetReplicaIndex(rel))) {
        scribe::capture::give_full_replica_identity(rel);
        names.emplace_back(
            quote_qualified_identifier(get_namespace_name(RelationGetNamespace(rel)), RelationGetRelationName(rel)));
      }
      relation_close(rel, NoLock);
    }
  });
  if (names.empty()) return;
  ereport(WARNING, (errmsg("pg_scribe set REPLICA IDENTITY FULL on %zu table(s) without a usable replica identity: %s",
                           names.size(), list_text(names).c_str()),
                    errdetail("Without one their UPDATE and DELETE could not be replayed from the backup "
                              "(scribe.auto_replica_identity is on)."),
                    errhint("Give them primary keys (then ALTER TABLE ... REPLICA IDENTITY DEFAULT) to make their "
                            "changes smaller in the WAL and faster to replay.")));
}

// ---- the functions

Datum init(FunctionCallInfo fcinfo) {
  require_preloaded();
  require_writer("scribe.init()");
  require_primary("scribe.init()");
  const std::string backup_dir = text_arg(fcinfo, 0, "backup_dir");
  if (PG_ARGISNULL(1)) throw Error("22004", "argument slot_name must not be null");
  const std::string slot = NameStr(*PG_GETARG_NAME(1));
  const std::string compression_text = text_arg(fcinfo, 2, "compression");
  const bool force = !PG_ARGISNULL(3) && PG_GETARG_BOOL(3);
  // The fifth argument, from 0.3 on: the object-store repository.
  const std::string repository = PG_NARGS() > 4 && !PG_ARGISNULL(4) ? text_arg(fcinfo, 4, "repository") : "";
  if (!repository.empty()) scribe::uploader::check_repository(repository);
  require_own_transaction("scribe.init()");
  const CompressionSpec compression = compression_arg(compression_text);
  lock_api();
  if (std::optional<BackupConfig> existing = load_config(MyDatabaseId))
    throw Error("42710", "database \"" + current_database_name() + "\" is already backed up by pg_scribe",
                "Its backup directory is \"" + existing->backup_dir + "\".",
                "Use scribe.new_chain() for a fresh base, or scribe.teardown() first.");
  (void)prepare_backup_dir(backup_dir, false);
  validate_slot_name(slot);
  std::vector<Oid> without_identity;
  validate_server(force, without_identity);

  InitUndo undo;
  undo.created_dirs = prepare_backup_dir(backup_dir, true);
  const std::string owner = join_path(backup_dir, std::string(kOwnerFileName));
  undo.owner_file = owner;
  write_file_atomically(owner, owner_json(slot));

  BaseRequest request;
  request.backup_dir = backup_dir;
  request.chain_id = utc_name_timestamp(static_cast<std::int64_t>(std::time(nullptr)));
  request.slot = slot;
  request.compression = compression;
  // Tables without a usable replica identity get FULL once the base is
  // dumped: not before the slot, whose creation waits for every transaction
  // that wrote (this one too), nor during pg_dump, whose ACCESS SHARE lock
  // the ALTER's conflicts with. From the slot on, EXCLUSIVE mode (which
  // pg_dump's lock passes) holds back their writers, whose changes would
  // otherwise reach the slot unidentifiable; the ALTER is in the stream.
  request.on_slot_created = [&](XLogRecPtr) {
    call_pg([&] {
      for (const Oid relid : without_identity) LockRelationOid(relid, ExclusiveLock);
    });
  };
  const BaseResult base = take_base(request);
  give_full_identity(without_identity);
  // The slot now exists; from here a failure must drop it too.
  struct SlotUndo {
    const std::string& slot;
    bool armed = true;
    ~SlotUndo() {
      if (!armed) return;
      try {
        drop_slot_if_exists(slot);
      } catch (const std::exception& e) {
        ereport(WARNING, (errmsg("pg_scribe: could not drop slot \"%s\": %s", slot.c_str(), e.what())));
      }
    }
  } slot_undo{slot};

  BackupConfig config;
  config.database = MyDatabaseId;
  config.backup_dir = backup_dir;
  config.slot = slot;
  config.slot_base = slot;
  config.compression = to_string(compression);
  config.chain_id = request.chain_id;
  config.repository = repository;
  save_config(config);
  undo.config_saved = true;
  start_worker(MyDatabaseId);
  if (!repository.empty()) scribe::uploader::ensure_running();
  undo.armed = false;
  slot_undo.armed = false;

  const std::string lsn = lsn_text(base.start_lsn);
  return tuple_of(fcinfo, {request.chain_id.c_str(), base.chain_dir.c_str(), slot.c_str(), lsn.c_str()});
}

Datum start(FunctionCallInfo) {
  require_preloaded();
  require_writer("scribe.start()");
  require_primary("scribe.start()");
  lock_api();
  BackupConfig config = require_config("scribe.start()");
  require_usable_slot(config, "scribe.start()");
  if (config.enabled && worker_running(MyDatabaseId)) {
    ereport(NOTICE, (errmsg("the backup of database \"%s\" is already streaming", current_database_name().c_str())));
    return BoolGetDatum(false);
  }
  config.enabled = true;
  save_config(config);
  start_worker(MyDatabaseId);
  return BoolGetDatum(true);
}

Datum stop(FunctionCallInfo) {
  require_preloaded();
  require_writer("scribe.stop()");
  lock_api();
  BackupConfig config = require_config("scribe.stop()");
  const bool was_running = worker_running(MyDatabaseId);
  config.enabled = false;
  save_config(config);
  stop_worker(MyDatabaseId);
  return BoolGetDatum(was_running);
}

Datum rotate_diff(FunctionCallInfo fcinfo) {
  require_preloaded();
  require_writer("scribe.rotate_diff()");
  require_primary("scribe.rotate_diff()");
  lock_api();
  (void)require_streaming("scribe.rotate_diff()");
  emit_globals_sync_point();
  const RequestResult r = send_request(RequestKind::kRotate);
  const std::string first = lsn_text(r.start_lsn), last = lsn_text(r.end_lsn);
  const std::string transactions = std::to_string(r.transactions), bytes = std::to_string(r.bytes);
  return tuple_of(fcinfo, {r.diff_file, first.c_str(), last.c_str(), transactions.c_str(), bytes.c_str(), r.sha256});
}

// The next chain of `config`'s backup: an id after the current one (and
// after any chain directory already there) and its slot.
BaseRequest next_chain_request(const BackupConfig& config, const CompressionSpec& compression) {
  BaseRequest request;
  request.backup_dir = config.backup_dir;
  request.chain_id = next_name_timestamp(static_cast<std::int64_t>(std::time(nullptr)), config.chain_id);
  while (path_exists(join_path(config.backup_dir, chain_dir_name(request.chain_id))))
    request.chain_id = next_name_timestamp(static_cast<std::int64_t>(std::time(nullptr)), request.chain_id);
  request.slot = derived_slot_name(config.slot_base, request.chain_id);
  validate_slot_name(request.slot);
  request.compression = compression;
  return request;
}

// new_chain() for a chain that cannot continue because its slot is gone (a
// promoted standby that had no synced copy of it, a slot dropped by hand).
// The chain ends where its files end (nothing can seal it: the
// worker cannot stream it); a new chain with a new base starts in the same
// backup directory, and a restore takes the newest chain.
Datum start_over(FunctionCallInfo fcinfo, const BackupConfig& config) {
  const CompressionSpec compression =
      compression_arg(PG_ARGISNULL(0) ? config.compression : text_arg(fcinfo, 0, "compression"));
  // The worker, in its back-off, must not open the old chain meanwhile.
  BackupConfig stopped = config;
  stopped.enabled = false;
  save_config(stopped);
  struct ConfigUndo {
    const BackupConfig& config;
    bool armed = true;
    ~ConfigUndo() {
      if (!armed) return;
      try {
        save_config(config);
      } catch (const std::exception& e) {
        ereport(WARNING, (errmsg("pg_scribe: could not restore the configuration: %s", e.what())));
      }
    }
  } config_undo{config};
  stop_worker(MyDatabaseId);
  remove_abandoned_chains(config.backup_dir, config.chain_id, config.slot, config.slot_base);
  BaseRequest request = next_chain_request(config, compression);
  (void)take_base(request);
  BackupConfig next = config;
  next.chain_id = request.chain_id;
  next.slot = request.slot;
  next.compression = to_string(compression);
  next.enabled = true;
  save_config(next);
  config_undo.armed = false;
  start_worker(MyDatabaseId);
  ereport(NOTICE, (errmsg("chain %s could not continue; chain %s starts with a new base", config.chain_id.c_str(),
                          request.chain_id.c_str()),
                   errdetail("The files of chain %s restore the database as it was up to where they end.",
                             config.chain_id.c_str())));
  Datum d;
  call_pg([&] { d = CStringGetTextDatum(request.chain_id.c_str()); });
  return d;
}

Datum new_chain(FunctionCallInfo fcinfo) {
  require_preloaded();
  require_writer("scribe.new_chain()");
  require_primary("scribe.new_chain()");
  require_own_transaction("scribe.new_chain()");
  lock_api();
  // A lost slot (max_slot_wal_keep_size) keeps its error below: its way out
  // is a new backup directory (tests/reliability/slot_lost.sh).
  if (std::optional<BackupConfig> broken = load_config(MyDatabaseId);
      broken && slot_condition(*broken) == SlotCondition::kMissing)
    return start_over(fcinfo, *broken);
  const BackupConfig config = require_streaming("scribe.new_chain()");
  // What an earlier call left when a crash interrupted it (the worker
  // removes it too when it starts; it may not have restarted since).
  remove_abandoned_chains(config.backup_dir, config.chain_id, config.slot, config.slot_base);
  const CompressionSpec compression =
      compression_arg(PG_ARGISNULL(0) ? config.compression : text_arg(fcinfo, 0, "compression"));
  BaseRequest request = next_chain_request(config, compression);
  XLogRecPtr switch_lsn = InvalidXLogRecPtr;
  // The worker must not decode past the new slot's start: hold it at the
  // current flush position (which precedes that start) until we know it.
  struct LimitUndo {
    bool armed = true;
    // Once the switch request is in shared memory, the worker acts on it
    // (and lifts the limit itself) even if this session is gone.
    bool request_sent = false;
    ~LimitUndo() {
      if (armed) set_decode_limit(InvalidXLogRecPtr);
    }
    // A session ended by FATAL (pg_terminate_backend) before the request
    // was sent must not leave the worker held at the new slot's start.
    ExitUndo on_exit{[this] {
      if (armed && !request_sent) set_decode_limit(InvalidXLogRecPtr);
    }};
  } limit_undo;
  TimeLineID tli;
  set_decode_limit(GetFlushRecPtr(&tli));
  request.on_slot_created = [&](XLogRecPtr lsn) {
    switch_lsn = lsn;
    set_decode_limit(lsn);
  };
  const BaseResult base = take_base(request);
  limit_undo.request_sent = true;
  try {
    (void)send_request(RequestKind::kSwitchChain, request.chain_id, request.slot, to_string(compression),
                       switch_lsn);
  } catch (...) {
    // The worker did not take the new chain (it still has the old one in
    // its configuration): remove what this call made.
    std::optional<BackupConfig> now = load_config(MyDatabaseId);
    if (now && now->chain_id == config.chain_id) {
      try {
        drop_slot_if_exists(request.slot);
        remove_tree(base.chain_dir);
      } catch (const std::exception& e) {
        ereport(WARNING, (errmsg("pg_scribe: cleanup after the failed new_chain: %s", e.what())));
      }
    }
    throw;
  }
  limit_undo.armed = false;
  const std::string result = request.chain_id;
  Datum d;
  call_pg([&] { d = CStringGetTextDatum(result.c_str()); });
  return d;
}

Datum teardown(FunctionCallInfo fcinfo) {
  require_preloaded();
  require_writer("scribe.teardown()");
  require_primary("scribe.teardown()");
  const bool drop_slot = PG_ARGISNULL(0) || PG_GETARG_BOOL(0);
  lock_api();
  const BackupConfig config = require_config("scribe.teardown()");
  // Without its configuration a restarting worker exits for good.
  remove_config(MyDatabaseId);
  stop_worker(MyDatabaseId);
  if (drop_slot) drop_slot_if_exists(config.slot);
  LWLockAcquire(shared->lock, LW_EXCLUSIVE);
  if (DatabaseEntry* e = find_entry(MyDatabaseId, false)) e->in_use = false;
  LWLockRelease(shared->lock);
  ereport(NOTICE, (errmsg("pg_scribe stopped backing up database \"%s\"; the files in \"%s\" were kept",
                          current_database_name().c_str(), config.backup_dir.c_str())));
  return BoolGetDatum(true);
}

std::string timestamp_text(TimestampTz t) {
  if (t == 0) return {};
  char buf[kTimestampTextSize];
  format_utc_timestamp(t, buf);
  return buf;
}

}  // namespace

void emit_text_rows(FunctionCallInfo fcinfo, const std::vector<std::vector<std::string>>& rows) {
  call_pg([&] {
    InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC);
    auto* rsinfo = reinterpret_cast<ReturnSetInfo*>(fcinfo->resultinfo);
    AttInMetadata* meta = TupleDescGetAttInMetadata(rsinfo->setDesc);
    for (const auto& row : rows) {
      std::vector<char*> values;
      for (const std::string& v : row) values.push_back(v.empty() ? nullptr : const_cast<char*>(v.c_str()));
      tuplestore_puttuple(rsinfo->setResult, BuildTupleFromCStrings(meta, values.data()));
    }
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
  throw Error("55006", "cannot drop pg_scribe while database \"" + current_database_name() + "\" is backed up",
              "Its slot \"" + config->slot + "\" would stay behind and retain WAL.",
              "Run SELECT scribe.teardown(); first.");
}

}  // namespace scribe::engine

using namespace scribe::engine;

SCRIBE_SQL_FUNCTION(scribe_init, init)

SCRIBE_SQL_FUNCTION(scribe_start, start)

SCRIBE_SQL_FUNCTION(scribe_stop, stop)

SCRIBE_SQL_FUNCTION(scribe_rotate_diff, rotate_diff)

SCRIBE_SQL_FUNCTION(scribe_new_chain, new_chain)

SCRIBE_SQL_FUNCTION(scribe_teardown, teardown)

// One row per configured database: the configuration file and, when its
// worker runs, the shared-memory state. All text; the view casts.
Datum scribe_status_rows(PG_FUNCTION_ARGS) {
  scribe::pg::run_entry([&] {
    require_preloaded();
    std::vector<std::vector<std::string>> rows;
    for (const BackupConfig& config : load_all_configs()) {
      DatabaseEntry copy;
      std::memset(static_cast<void*>(&copy), 0, sizeof copy);
      bool found = false;
      LWLockAcquire(shared->lock, LW_SHARED);
      if (DatabaseEntry* e = find_entry(config.database, false)) {
        std::memcpy(static_cast<void*>(&copy), e, sizeof copy);
        found = true;
      }
      LWLockRelease(shared->lock);
      std::string dbname;
      call_pg([&] {
        const char* n = get_database_name(config.database);
        dbname = n != nullptr ? n : "";
      });
      const bool running = found && copy.worker_pid != 0;
      std::string state = !found ? "stopped" : worker_state_name(copy.state);
      if (!running && state != "error") state = "stopped";
      rows.push_back({dbname, std::to_string(config.database), config.slot,
                      running ? std::to_string(copy.worker_pid) : "", state, found ? copy.last_error : "",
                      found ? timestamp_text(copy.last_error_at) : "", config.backup_dir,
                      found && copy.chain_id[0] ? copy.chain_id : config.chain_id, config.compression,
                      found ? std::to_string(copy.active_bytes) : "",
                      found && copy.written_lsn != 0 ? lsn_text(copy.written_lsn) : "",
                      found ? timestamp_text(copy.caught_up_at) : "", found ? timestamp_text(copy.last_rotation) : "",
                      found ? std::to_string(copy.diffs_in_chain) : "", config.enabled ? "true" : "false"});
    }
    emit_text_rows(fcinfo, rows);
  });
  return static_cast<Datum>(0);
}

// Every chain and file of a backup directory, from the manifests.
Datum scribe_chain_files(PG_FUNCTION_ARGS) {
  scribe::pg::run_entry([&] {
    require_preloaded();
    std::string dir;
    if (!PG_ARGISNULL(0)) {
      call_pg([&] { dir = text_to_cstring(PG_GETARG_TEXT_PP(0)); });
    } else {
      std::optional<BackupConfig> config = load_config(MyDatabaseId);
      if (!config)
        throw scribe::Error("55000", "database has no pg_scribe backup", {},
                            "Pass the backup directory: SELECT * FROM scribe.chains('/path/to/backup');");
      dir = config->backup_dir;
    }
    bool allowed = false;
    call_pg([&] {
      allowed = superuser() || has_privs_of_role(GetUserId(), ROLE_PG_READ_SERVER_FILES) ||
                has_privs_of_role(GetUserId(), ROLE_PG_MONITOR);
    });
    if (!allowed)
      throw scribe::Error("42501", "permission denied for scribe.chains()", {},
                          "Only superusers and members of pg_read_server_files or pg_monitor may list backups.");
    // Like scribe.init(): a relative path would be read from the data
    // directory, the server's working directory.
    if (dir.empty() || dir[0] != '/')
      throw scribe::Error("22023", "backup directory \"" + dir + "\" is not an absolute path", {},
                          "Give a full path such as '/var/backups/pg_scribe/mydb', or none for this database's backup.");
    std::vector<std::vector<std::string>> rows;
    for (const std::string& name : scribe::list_directory(dir)) {
      const std::optional<std::string> id = scribe::chain_id_from_dir_name(name);
      if (!id) continue;
      const std::string chain_dir = scribe::join_path(dir, name);
      scribe::Manifest m;
      try {
        m = scribe::load_manifest(chain_dir);
      } catch (const std::exception& e) {
        rows.push_back({*id, "manifest.json", "damaged", "", "", "", "", "", "", "", "", e.what()});
        continue;
      }
      const std::string start = lsn_text(m.start_lsn);
      rows.push_back({*id, m.base.file, "base", std::to_string(m.base.bytes), start, start, "", "", "",
                      m.base.sha256, m.base.compression, ""});
      rows.push_back({*id, m.globals.file, "globals", std::to_string(m.globals.bytes), "", "", "", "", "",
                      m.globals.sha256, m.globals.compression, ""});
      for (const scribe::SealedDiff& d : m.diffs)
        rows.push_back({*id, d.stored.file, "diff", std::to_string(d.stored.bytes), lsn_text(d.start_lsn),
                        lsn_text(d.end_lsn), std::to_string(d.transactions), d.first_commit_time, d.last_commit_time,
                        d.stored.sha256, d.stored.compression, ""});
      const std::string active = scribe::join_path(chain_dir, std::string(scribe::kActiveFileName));
      struct stat st;
      if (::stat(active.c_str(), &st) == 0)
        rows.push_back({*id, std::string(scribe::kActiveFileName), "active", std::to_string(st.st_size),
                        lsn_text(m.stream_position()), "", "", "", "", "", "none", ""});
      if (m.closed) rows.back().back() = "closed; continued by chain " + m.next_chain;
    }
    emit_text_rows(fcinfo, rows);
  });
  return static_cast<Datum>(0);
}
