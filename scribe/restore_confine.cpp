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
// It refuses any caller but a superuser outside such a context, so the
// confined code itself (running as the owner, restricted) cannot call it
// to run something as anyone else.
#include "scribe/pg/guard.hpp"
#include "scribe/pg/postgres.hpp"

extern "C" {
#include "catalog/pg_authid.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/syscache.h"

PGDLLEXPORT Datum scribe_restore_run_as(PG_FUNCTION_ARGS);
PG_FUNCTION_INFO_V1(scribe_restore_run_as);
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
    SetUserIdAndSecContext(saved_user, saved_context);
  });
  PG_RETURN_VOID();
}

}  // namespace
}  // namespace scribe::restore

SCRIBE_SQL_FUNCTION(scribe_restore_run_as, scribe::restore::run_as)
