// What differs between the PostgreSQL major versions pg_scribe builds
// against (15 and newer), in one place: the other files call these and hold
// no PG_VERSION_NUM check of their own. Each entry names the release that
// changed the API.
#pragma once

#include "scribe/pg/postgres.hpp"

#if PG_VERSION_NUM < 150000
#error "pg_scribe needs PostgreSQL 15 or newer"
#endif

extern "C" {
#include "replication/message.h"
#include "replication/reorderbuffer.h"
#include "replication/slot.h"
#include "replication/walreceiver.h"
#if PG_VERSION_NUM >= 160000
// 16 moved the varlena macros (VARATT_IS_EXTERNAL_ONDISK, ...) out of postgres.h.
#include "varatt.h"
#endif
}

namespace scribe::pg {

// A logical decoding message into the WAL. 17 added `flush` (flush the WAL
// for a non-transactional message): false keeps 15's behaviour, callers
// flush themselves where they need to.
inline XLogRecPtr log_logical_message(const char* prefix, const char* message, size_t size, bool transactional) {
#if PG_VERSION_NUM >= 170000
  return LogLogicalMessage(prefix, message, size, transactional, false);
#else
  return LogLogicalMessage(prefix, message, size, transactional);
#endif
}

// A decoded row change's tuple, or nullptr. 17 replaced ReorderBufferTupleBuf
// by a plain HeapTuple.
#if PG_VERSION_NUM >= 170000
inline HeapTuple change_tuple(HeapTuple t) { return t; }
#else
inline HeapTuple change_tuple(ReorderBufferTupleBuf* t) { return t != nullptr ? &t->tuple : nullptr; }
#endif

// A logical replication connection through libpqwalreceiver (loaded by the
// caller). 16 added must_use_password (false: the worker connects locally
// with trust, peer or .pgpass, as on 15); 17 added replication (true: a
// walsender connection, on which CREATE_REPLICATION_SLOT runs).
inline WalReceiverConn* connect_logical_replication(const char* conninfo, const char* appname, char** err) {
#if PG_VERSION_NUM >= 170000
  return walrcv_connect(conninfo, true, true, false, appname, err);
#elif PG_VERSION_NUM >= 160000
  return walrcv_connect(conninfo, true, false, appname, err);
#else
  return walrcv_connect(conninfo, true, appname, err);
#endif
}

// Acquires a replication slot for this process. 18 added error_if_invalid:
// false, because the caller reports an invalidated slot itself, with the
// chain it breaks and the fix.
inline void acquire_replication_slot(const char* name, bool nowait) {
#if PG_VERSION_NUM >= 180000
  ReplicationSlotAcquire(name, nowait, false);
#else
  ReplicationSlotAcquire(name, nowait);
#endif
}

// Failover slots (17): a logical slot created with FAILOVER is copied to the
// standbys that run sync_replication_slots, so that a promoted standby has
// it. The option goes into CREATE_REPLICATION_SLOT's option list.
inline constexpr bool kHasFailoverSlots = PG_VERSION_NUM >= 170000;
inline constexpr const char* kCreateSlotFailoverOption = PG_VERSION_NUM >= 170000 ? ", FAILOVER" : "";

// Whether the physical standbys named in synchronized_standby_slots have
// received the WAL up to `lsn`; true when the acquired slot is not a
// failover slot, and before 17. Logical walsenders and
// pg_logical_slot_get_changes() wait for it by themselves; the worker decodes
// in its own process and must ask, or the backup could hold a transaction
// that a standby promoted afterwards never received.
inline bool standbys_have_wal_up_to(XLogRecPtr lsn) {
#if PG_VERSION_NUM >= 170000
  if (MyReplicationSlot == nullptr || !MyReplicationSlot->data.failover) return true;
  return StandbySlotsHaveCaughtup(lsn, DEBUG1);
#else
  (void)lsn;
  return true;
#endif
}

// pg_dump (the server's own, from its bindir) has --exclude-extension since 17.
inline constexpr bool kPgDumpHasExcludeExtension = PG_VERSION_NUM >= 170000;

}  // namespace scribe::pg
