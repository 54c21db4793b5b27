// scribe.new_chain(): a new base and chain in the same backup directory,
// switched to by the worker at the new slot's start; or, for a chain whose
// slot is gone, a fresh start.
#include <ctime>
#include <string>

#include "base.hpp"
#include "scribe/core/chain_files.hpp"
#include "scribe/core/error.hpp"
#include "scribe/core/fileio.hpp"
#include "api_internal.hpp"

extern "C" {
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/rel.h"

PGDLLEXPORT Datum scribe_new_chain(PG_FUNCTION_ARGS);
PG_FUNCTION_INFO_V1(scribe_new_chain);
}

namespace scribe::engine::api {

namespace {

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
    (void)send_request(RequestKind::kSwitchChain, request.chain_id, request.slot, to_string(compression), switch_lsn);
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

}  // namespace

}  // namespace scribe::engine::api

SCRIBE_SQL_FUNCTION(scribe_new_chain, scribe::engine::api::new_chain)
