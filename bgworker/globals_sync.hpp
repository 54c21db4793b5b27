// Sync points for the global objects in the stream (wal2sql/globals.cpp).
#pragma once

namespace scribe::engine {

// Puts a sync message into the WAL of this database (and flushes it): the
// worker's wal2sql writes there the roles and database properties as of
// that point. Sent right after a chain's slot is created, so that a chain's
// stream starts with the whole state of the source's global objects, and
// before a rotation, so that the diff being sealed holds the changes made
// from other databases since this database's last transaction.
void emit_globals_sync_point();

}  // namespace scribe::engine
