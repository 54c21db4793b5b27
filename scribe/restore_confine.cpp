// The confined apply of pg_scribe --restore (DESIGN.md invariant 9).
//
// The restore client creates, for its session only, a temporary function
// over scribe_restore_run_as and sends through it every statement that
// evaluates code a role other than the restoring superuser controls (row
// changes of that role's tables: constraints, generated columns, domain
// checks, index expressions, defaults; DDL that role ran). The statements
// run as that role inside a security-restricted operation, as PostgreSQL 16+
// apply changes (SwitchToUntrustedUser in the apply worker) and as every
// version builds indexes and refreshes materialized views: no function can
// leave it (SET ROLE, set_config('role', ...), SET/RESET SESSION
// AUTHORIZATION fail with "cannot set parameter ... within
// security-restricted operation"), and settings the code changes are
// undone when the statements end.
//
// The base's COPY ... FROM stdin cannot go through SPI: a second function,
// scribe_restore_copy_as, runs a COPY statement of pg_dump's over data
// given as an argument (in chunks of whole lines), as the table's owner
// or a role the client names, confined the same way; the restore client
// calls it for the tables that a role other than a superuser owns, and
// for a superuser's tables whose write path calls another role's code.
//
// Both refuse any caller but a superuser outside such a context, so the
// confined code itself (running as the owner, restricted) cannot call them
// to run something as anyone else.
#include "scribe/pg/guard.hpp"
#include "scribe/pg/postgres.hpp"

extern "C" {
#include "access/table.h"
#include "catalog/pg_authid.h"
#include "commands/copy.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "parser/parse_node.h"
#include "parser/parse_relation.h"
#include "parser/parser.h"
#include "storage/lock.h"
#include "utils/rel.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/syscache.h"

PGDLLEXPORT Datum scribe_restore_run_as(PG_FUNCTION_ARGS);
PG_FUNCTION_INFO_V1(scribe_restore_run_as);
PGDLLEXPORT Datum scribe_restore_copy_as(PG_FUNCTION_ARGS);
PG_FUNCTION_INFO_V1(scribe_restore_copy_as);
PGDLLEXPORT Datum scribe_restore_copy_as_role(PG_FUNCTION_ARGS);
PG_FUNCTION_INFO_V1(scribe_restore_copy_as_role);
}

namespace scribe::restore {
namespace {

void refuse_unless_trusted_caller() {
  if (!superuser() || InSecurityRestrictedOperation() || InLocalUserIdChange())
    ereport(ERROR,
            (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE), errmsg("permission denied to run statements as another role"),
             errdetail("Only a superuser outside any security-restricted operation may call this function."),
             errhint("It is pg_scribe --restore's, created for its session.")));
}

// Advisory locks the confined code took (pg_advisory_lock, allowed in a
// security-restricted operation) would outlive the call: a session lock
// for good, a transaction lock to the end of the restore's transaction.
// With --jobs another connection's confined code waiting for one would
// wait for ever (the holder is idle, not waiting: no deadlock), where at
// the source one session took it again and again. The restore itself
// takes none; they are released as the call ends.
void release_advisory_locks() { LockReleaseAll(USER_LOCKMETHOD, true); }

// Runs `sql` (any number of statements, as one SPI call parses and runs
// them in order, each with its own snapshot as at top level) as `role`.
Datum run_as(FunctionCallInfo fcinfo) {
  scribe::pg::call_pg([&] {
    refuse_unless_trusted_caller();
    const Oid role = PG_GETARG_OID(0);
    char* sql = text_to_cstring(PG_GETARG_TEXT_PP(1));
    if (!SearchSysCacheExists1(AUTHOID, ObjectIdGetDatum(role)))
      ereport(ERROR, (errcode(ERRCODE_UNDEFINED_OBJECT), errmsg("role with OID %u does not exist", role)));
    Oid saved_user;
    int saved_context;
    GetUserIdAndSecContext(&saved_user, &saved_context);
    // On error the transaction's abort restores the user, the security
    // context and the settings.
    // NOFORCE_RLS: as at the source, where the change was made by whoever
    // the policies let make it, every row of the stream applies; FORCE ROW
    // LEVEL SECURITY would hide rows from their owner (the RI checks use the
    // same flag).
    SetUserIdAndSecContext(
        role, saved_context | SECURITY_LOCAL_USERID_CHANGE | SECURITY_RESTRICTED_OPERATION | SECURITY_NOFORCE_RLS);
    const int guc_level = NewGUCNestLevel();
    if (SPI_connect() != SPI_OK_CONNECT) elog(ERROR, "SPI_connect failed");
    const int rc = SPI_execute(sql, false, 0);
    if (rc < 0) elog(ERROR, "SPI_execute failed: %s", SPI_result_code_string(rc));
    SPI_finish();
    AtEOXact_GUC(false, guc_level);
    release_advisory_locks();
    SetUserIdAndSecContext(saved_user, saved_context);
  });
  PG_RETURN_VOID();
}

// The bytes COPY reads in copy_as: the call's data argument. COPY's data
// source callback takes no argument of its own; calls do not nest (the
// confined code cannot call copy_as).
const char* copy_source = nullptr;
std::size_t copy_source_left = 0;

int read_copy_source(void* outbuf, int /*minread*/, int maxread) {
  const std::size_t n = Min(copy_source_left, static_cast<std::size_t>(maxread));
  memcpy(outbuf, copy_source, n);
  copy_source += n;
  copy_source_left -= n;
  return static_cast<int>(n);
}

// The one statement of `sql` if it is COPY table [(columns)] FROM stdin
// [options], as pg_dump writes them; an error otherwise.
CopyStmt* parse_copy_from_stdin(const char* sql) {
  List* parsed = raw_parser(sql, RAW_PARSE_DEFAULT);
  Node* stmt = list_length(parsed) == 1 ? linitial_node(RawStmt, parsed)->stmt : nullptr;
  CopyStmt* copy = stmt != nullptr && IsA(stmt, CopyStmt) ? reinterpret_cast<CopyStmt*>(stmt) : nullptr;
  if (copy == nullptr || !copy->is_from || copy->relation == nullptr || copy->query != nullptr ||
      copy->filename != nullptr || copy->is_program || copy->whereClause != nullptr)
    ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED), errmsg("not a COPY of a table FROM stdin: %s", sql),
                    errhint("Only the COPY statements pg_dump writes are run this way.")));
  return copy;
}

