#include "globals_sync.hpp"

#include "scribe/core/globals.hpp"
#include "scribe/pg/guard.hpp"

extern "C" {
#include "access/xlog.h"
}

#include "scribe/pg/compat.hpp"

namespace scribe::engine {

void emit_globals_sync_point() {
  scribe::pg::call_pg([] {
    // Non-transactional: decoded at its place even if the caller's
    // transaction rolls back, under the catalog snapshot of that place.
    const XLogRecPtr lsn = scribe::pg::log_logical_message(scribe::globals::kSyncMessagePrefix.data(), "", 0, false);
    XLogFlush(lsn);
  });
}

}  // namespace scribe::engine
