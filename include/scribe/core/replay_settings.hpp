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
      // Triggers and foreign-key checks already ran on the source; their
      // effects are in the stream, so firing them again would double them.
      "SET session_replication_role = replica;\n"
      // As pg_dump does: a function body may name objects that the replay
      // does not have at that point (a temporary table of the source
      // session, an object created later); it was valid at the source.
      "SET check_function_bodies = false;\n"
      "SET search_path = pg_catalog, pg_temp;\n";
  out.append(kHead.data(), kHead.size());
  // Encoding names are plain ASCII identifiers; anything else is dropped
  // rather than allowed to end the literal.
  for (const char ch : encoding) {
    const bool plain = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_';
    if (plain) out.push_back(ch);
  }
  out.append(kTail.data(), kTail.size());
}

}  // namespace scribe
