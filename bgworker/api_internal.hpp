// The SQL API (schema scribe), split by function family:
//   api_init.cpp      scribe.init(): the backup directory, the first base
//   api_validate.cpp  what scribe.init() checks on the server first
//   api_control.cpp   scribe.start(), stop(), rotate_diff(), teardown()
//   api_chain.cpp     scribe.new_chain()
//   api_views.cpp     the rows of the scribe.status and scribe.chains views
//   api_common.cpp    the checks and the worker requests they share
// Every entry point is a C++ function returning Datum, made an extern "C"
// function by SCRIBE_SQL_FUNCTION (DESIGN.md, "C++ inside PostgreSQL").
#pragma once

#include <string>
#include <vector>

#include "engine.hpp"
#include "scribe/core/compression.hpp"
#include "scribe/core/format.hpp"
#include "scribe/pg/guard.hpp"
#include "scribe/pg/lwlock_guard.hpp"

extern "C" {
#include "access/xlogdefs.h"
#include "fmgr.h"
#include "utils/timestamp.h"
}

namespace scribe::engine::api {

using scribe::pg::call_pg;
using scribe::pg::LWLockGuard;

// Refusals, each an Error with the SQLSTATE, DETAIL and HINT a caller needs.
void require_writer(const char* function);
void require_preloaded();
void require_primary(const char* function);
void require_own_transaction(const char* function);
BackupConfig require_config(const char* function);
void require_usable_slot(const BackupConfig& config, const char* function);
BackupConfig require_streaming(const char* function);

// One scribe.* call at a time per database: a transaction-level advisory lock.
void lock_api();

// The chain streams from its slot: once the slot is gone or has lost WAL
// (invalidated by max_slot_wal_keep_size), nothing can make it continue -
// neither scribe.start() nor a rotation - and the caller must hear that
// rather than "run scribe.start()".
enum class SlotCondition { kUsable, kMissing, kLost };
SlotCondition slot_condition(const BackupConfig& config, XLogRecPtr* confirmed_out = nullptr);

void validate_slot_name(const std::string& slot);
CompressionSpec compression_arg(const std::string& text);

// Hands a request to the database's worker and waits for its answer.
RequestResult send_request(RequestKind kind, const std::string& chain_id = {}, const std::string& slot = {},
                           const std::string& compression = {}, XLogRecPtr switch_lsn = InvalidXLogRecPtr);
// The LSN the worker must not decode past (InvalidXLogRecPtr: none).
void set_decode_limit(XLogRecPtr limit);

// Fails without a usable replica identity unless `force`; fills
// `without_identity` with the tables init gives REPLICA IDENTITY FULL
// (api_validate.cpp).
void validate_server(bool force, std::vector<Oid>& without_identity);

std::string list_text(const std::vector<std::string>& items, std::size_t max = 20);
std::string text_arg(FunctionCallInfo fcinfo, int n, const char* name);
Datum tuple_of(FunctionCallInfo fcinfo, const std::vector<const char*>& values);

}  // namespace scribe::engine::api
