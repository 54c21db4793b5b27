// Recognises the statements of a diff that tell pg_scribe --restore as
// which role to run what follows (DESIGN.md invariant 9), in the exact forms
// wal2sql writes them. Pure text; no server code.
#pragma once

#include <string>
#include <string_view>

namespace scribe {

// One identifier as append_identifier (and pg_dump) writes it, from `pos`:
// double-quoted ("" for a quote), or the characters quote_identifier leaves
// bare; advances `pos` past it, and appends its value to `name` if given.
bool skip_identifier(std::string_view text, std::size_t& pos, std::string* name = nullptr);

// The table a row change names, as written ("s.t", each part quoted as
// append_identifier quotes it), if `statement` is an INSERT INTO, UPDATE
// ONLY or DELETE FROM ONLY of that shape; empty otherwise.
std::string_view dml_target_table(std::string_view statement);

// The table a base's COPY names, as written ("s.t"), if `statement` is
// "COPY s.t [(columns)] FROM stdin;" as pg_dump writes it (text format, no
// options: its data lines are rows); empty otherwise.
std::string_view copy_target_table(std::string_view statement);

// True if `statement` begins as a row change does (INSERT, UPDATE, DELETE,
// MERGE, any case), whether or not dml_target_table can read it.
bool looks_like_dml(std::string_view statement);

// If `statement` is exactly "SET ROLE <identifier>;", the role's name
// (unquoted) into `role`.
bool parse_set_role(std::string_view statement, std::string& role);

// True for the statements wal2sql writes to switch replica-firing triggers
// and rules off and on again ("ALTER TABLE ONLY s.t DISABLE TRIGGER a,
// DISABLE RULE r, ...;").
bool is_trigger_switch(std::string_view statement);

}  // namespace scribe
