// Large objects live in catalogs (pg_largeobject, pg_largeobject_metadata),
// whose changes logical decoding never emits. What pg_scribe can see of them:
//  - creation and unlink, through the object access hook (OAT_POST_CREATE
//    from inv_create, OAT_DROP from performDeletion in inv_drop): replayed
//    at their place as lo_create(n) and lo_unlink(n);
//  - the contents of a large object created in the transaction, read at
//    pre-commit from pg_largeobject (an index scan on its loid) and
//    replayed as lo_put() chunks;
//  - that a write function ran (OAT_FUNCTION_EXECUTE, which both the
//    executor and the fast-path interface of libpq's lo_* calls invoke, for
//    built-in functions too; fmgr_hook is never consulted for built-ins),
//    but not on which large object: writes to a large object created in an
//    earlier transaction are not captured, and a transaction that made
//    only such writes gets a warning.
// GRANT, REVOKE, COMMENT and ALTER ... OWNER on large objects are DDL,
// captured by the event triggers at their place.
#include <string_view>

#include "ddl_capture.hpp"
#include "large_objects.hpp"
#include "scribe/pg/guard.hpp"
#include "scribe/pg/postgres.hpp"

extern "C" {
#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/indexing.h"
#include "catalog/objectaccess.h"
#include "catalog/pg_largeobject.h"
#include "catalog/pg_largeobject_metadata.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "storage/large_object.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
}

