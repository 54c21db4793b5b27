// Captured DDL travels in the WAL as a transactional logical message with
// prefix "scribe.ddl". pg_logical_emit_message() is executable by PUBLIC,
// so wal2sql writes a message only if it proves it came from pg_scribe:
//
//   scribe-ddl v1 hmac=<64 hex digits>\n<body>
//
// where the digits are HMAC-SHA256, under the cluster's key (a file in the
// data directory that only the server can read), of the decimal top-level
// transaction id, a newline and the body. Binding the xid keeps a message
// from being replayed in another transaction. The body carries what replay
// needs besides the statement text:
//
//   S<n>:<search_path>R<n>:<role>F<t|n>\n<statement>
//
// (<n> the byte length of the field that follows; F n: the statement cannot
// run inside a transaction block, e.g. CREATE INDEX CONCURRENTLY).
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
  std::string_view mac_hex;  // 64 lower-case hex digits
  std::string_view body;     // everything after the first newline
};

struct DdlContext {
  std::string_view search_path;  // as the session had it
  std::string_view role;         // the role that ran the statement (owner of what it creates)
  // Session settings that decide what a statement creates, where the
  // session had another value than PostgreSQL's default (empty: the
  // default): a table created without USING or TABLESPACE, an index
  // without TABLESPACE take them. (default_toast_compression is not one:
  // a column without COMPRESSION takes it when a value is stored.)
  std::string_view access_method;  // default_table_access_method (default heap)
  std::string_view tablespace;     // default_tablespace (default '')
  bool transactional = true;       // false: must run outside a transaction block
  std::string_view statement;      // exact text, without a trailing ';'
};

// The settings of DdlContext, by name, as the body carries them (tag) and
// the replay sets them.
struct DdlSetting {
  char tag;
  const char* name;
  std::string_view DdlContext::*field;
};
inline constexpr DdlSetting kDdlSettings[] = {
    {'A', "default_table_access_method", &DdlContext::access_method},
    {'T', "default_tablespace", &DdlContext::tablespace},
};

// Splits a message of the form above; nullopt when it does not have it.
std::optional<SignedDdl> parse_signed_ddl(std::string_view message) noexcept;

// Parses a body; nullopt when malformed.
std::optional<DdlContext> parse_ddl_body(std::string_view body) noexcept;

template <class Sink>
void append_length_prefixed(Sink& out, char tag, std::string_view field) {
  char digits[24];
  int len = 0;
  std::size_t v = field.size();
  do {
    digits[len++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  out.push_back(tag);
  while (len > 0) out.push_back(digits[--len]);
  out.push_back(':');
  out.append(field.data(), field.size());
}

template <class Sink>
void append_ddl_body(Sink& out, const DdlContext& ddl) {
  append_length_prefixed(out, 'S', ddl.search_path);
  append_length_prefixed(out, 'R', ddl.role);
  // Only the settings that differ from the default: bodies written before
  // they were carried read the same way.
  for (const DdlSetting& setting : kDdlSettings)
    if (!(ddl.*setting.field).empty()) append_length_prefixed(out, setting.tag, ddl.*setting.field);
  out.push_back('F');
  out.push_back(ddl.transactional ? 't' : 'n');
  out.push_back('\n');
  out.append(ddl.statement.data(), ddl.statement.size());
}

// True if psql, reading `statement` followed by a newline and ";", sends the
// server exactly that one statement: it ends at that ';' (psql's heuristic
// for BEGIN ATOMIC ... END bodies may not end it where the server does,
// e.g. when a column is named "begin"), holds no meta-command and no psql
// variable reference (a[1:PORT] would become a[15432]). Captured DDL is the
// text the server ran, so it has no other reason to be read otherwise.
bool psql_reads_verbatim(std::string_view statement);

// The SQL that replays a captured statement in its context: the search_path
// and role it ran with, restored to the replay settings afterwards. A
// statement that cannot run in a transaction block is taken out of the
// replay's transaction when `inside_transaction`. A statement that psql
// would not read verbatim (psql_reads_verbatim) is run from a string
// literal by EXECUTE in a DO block, where psql reads nothing but a quote;
// one that must run outside a transaction block cannot be, and is written
// as it is.
template <class Sink>
void append_ddl_replay(Sink& out, const DdlContext& ddl, bool inside_transaction);

// Lower-case hex of `len` bytes into `out` (2 * len chars, no terminator).
void hex_encode(const unsigned char* data, std::size_t len, char* out) noexcept;

// Compares two equal-length strings in time independent of their content.
bool constant_time_equal(std::string_view a, std::string_view b) noexcept;

}  // namespace scribe

#include <string>

#include "scribe/core/quote.hpp"
#include "scribe/core/replay_settings.hpp"

namespace scribe {

template <class Sink>
void append_ddl_replay(Sink& out, const DdlContext& ddl, bool inside_transaction) {
  auto text = [&out](std::string_view s) { out.append(s.data(), s.size()); };
  const bool leave_transaction = !ddl.transactional && inside_transaction;
  // END and START TRANSACTION, not COMMIT and BEGIN: readers of the file
  // (torn-tail cut, restore) take a top-level COMMIT; as a transaction's end.
  if (leave_transaction) text("END;\n");
  text("SELECT pg_catalog.set_config('search_path', ");
  append_literal(out, ddl.search_path);
  text(", false);\nSET ROLE ");
  append_identifier(out, ddl.role);
  text(";\n");
  // After SET ROLE: pg_scribe --restore runs everything up to RESET ROLE
  // in one confined call, where settings last until the call ends.
  for (const DdlSetting& setting : kDdlSettings) {
    if ((ddl.*setting.field).empty()) continue;
    text("SELECT pg_catalog.set_config('");
    text(setting.name);
    text("', ");
    append_literal(out, ddl.*setting.field);
    text(", false);\n");
  }
  if (ddl.transactional && !psql_reads_verbatim(ddl.statement)) {
    std::string body = "BEGIN EXECUTE ";
    append_literal(body, ddl.statement);
    body += "; END";
    text("DO ");
    append_dollar_quoted(out, body);
    text(";\n");
  } else {
    text(ddl.statement);
    // On a line of its own: the text may end in a comment.
    text("\n;\n");
  }
  for (const DdlSetting& setting : kDdlSettings) {
    if ((ddl.*setting.field).empty()) continue;
    text("RESET ");
    text(setting.name);
    text(";\n");
  }
  text("RESET ROLE;\n");
  text(kReplaySearchPath);
  if (leave_transaction) text("\nSTART TRANSACTION;");
}

}  // namespace scribe
