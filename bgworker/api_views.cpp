// The rows of the scribe.status and scribe.chains views.
#include <cstring>
#include <string>
#include <vector>

#include <sys/stat.h>

#include "scribe/core/chain_files.hpp"
#include "scribe/core/error.hpp"
#include "scribe/core/fileio.hpp"
#include "api_internal.hpp"

extern "C" {
#include "catalog/pg_authid_d.h"
#include "commands/dbcommands.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"

PGDLLEXPORT Datum scribe_status_rows(PG_FUNCTION_ARGS);
PGDLLEXPORT Datum scribe_chain_files(PG_FUNCTION_ARGS);
PG_FUNCTION_INFO_V1(scribe_status_rows);
PG_FUNCTION_INFO_V1(scribe_chain_files);
}

namespace scribe::engine::api {

namespace {

// One row per configured database: the configuration file and, when its
// worker runs, the shared-memory state. All text; the view casts.
Datum status_rows(FunctionCallInfo fcinfo) {
  require_preloaded();
  std::vector<std::vector<std::string>> rows;
  for (const BackupConfig& config : load_all_configs()) {
    DatabaseEntry copy;
    std::memset(static_cast<void*>(&copy), 0, sizeof copy);
    bool found = false;
    {
      LWLockGuard lock(shared->lock, LW_SHARED);
      if (DatabaseEntry* e = find_entry(config.database, false)) {
        std::memcpy(static_cast<void*>(&copy), e, sizeof copy);
        found = true;
      }
    }
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
  return static_cast<Datum>(0);
}

// Every chain and file of a backup directory, from the manifests.
Datum chain_files(FunctionCallInfo fcinfo) {
  require_preloaded();
  std::string dir;
  if (!PG_ARGISNULL(0)) {
    call_pg([&] { dir = text_to_cstring(PG_GETARG_TEXT_PP(0)); });
  } else {
    std::optional<BackupConfig> config = load_config(MyDatabaseId);
    if (!config)
      throw scribe::Error(sqlstate::kObjectNotInPrerequisiteState, "database has no pg_scribe backup", {},
                          "Pass the backup directory: SELECT * FROM scribe.chains('/path/to/backup');");
    dir = config->backup_dir;
  }
  bool allowed = false;
  call_pg([&] {
    allowed = superuser() || has_privs_of_role(GetUserId(), ROLE_PG_READ_SERVER_FILES) ||
              has_privs_of_role(GetUserId(), ROLE_PG_MONITOR);
  });
  if (!allowed)
    throw scribe::Error(sqlstate::kInsufficientPrivilege, "permission denied for scribe.chains()", {},
                        "Only superusers and members of pg_read_server_files or pg_monitor may list backups.");
  // Like scribe.init(): a relative path would be read from the data
  // directory, the server's working directory.
  if (dir.empty() || dir[0] != '/')
    throw scribe::Error(sqlstate::kInvalidParameterValue, "backup directory \"" + dir + "\" is not an absolute path",
                        {},
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
    rows.push_back({*id, m.base.file, "base", std::to_string(m.base.bytes), start, start, "", "", "", m.base.sha256,
                    m.base.compression, ""});
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
  return static_cast<Datum>(0);
}

}  // namespace

}  // namespace scribe::engine::api

SCRIBE_SQL_FUNCTION(scribe_status_rows, scribe::engine::api::status_rows)

SCRIBE_SQL_FUNCTION(scribe_chain_files, scribe::engine::api::chain_files)