namespace scribe::capture {
namespace {

using scribe::pg::call_pg;
using scribe::pg::run_entry;

object_access_hook_type previous_object_access = nullptr;

// This transaction's large objects, in TopTransactionContext.
List* created_large_objects = NIL;
bool large_object_write_ran = false;

// lo_put() chunks: 512 kB of contents, 1 MB of hex per message.
constexpr int kChunkBytes = 512 * 1024;

bool is_large_object_write(Oid function) {
  return function == F_LOWRITE || function == F_LO_PUT || function == F_LO_TRUNCATE || function == F_LO_TRUNCATE64;
}

void emit_lo_call(const char* format_with_oid, Oid large_object) {
  char* statement = psprintf(format_with_oid, large_object);
  emit_statement_as(statement, GetUserNameFromId(GetUserId(), false));
  pfree(statement);
}

Oid large_object_owner(Oid large_object, Snapshot snapshot);

void on_object_access(ObjectAccessType access, Oid class_id, Oid object_id) {
  if (class_id != LargeObjectRelationId || (access != OAT_POST_CREATE && access != OAT_DROP)) return;
  if (!capture_active_in_database()) return;
  if (access == OAT_POST_CREATE) {
    // Created by the current role, which owns it (inv_create).
    emit_lo_call("SELECT pg_catalog.lo_create(%u)", object_id);
    MemoryContext old = MemoryContextSwitchTo(TopTransactionContext);
    created_large_objects = lappend_oid(created_large_objects, object_id);
    MemoryContextSwitchTo(old);
  } else {
    // Not there at replay when the base lacks it: no error then. Replayed
    // as the object's owner, who may always unlink it: the role that did
    // may not own it (lo_compat_privileges lets anyone at the source).
    const Oid owner = large_object_owner(object_id, nullptr);
    char* statement =
        psprintf("SELECT pg_catalog.lo_unlink(oid) FROM pg_catalog.pg_largeobject_metadata WHERE oid = %u", object_id);
    emit_statement_as(statement, GetUserNameFromId(OidIsValid(owner) ? owner : GetUserId(), false));
    pfree(statement);
  }
}

// The owner of the large object as `snapshot` sees it; InvalidOid if gone.
Oid large_object_owner(Oid large_object, Snapshot snapshot) {
  Relation metadata = table_open(LargeObjectMetadataRelationId, AccessShareLock);
  ScanKeyData key;
  ScanKeyInit(&key, Anum_pg_largeobject_metadata_oid, BTEqualStrategyNumber, F_OIDEQ, ObjectIdGetDatum(large_object));
  SysScanDesc scan = systable_beginscan(metadata, LargeObjectMetadataOidIndexId, true, snapshot, 1, &key);
  HeapTuple tuple = systable_getnext(scan);
  const Oid owner =
      HeapTupleIsValid(tuple) ? reinterpret_cast<Form_pg_largeobject_metadata>(GETSTRUCT(tuple))->lomowner : InvalidOid;
  systable_endscan(scan);
  table_close(metadata, AccessShareLock);
  return owner;
}

void flush_chunk(Oid large_object, int64 offset, StringInfo hex, const char* owner) {
  if (hex->len == 0) return;
  char* statement = psprintf("SELECT pg_catalog.lo_put(%u, " INT64_FORMAT ", pg_catalog.decode('%s', 'hex'))",
                             large_object, offset, hex->data);
  emit_statement_as(statement, owner);
  pfree(statement);
  resetStringInfo(hex);
}

// Its pages in order; a missing page is a hole, read as zeros, and stays one.
void emit_contents(Oid large_object, Snapshot snapshot) {
  const Oid owner_id = large_object_owner(large_object, snapshot);
  if (!OidIsValid(owner_id)) return;
  // lo_put needs UPDATE on it, which its owner has.
  const char* owner = GetUserNameFromId(owner_id, false);
  Relation pages = table_open(LargeObjectRelationId, AccessShareLock);
  ScanKeyData key;
  ScanKeyInit(&key, Anum_pg_largeobject_loid, BTEqualStrategyNumber, F_OIDEQ, ObjectIdGetDatum(large_object));
  SysScanDesc scan = systable_beginscan(pages, LargeObjectLOidPNIndexId, true, snapshot, 1, &key);
  StringInfoData hex;
  initStringInfo(&hex);
  int64 chunk_offset = 0;
  int64 chunk_end = 0;
  HeapTuple tuple;
  while (HeapTupleIsValid(tuple = systable_getnext(scan))) {
    auto* page = reinterpret_cast<Form_pg_largeobject>(GETSTRUCT(tuple));
    bool isnull;
    const Datum datum = heap_getattr(tuple, Anum_pg_largeobject_data, RelationGetDescr(pages), &isnull);
    if (isnull) continue;
    bytea* data = DatumGetByteaPP(datum);
    const int len = VARSIZE_ANY_EXHDR(data);
    const int64 offset = static_cast<int64>(page->pageno) * LOBLKSIZE;
    if (hex.len > 0 && (offset != chunk_end || hex.len / 2 + len > kChunkBytes)) {
      flush_chunk(large_object, chunk_offset, &hex, owner);
    }
    if (hex.len == 0) chunk_offset = offset;
    enlargeStringInfo(&hex, 2 * len + 1);
    hex.len += static_cast<int>(::hex_encode(VARDATA_ANY(data), static_cast<size_t>(len), hex.data + hex.len));
    hex.data[hex.len] = '\0';
    chunk_end = offset + len;
  }
  flush_chunk(large_object, chunk_offset, &hex, owner);
  pfree(hex.data);
  systable_endscan(scan);
  table_close(pages, AccessShareLock);
}

void before_commit() {
  if (created_large_objects == NIL && !large_object_write_ran) return;
  if (!capture_active_in_database()) return;
  // The last writes visible to the snapshot below.
  CommandCounterIncrement();
  Snapshot snapshot = RegisterSnapshot(GetLatestSnapshot());
  ListCell* cell;
  foreach (cell, created_large_objects) emit_contents(lfirst_oid(cell), snapshot);
  UnregisterSnapshot(snapshot);
  if (large_object_write_ran && created_large_objects == NIL)
    ereport(WARNING,
            (errmsg("pg_scribe does not back up writes to large objects created in earlier transactions"),
             errdetail("Their creation, unlink and the contents written in the transaction that created them "
                       "are backed up; this transaction's writes are not."),
             errhint("Store the data in bytea columns, or write a large object in the transaction that creates "
                     "it.")));
}

}  // namespace

void install_large_object_hooks() {
  previous_object_access = object_access_hook;
  object_access_hook = [](ObjectAccessType access, Oid class_id, Oid object_id, int sub_id, void* arg) {
    if (previous_object_access != nullptr) previous_object_access(access, class_id, object_id, sub_id, arg);
    // Called for every function of every expression the executor sets up:
    // only comparisons on that path.
    if (access == OAT_FUNCTION_EXECUTE) {
      if (is_large_object_write(object_id)) large_object_write_ran = true;
      return;
    }
    if (class_id != LargeObjectRelationId) return;
    run_entry([&] { call_pg([&] { on_object_access(access, class_id, object_id); }); });
  };
  RegisterXactCallback(
      [](XactEvent event, void*) {
        if (event == XACT_EVENT_PRE_COMMIT || event == XACT_EVENT_PRE_PREPARE) {
          run_entry([&] { call_pg([&] { before_commit(); }); });
        } else if (event == XACT_EVENT_COMMIT || event == XACT_EVENT_ABORT || event == XACT_EVENT_PREPARE ||
                   event == XACT_EVENT_PARALLEL_COMMIT || event == XACT_EVENT_PARALLEL_ABORT) {
          // Freed with TopTransactionContext.
          created_large_objects = NIL;
          large_object_write_ran = false;
        }
      },
      nullptr);
}

}  // namespace scribe::capture