// Runs the COPY statement `sql` over `data` (whole lines of COPY data) as
// `role` (without one: the table's owner), confined; returns the rows
// copied. The client names a role other than the owner for a superuser's
// table whose write path calls that role's code (its domain's CHECK, say).
// The table is opened (its name resolved) as the calling superuser, and
// the role's rights on it are not checked: pg_dump grants them only after
// the data, and an owner may have revoked them from itself; nor does
// row-level security apply (as PostgreSQL itself copies, as a superuser or
// an owner without FORCE ROW LEVEL SECURITY, and as the row changes
// replay; the client names no other role for a table with policies on).
// The arguments: [role oid,] statement text, data bytea; `with_role` says
// whether the first is there.
Datum copy_as(FunctionCallInfo fcinfo, bool with_role) {
  uint64 rows = 0;
  scribe::pg::call_pg([&] {
    refuse_unless_trusted_caller();
    const int first = with_role ? 1 : 0;
    const Oid role = with_role ? PG_GETARG_OID(0) : InvalidOid;
    if (OidIsValid(role) && !SearchSysCacheExists1(AUTHOID, ObjectIdGetDatum(role)))
      ereport(ERROR, (errcode(ERRCODE_UNDEFINED_OBJECT), errmsg("role with OID %u does not exist", role)));
    char* sql = text_to_cstring(PG_GETARG_TEXT_PP(first));
    bytea* data = PG_GETARG_BYTEA_PP(first + 1);
    CopyStmt* copy = parse_copy_from_stdin(sql);
    Relation rel = table_openrv(copy->relation, RowExclusiveLock);
    ParseState* pstate = make_parsestate(nullptr);
    pstate->p_sourcetext = sql;
    (void)addRangeTableEntryForRelation(pstate, rel, RowExclusiveLock, nullptr, false, false);
    Oid saved_user;
    int saved_context;
    GetUserIdAndSecContext(&saved_user, &saved_context);
    // As in run_as; an error's abort restores the user, context and settings.
    SetUserIdAndSecContext(
        OidIsValid(role) ? role : rel->rd_rel->relowner,
        saved_context | SECURITY_LOCAL_USERID_CHANGE | SECURITY_RESTRICTED_OPERATION | SECURITY_NOFORCE_RLS);
    const int guc_level = NewGUCNestLevel();
    copy_source = VARDATA_ANY(data);
    copy_source_left = VARSIZE_ANY_EXHDR(data);
    CopyFromState cstate =
        BeginCopyFrom(pstate, rel, nullptr, nullptr, false, read_copy_source, copy->attlist, copy->options);
    rows = CopyFrom(cstate);
    EndCopyFrom(cstate);
    copy_source = nullptr;
    copy_source_left = 0;
    AtEOXact_GUC(false, guc_level);
    release_advisory_locks();
    SetUserIdAndSecContext(saved_user, saved_context);
    table_close(rel, NoLock);
  });
  PG_RETURN_INT64(static_cast<int64>(rows));
}

Datum copy_as_owner(FunctionCallInfo fcinfo) { return copy_as(fcinfo, false); }
Datum copy_as_role(FunctionCallInfo fcinfo) { return copy_as(fcinfo, true); }

}  // namespace
}  // namespace scribe::restore

SCRIBE_SQL_FUNCTION(scribe_restore_run_as, scribe::restore::run_as)
SCRIBE_SQL_FUNCTION(scribe_restore_copy_as, scribe::restore::copy_as_owner)
SCRIBE_SQL_FUNCTION(scribe_restore_copy_as_role, scribe::restore::copy_as_role)
