// Captured DDL travels in the WAL as a transactional logical message with
// prefix "scribe.ddl". pg_logical_emit_message() is executable by PUBLIC,
// so wal2sql writes a message only if it proves it came from pg_scribe:
//
//   scribe-ddl v1 hmac=<64 hex digits>\n<statement>
//
// where the digits are HMAC-SHA256, under the cluster's key (a file in the
// data directory that only the server can read), of the decimal top-level
// transaction id, a newline and the statement. Binding the xid keeps a
// message from being replayed in another transaction.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

namespace scribe {

inline constexpr std::string_view kDdlMessagePrefix = "scribe.ddl";
inline constexpr std::string_view kDdlSignatureTag = "scribe-ddl v1 hmac=";
inline constexpr std::size_t kDdlMacBytes = 32;
inline constexpr std::size_t kDdlMacHexLength = 2 * kDdlMacBytes;

struct SignedDdl {
  std::string_view mac_hex;    // 64 lower-case hex digits
  std::string_view statement;  // everything after the first newline
};

// Splits a message of the form above; nullopt when it does not have it.
std::optional<SignedDdl> parse_signed_ddl(std::string_view message) noexcept;

// Lower-case hex of `len` bytes into `out` (2 * len chars, no terminator).
void hex_encode(const unsigned char* data, std::size_t len, char* out) noexcept;

// Compares two equal-length strings in time independent of their content.
bool constant_time_equal(std::string_view a, std::string_view b) noexcept;

}  // namespace scribe
