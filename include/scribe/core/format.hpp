// Text forms of WAL positions and commit times in the headers pg_scribe writes.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace scribe {

// PostgreSQL's LSN text form, e.g. 0/3A1F2B8 (upper-case hex, as pg_lsn prints).
inline constexpr int kLsnTextSize = 24;
void format_lsn(std::uint64_t lsn, char (&buf)[kLsnTextSize]) noexcept;

// Reads pg_lsn's text form (1-8 hex digits, '/', 1-8 hex digits, either
// case). Empty optional for anything else.
std::optional<std::uint64_t> parse_lsn(std::string_view text) noexcept;

// A PostgreSQL TimestampTz (microseconds since 2000-01-01 00:00:00 UTC) as
// ISO 8601 UTC with microseconds: 2026-11-21T12:00:01.123456Z.
// The special values print as infinity and -infinity.
inline constexpr int kTimestampTextSize = 40;
void format_utc_timestamp(std::int64_t pg_microseconds, char (&buf)[kTimestampTextSize]) noexcept;

}  // namespace scribe
