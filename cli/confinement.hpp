// What pg_scribe --restore needs to confine the code that roles control
// (DESIGN.md invariant 9): which role a replayed statement must run as,
// read from the statements wal2sql writes.
#pragma once

#include <string>
#include <string_view>

#include <libpq-fe.h>

namespace pgscribe {

// The name of the temporary function (in pg_temp) that runs SQL as a role
// inside a security-restricted operation (scribe/restore_confine.cpp).
inline constexpr std::string_view kRunAsFunction = "pg_temp.pg_scribe_run_as";

// The table a row change names, as written ("s.t", each part quoted as
// wal2sql quotes it), if `statement` is an INSERT INTO, UPDATE ONLY or
// DELETE FROM ONLY of that shape; empty otherwise.
std::string_view dml_target_table(std::string_view statement);

// The role of "SET ROLE <identifier>;" (unquoted), if `statement` is that;
// nullopt-like empty `ok` otherwise.
bool parse_set_role(std::string_view statement, std::string& role);

// True for the statements wal2sql writes to switch replica-firing triggers
// off and on again ("ALTER TABLE ONLY s.t DISABLE TRIGGER a, ...;").
bool is_trigger_switch(std::string_view statement);

// Creates the session's run-as function on the target. Returns false when
// the target cannot confine (the restorer is not a superuser, or the
// server has no scribe library), with the reason in `why`.
bool install_run_as(PGconn* conn, std::string& why);

}  // namespace pgscribe
