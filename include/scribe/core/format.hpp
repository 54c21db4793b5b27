// The text forms pg_scribe prints, one definition per concept: WAL
// positions, commit times, byte sizes and durations (in headers, manifests,
// messages and the CLI's reports). Built on fmt.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace scribe {

// PostgreSQL's LSN text form, e.g. 0/3A1F2B8 (upper-case hex, as pg_lsn prints).
std::string lsn_text(std::uint64_t lsn);
// The same into a fixed buffer, allocating nothing: for the output plugin's
// per-transaction lines, and for messages built where no C++ object may be
// alive (an ereport argument).
inline constexpr int kLsnTextSize = 24;
void format_lsn(std::uint64_t lsn, char (&buf)[kLsnTextSize]) noexcept;

// Reads pg_lsn's text form (1-8 hex digits, '/', 1-8 hex digits, either
// case). Empty optional for anything else.
std::optional<std::uint64_t> parse_lsn(std::string_view text) noexcept;

// A PostgreSQL TimestampTz (microseconds since 2000-01-01 00:00:00 UTC) as
// ISO 8601 UTC with microseconds: 2026-11-21T12:00:01.123456Z.
// The special values print as infinity and -infinity.
std::string utc_timestamp_text(std::int64_t pg_microseconds);
inline constexpr int kTimestampTextSize = 40;
void format_utc_timestamp(std::int64_t pg_microseconds, char (&buf)[kTimestampTextSize]) noexcept;

// A byte count for people, in powers of 1024: "512 bytes", "1.5 kB", "3.2 GB".
std::string size_text(std::uint64_t bytes);

// A count for people, digits grouped by three: "1,234,567".
std::string count_text(std::uint64_t n);

// A duration for people: "0.25 s", "2m 5s", "1h 2m 5s".
std::string duration_text(double seconds);

}  // namespace scribe
