#include "scribe/core/format.hpp"

#include <cinttypes>
#include <cstdio>
#include <limits>

namespace scribe {

void format_lsn(std::uint64_t lsn, char (&buf)[kLsnTextSize]) noexcept {
  std::snprintf(buf, sizeof buf, "%" PRIX32 "/%" PRIX32, static_cast<std::uint32_t>(lsn >> 32),
                static_cast<std::uint32_t>(lsn));
}

namespace {

std::optional<std::uint32_t> parse_hex32(std::string_view text) noexcept {
  if (text.empty() || text.size() > 8) return std::nullopt;
  std::uint32_t value = 0;
  for (const char ch : text) {
    unsigned digit;
    if (ch >= '0' && ch <= '9')
      digit = static_cast<unsigned>(ch - '0');
    else if (ch >= 'A' && ch <= 'F')
      digit = static_cast<unsigned>(ch - 'A' + 10);
    else if (ch >= 'a' && ch <= 'f')
      digit = static_cast<unsigned>(ch - 'a' + 10);
    else
      return std::nullopt;
    value = value << 4 | digit;
  }
  return value;
}

}  // namespace

std::optional<std::uint64_t> parse_lsn(std::string_view text) noexcept {
  const std::size_t slash = text.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  const auto high = parse_hex32(text.substr(0, slash));
  const auto low = parse_hex32(text.substr(slash + 1));
  if (!high || !low) return std::nullopt;
  return static_cast<std::uint64_t>(*high) << 32 | *low;
}

namespace {

// Days since 1970-01-01 to a proleptic Gregorian civil date (H. Hinnant's
// well-known algorithm); valid far beyond any commit time.
void civil_from_days(std::int64_t days, std::int64_t& year, unsigned& month, unsigned& day) {
  days += 719468;
  const std::int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const auto doe = static_cast<unsigned>(days - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  day = doy - (153 * mp + 2) / 5 + 1;
  month = mp < 10 ? mp + 3 : mp - 9;
  year = static_cast<std::int64_t>(yoe) + era * 400 + (month <= 2 ? 1 : 0);
}

}  // namespace

void format_utc_timestamp(std::int64_t pg_microseconds, char (&buf)[kTimestampTextSize]) noexcept {
  if (pg_microseconds == std::numeric_limits<std::int64_t>::max()) {
    std::snprintf(buf, sizeof buf, "infinity");
    return;
  }
  if (pg_microseconds == std::numeric_limits<std::int64_t>::min()) {
    std::snprintf(buf, sizeof buf, "-infinity");
    return;
  }

  constexpr std::int64_t kUsecPerDay = 86400LL * 1000000LL;
  constexpr std::int64_t kPgEpochDaysFromUnix = 10957;  // 2000-01-01 - 1970-01-01
  std::int64_t days = pg_microseconds / kUsecPerDay;
  std::int64_t usec_of_day = pg_microseconds % kUsecPerDay;
  if (usec_of_day < 0) {
    usec_of_day += kUsecPerDay;
    days -= 1;
  }
  std::int64_t year;
  unsigned month, day;
  civil_from_days(days + kPgEpochDaysFromUnix, year, month, day);

  const std::int64_t secs = usec_of_day / 1000000;
  const std::int64_t usec = usec_of_day % 1000000;
  std::snprintf(buf, sizeof buf, "%04" PRId64 "-%02u-%02uT%02" PRId64 ":%02" PRId64 ":%02" PRId64 ".%06" PRId64 "Z",
                year, month, day, secs / 3600, (secs / 60) % 60, secs % 60, usec);
}

}  // namespace scribe
