// What pg_scribe --restore needs to confine the code that roles control
// (DESIGN.md invariant 9): which role a replayed statement must run as,
// read from the statements wal2sql writes.
#pragma once

#include <string>
#include <string_view>

#include <libpq-fe.h>

#include "scribe/core/replay_statements.hpp"

namespace pgscribe {

// The name of the temporary function (in pg_temp) that runs SQL as a role
// inside a security-restricted operation (scribe/restore_confine.cpp).
inline constexpr std::string_view kRunAsFunction = "pg_temp.pg_scribe_run_as";
// And the one that runs a base's COPY over data given as an argument, as
// the table's owner, confined (the same file).
inline constexpr std::string_view kCopyAsFunction = "pg_temp.pg_scribe_copy_as";

// Creates the session's run-as and copy-as functions on the target. Returns false when
// the target cannot confine (the restorer is not a superuser, or the
// server has no scribe library), with the reason in `why`.
bool install_run_as(PGconn* conn, std::string& why);

}  // namespace pgscribe
