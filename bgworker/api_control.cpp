// scribe.start(), scribe.stop(), scribe.rotate_diff() and
// scribe.teardown().
#include <string>

#include "base.hpp"
#include "globals_sync.hpp"
#include "scribe/core/error.hpp"
#include "api_internal.hpp"

extern "C" {
#include "miscadmin.h"

PGDLLEXPORT Datum scribe_start(PG_FUNCTION_ARGS);
PGDLLEXPORT Datum scribe_stop(PG_FUNCTION_ARGS);
PGDLLEXPORT Datum scribe_rotate_diff(PG_FUNCTION_ARGS);
PGDLLEXPORT Datum scribe_teardown(PG_FUNCTION_ARGS);
PG_FUNCTION_INFO_V1(scribe_start);
PG_FUNCTION_INFO_V1(scribe_stop);
PG_FUNCTION_INFO_V1(scribe_rotate_diff);
PG_FUNCTION_INFO_V1(scribe_teardown);
}

namespace scribe::engine::api {

namespace {

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
  {
    LWLockGuard lock(shared->lock, LW_EXCLUSIVE);
    if (DatabaseEntry* e = find_entry(MyDatabaseId, false)) e->in_use = false;
  }
  ereport(NOTICE, (errmsg("pg_scribe stopped backing up database \"%s\"; the files in \"%s\" were kept",
                          current_database_name().c_str(), config.backup_dir.c_str())));
  return BoolGetDatum(true);
}

}  // namespace

}  // namespace scribe::engine::api

SCRIBE_SQL_FUNCTION(scribe_start, scribe::engine::api::start)

SCRIBE_SQL_FUNCTION(scribe_stop, scribe::engine::api::stop)

SCRIBE_SQL_FUNCTION(scribe_rotate_diff, scribe::engine::api::rotate_diff)

SCRIBE_SQL_FUNCTION(scribe_teardown, scribe::engine::api::teardown)
