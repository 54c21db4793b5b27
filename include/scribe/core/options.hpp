// Options of the wal2sql output plugin, parsed once when decoding starts.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "scribe/core/table_filter.hpp"

namespace scribe {

// The schema that holds pg_scribe's own objects; its tables are never emitted.
inline constexpr std::string_view kScribeSchema = "scribe";

struct DecoderOptions {
  bool include_transaction = true;  // BEGIN; ... COMMIT; around each transaction
  bool include_header = true;       // -- scribe xid=... lsn=... commit=... before it
  bool skip_empty_xacts = true;     // nothing at all for transactions that emit no statement
  bool include_settings = true;     // the SET prologue that pins replay settings, once per decoding session
  // Roles, memberships and this database's properties, at their place in
  // the stream (wal2sql/globals.cpp); keeps a state file per slot.
  bool include_globals = false;
  TableFilter add_tables;     // when not empty, only these tables are emitted
  TableFilter filter_tables;  // these tables are never emitted
  // Transactions whose commit record is at or before this LSN are not
  // written: a consumer that already made them durable resumes exactly once.
  std::uint64_t start_after_lsn = 0;

  bool table_wanted(std::string_view schema, std::string_view table) const noexcept {
    if (schema == kScribeSchema) return false;
    if (!add_tables.empty() && !add_tables.matches(schema, table)) return false;
    return !filter_tables.matches(schema, table);
  }
};

// PostgreSQL's boolean spellings: true/false, yes/no, on/off, 1/0 and their
// unambiguous prefixes, case-insensitive. Empty optional if not a boolean.
std::optional<bool> parse_bool(std::string_view text) noexcept;

// Applies one option as given to pg_logical_slot_get_changes or
// pg_recvlogical -o. `value` is null when the option was given without one
// (a boolean is then true). '-' and '_' are interchangeable in names.
// Throws scribe::Error (22023) for an unknown name or a bad value.
void set_decoder_option(DecoderOptions& options, std::string_view name, const char* value);

}  // namespace scribe
