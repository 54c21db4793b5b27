// The settings a replay session needs so that the emitted SQL reads back to
// identical values whatever the session had before (invariants 4 and 6).
// The decoder pins the matching output settings (see kDecoderSettings) so
// that the text it writes is read back exactly under these.
#pragma once

#include <string_view>

namespace scribe {

struct SettingPin {
  const char* name;
  const char* value;
};

// Output-side settings pinned while decoding: values are printed in the
// forms the replay settings below read back without loss.
// search_path matters to the reg* types (regclass, regtype, ...), which
// print a name unqualified when it is visible: with only pg_catalog on the
// path, every other name comes out qualified.
inline constexpr SettingPin kDecoderSettings[] = {
    {"DateStyle", "ISO, YMD"},     {"IntervalStyle", "postgres"}, {"TimeZone", "UTC"},
    {"extra_float_digits", "3"},   {"bytea_output", "hex"},       {"lc_monetary", "C"},
    {"search_path", "pg_catalog"},
};

// The search_path of a replay outside captured DDL (which runs with the path
// it ran with at the source). pg_catalog first and pg_temp last, as pg_dump's
// and logical replication's apply have it, so that nothing of a role's
// shadows a built-in name; between them the session's default (the
// database's or role's setting, else "$user", public), because the code that
// replaying a row change evaluates (index expressions, CHECK constraints,
// generated columns, domain checks) ran at the source with a session's path,
// and a function that names objects unqualified must find them again: with
// pg_catalog alone, a row change that committed at the source fails at
// replay (DESIGN.md invariant 8). What wal2sql writes itself names every
// relation, type, function and operator with its schema, so user schemas on
// the path cannot capture it (invariant 9). Under pg_scribe --restore's
// confinement, "$user" is the owner the change runs as.
inline constexpr std::string_view kReplaySearchPath =
    "SELECT pg_catalog.set_config('search_path', pg_catalog.concat_ws(', ', 'pg_catalog', "
    "CASE WHEN s.reset_val OPERATOR(pg_catalog.<>) '' THEN s.reset_val END, 'pg_temp'), false) "
    "FROM pg_catalog.pg_settings s WHERE s.name OPERATOR(pg_catalog.=) 'search_path';";

// The prologue for a replay session, for a source database whose encoding is
// `encoding` (the server's name for it, e.g. UTF8). Each line is one
// statement; it ends with a newline.
template <class Sink>
void append_replay_settings(Sink& out, std::string_view encoding) {
  constexpr std::string_view kHead =
      "-- wal2sql: replay settings (values below read back exactly under these)\n"
      "SET client_encoding = '";
  constexpr std::string_view kTail =
      "';\n"
      "SET standard_conforming_strings = on;\n"
      "SET DateStyle = 'ISO, YMD';\n"
      "SET IntervalStyle = 'postgres';\n"
      "SET TimeZone = 'UTC';\n"
      "SET extra_float_digits = 3;\n"
      "SET lc_monetary = 'C';\n"
      "SET xmloption = content;\n"
      "SET array_nulls = on;\n"
      // As in pg_dump's output: a function body is checked when it ran at
      // the source, or was not (the creating session had it off); at replay
      // it may name objects that are created later or were temporary.
      "SET check_function_bodies = false;\n"
      // Triggers and foreign-key checks already ran on the source; their
      // effects are in the stream, so firing them again would double them.
      "SET session_replication_role = replica;\n";
  out.append(kHead.data(), kHead.size());
  // Encoding names are plain ASCII identifiers; anything else is dropped
  // rather than allowed to end the literal.
  for (const char ch : encoding) {
    const bool plain = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_';
    if (plain) out.push_back(ch);
  }
  out.append(kTail.data(), kTail.size());
  out.append(kReplaySearchPath.data(), kReplaySearchPath.size());
  out.push_back('\n');
}

}  // namespace scribe
