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
#include <string_view>

namespace scribe::capture {

// From _PG_init. `at_server_start`: loaded by shared_preload_libraries, so
// the hook sees every statement of every session.
void install_hooks(bool at_server_start);

// Whether scribe.auto_replica_identity is on.
bool auto_replica_identity_enabled();

// Gives `rel` (locked by the caller, without a usable replica identity)
// REPLICA IDENTITY FULL and writes the ALTER into the stream. May ereport.
void give_full_replica_identity(Relation rel);
// For captures outside the event triggers (large objects): whether this
// database is backed up (scribe installed, loaded at server start, not in
// an extension's script), and a signed, transactional statement replayed
// with the current search_path as `role`. Call inside call_pg.
bool capture_active_in_database();
void emit_statement_as(std::string_view statement, const char* role);

}  // namespace scribe::capture
