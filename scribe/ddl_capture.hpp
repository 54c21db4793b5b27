// DDL capture: a ProcessUtility hook that keeps the exact text of the
// statement being executed, and event triggers (installed by CREATE
// EXTENSION scribe, ENABLE ALWAYS) that write each DDL statement into the
// WAL as a signed, transactional "scribe.ddl" message, which wal2sql turns
// back into SQL at its place in the transaction.
#pragma once

#include "scribe/pg/postgres.hpp"

extern "C" {
#include "utils/relcache.h"
}

namespace scribe::capture {

// From _PG_init. `at_server_start`: loaded by shared_preload_libraries, so
// the hook sees every statement of every session.
void install_hooks(bool at_server_start);

// Whether scribe.auto_replica_identity is on.
bool auto_replica_identity_enabled();

// Gives `rel` (locked by the caller, without a usable replica identity)
// REPLICA IDENTITY FULL and writes the ALTER into the stream. May ereport.
void give_full_replica_identity(Relation rel);

}  // namespace scribe::capture
