// scribe.init(): checks the backup directory, creates it, takes the first
// base and starts the worker; undone on every failure.
// nlohmann/json before the server headers that other headers bring
// (postgres.h redefines snprintf).
#include "scribe/core/strict_json.hpp"

#include <ctime>
#include <string>
#include <vector>

#include <climits>
#include <cstdlib>

#include "base.hpp"
#include "../scribe/ddl_capture.hpp"
#include "scribe/core/chain_files.hpp"
#include "scribe/core/error.hpp"
#include "scribe/core/fileio.hpp"
#include "api_internal.hpp"
#include "uploader.hpp"

extern "C" {
#include "access/relation.h"
#include "miscadmin.h"
#include "storage/lmgr.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

PGDLLEXPORT Datum scribe_init(PG_FUNCTION_ARGS);
PG_FUNCTION_INFO_V1(scribe_init);
}

namespace scribe::engine::api {

namespace {

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
    missing_tail =
        existing.substr(parent == "/" ? 1 : parent.size() + 1) + (missing_tail.empty() ? "" : "/") + missing_tail;
    existing = parent;
  }
  char resolved[PATH_MAX];
  if (::realpath(existing.c_str(), resolved) == nullptr) throw_io_error("resolve path", existing, errno);
  return resolved;
}

// Whose backup a scribe.json describes, for a DETAIL.
std::string owner_detail(const std::string& owner) {
  try {
    const Json doc = parse_json(read_small_file(owner, 1 << 20));
    return "It belongs to the backup of database \"" + json_string_at(doc, "database") + "\" (slot \"" +
           json_string_at(doc, "slot") + "\") of the cluster with system identifier " +
           json_string_at(doc, "system_identifier") + ".";
  } catch (const std::exception&) {
    return "It holds a pg_scribe backup.";
  }
}

// Checks the backup directory and creates it (and its missing parents).
// Returns the directories it created, innermost last.
std::vector<std::string> prepare_backup_dir(const std::string& dir, bool create) {
  if (dir.empty() || dir[0] != '/')
    throw Error(sqlstate::kInvalidParameterValue, "backup directory \"" + dir + "\" is not an absolute path", {},
                "Give a full path such as '/var/backups/pg_scribe/mydb'.");
  if (has_control_chars(dir))
    throw Error(sqlstate::kInvalidParameterValue, "backup directory name contains control characters", {},
                "Choose a plain path.");
  std::size_t start = 0;
  while (start <= dir.size()) {
    std::size_t end = dir.find('/', start);
    if (end == std::string::npos) end = dir.size();
    const std::string part = dir.substr(start, end - start);
    if (part == "." || part == "..")
      throw Error(sqlstate::kInvalidParameterValue,
                  "backup directory \"" + dir + "\" contains a \".\" or \"..\" component", {},
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
    throw Error(sqlstate::kInvalidParameterValue, "backup directory \"" + dir + "\" overlaps the data directory",
                "It resolves to \"" + full + "\"; the data directory is \"" + data + "\".",
                "Keep backups outside the data directory, preferably on another disk.");
  // A backup inside another one (at any depth) would be taken for part of
  // it: a directory named chain-<later timestamp> there becomes that
  // backup's latest chain, which --restore picks and --verify fails.
  for (std::string above = parent_directory(full);; above = parent_directory(above)) {
    if (path_exists(join_path(above, std::string(kOwnerFileName))))
      throw Error(sqlstate::kObjectNotInPrerequisiteState,
                  "backup directory \"" + dir + "\" is inside the pg_scribe backup directory \"" + above + "\"",
                  owner_detail(join_path(above, std::string(kOwnerFileName))),
                  "Give each backup its own directory, outside the others.");
    if (above == "/" || above == ".") break;
  }
  if (tail.empty()) {
    if (!is_directory(full))
      throw Error(sqlstate::kInvalidParameterValue, "\"" + dir + "\" exists and is not a directory", {},
                  "Give the path of a directory, new or empty.");
    const std::vector<std::string> names = list_directory(full);
    if (!names.empty()) {
      const std::string owner = join_path(full, std::string(kOwnerFileName));
      if (path_exists(owner))
        throw Error(sqlstate::kObjectNotInPrerequisiteState,
                    "backup directory \"" + dir + "\" is used by another pg_scribe backup", owner_detail(owner),
                    "Give each backup its own directory.");
      throw Error(sqlstate::kObjectNotInPrerequisiteState, "backup directory \"" + dir + "\" is not empty", {},
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
  return write_json({{"format", "pg_scribe backup 1"},
                     {"system_identifier", std::to_string(GetSystemIdentifier())},
                     {"database", current_database_name()},
                     {"database_oid", static_cast<std::uint64_t>(MyDatabaseId)},
                     {"slot", slot},
                     {"created_at", now_iso()}});
}

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

Datum init(FunctionCallInfo fcinfo) {
  require_preloaded();
  require_writer("scribe.init()");
  require_primary("scribe.init()");
  const std::string backup_dir = text_arg(fcinfo, 0, "backup_dir");
  if (PG_ARGISNULL(1)) throw Error(sqlstate::kNullValueNotAllowed, "argument slot_name must not be null");
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
    throw Error(sqlstate::kDuplicateObject,
                "database \"" + current_database_name() + "\" is already backed up by pg_scribe",
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

}  // namespace

}  // namespace scribe::engine::api

SCRIBE_SQL_FUNCTION(scribe_init, scribe::engine::api::init)
