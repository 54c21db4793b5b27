// DDL capture: a ProcessUtility hook that keeps the exact text of the
// statement being executed, and event triggers (installed by CREATE
// EXTENSION scribe, ENABLE ALWAYS) that write each DDL statement into the
// WAL as a signed, transactional "scribe.ddl" message, which wal2sql turns
// back into SQL at its place in the transaction.
#pragma once

namespace scribe::capture {

// From _PG_init. `at_server_start`: loaded by shared_preload_libraries, so
// the hook sees every statement of every session.
void install_hooks(bool at_server_start);

}  // namespace scribe::capture
