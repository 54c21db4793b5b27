#include "confinement.hpp"

#include <cctype>
#include <string>

#include "connection.hpp"

namespace pgscribe {

bool install_run_as(PGconn* conn, std::string& why) {
  ResultPtr super(PQexec(conn, "SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user"));
  if (PQresultStatus(super.get()) != PGRES_TUPLES_OK || PQntuples(super.get()) != 1 ||
      std::string(PQgetvalue(super.get(), 0, 0)) != "t") {
    why = "the restoring role is not a superuser";
    return false;
  }
  const std::string create = "CREATE FUNCTION " + std::string(kRunAsFunction) +
                             "(pg_catalog.oid, pg_catalog.text) RETURNS pg_catalog.void LANGUAGE c STRICT "
                             "AS '$libdir/scribe', 'scribe_restore_run_as'; "
                             "CREATE FUNCTION " +
                             std::string(kCopyAsFunction) +
                             "(pg_catalog.oid, pg_catalog.text, pg_catalog.bytea) RETURNS pg_catalog.int8 "
                             "LANGUAGE c STRICT AS '$libdir/scribe', 'scribe_restore_copy_as_role'";
  ResultPtr r(PQexec(conn, create.c_str()));
  if (PQresultStatus(r.get()) != PGRES_COMMAND_OK) {
    const char* message = PQresultErrorField(r.get(), PG_DIAG_MESSAGE_PRIMARY);
    why = std::string("the target server cannot load pg_scribe's library: ") +
          (message != nullptr ? message : PQerrorMessage(conn));
    return false;
  }
  return true;
}

}  // namespace pgscribe
