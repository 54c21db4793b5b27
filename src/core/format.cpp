#include "scribe/core/format.hpp"

#include <cmath>
#include <limits>

#include <fmt/format.h>

namespace scribe {

namespace {

// fmt::format_to_n into a fixed buffer, NUL-terminated. The buffers are
// sized for the longest text, so nothing is cut; format_to_n throws only on
// a bad format string, which these constant ones are not.
template <std::size_t N, class... Args>
void format_into(char (&buf)[N], fmt::format_string<Args...> format, Args&&... args) noexcept {
  *fmt::format_to_n(buf, N - 1, format, std::forward<Args>(args)...).out = '\0';
}

}  // namespace

void format_lsn(std::uint64_t lsn, char (&buf)[kLsnTextSize]) noexcept {
  format_into(buf, "{:X}/{:X}", static_cast<std::uint32_t>(lsn >> 32), static_cast<std::uint32_t>(lsn));
}

std::string lsn_text(std::uint64_t lsn) {
  return fmt::format("{:X}/{:X}", static_cast<std::uint32_t>(lsn >> 32), static_cast<std::uint32_t>(lsn));
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
    format_into(buf, "infinity");
    return;
  }
  if (pg_microseconds == std::numeric_limits<std::int64_t>::min()) {
    format_into(buf, "-infinity");
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
  format_into(buf, "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z", year, month, day, secs / 3600, (secs / 60) % 60,
              secs % 60, usec);
}

std::string utc_timestamp_text(std::int64_t pg_microseconds) {
  char buf[kTimestampTextSize];
  format_utc_timestamp(pg_microseconds, buf);
  return buf;
}

std::string size_text(std::uint64_t bytes) {
  static constexpr const char* kUnits[] = {"bytes", "kB", "MB", "GB", "TB", "PB"};
  if (bytes < 1024) return fmt::format("{} bytes", bytes);
  double value = static_cast<double>(bytes);
  std::size_t unit = 0;
  while (value >= 1024 && unit + 1 < std::size(kUnits)) {
    value /= 1024;
    unit++;
  }
  return fmt::format("{:.1f} {}", value, kUnits[unit]);
}

std::string count_text(std::uint64_t n) {
  const std::string digits = fmt::format("{}", n);
  std::string out;
  const std::size_t len = digits.size();
  for (std::size_t i = 0; i < len; i++) {
    if (i > 0 && (len - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return out;
}

std::string duration_text(double seconds) {
  if (seconds < 60) return fmt::format("{:.2f} s", seconds);
  const long s = std::lround(seconds);
  if (seconds < 3600) return fmt::format("{}m {}s", s / 60, s % 60);
  return fmt::format("{}h {}m {}s", s / 3600, (s / 60) % 60, s % 60);
}

}  // namespace scribe
