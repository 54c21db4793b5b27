// Authentication of captured DDL messages (scribe/core/ddl_message.hpp):
// the cluster's key, and the HMAC that proves a message came from
// pg_scribe and not from any role that can call pg_logical_emit_message().
// Server code: call through scribe::pg::call_pg.
#pragma once

#include <cstddef>
#include <cstdint>

#include "scribe/core/ddl_message.hpp"

namespace scribe::pg {

// Relative to the data directory; created with a fresh random key the first
// time it is needed. Readable only by the server's OS user (and superusers
// through pg_read_binary_file), copied along by pg_basebackup.
inline constexpr char kDdlKeyPath[] = "pg_scribe/ddl_message.key";

struct DdlKey {
  unsigned char bytes[32];
};

// Reads the key, creating it first if it does not exist yet.
void load_or_create_ddl_key(DdlKey* key);

// Lower-case hex HMAC-SHA256 of "<xid>\n<statement>" into out (64 chars).
void sign_ddl(const DdlKey& key, std::uint32_t xid, const char* statement, std::size_t len,
              char (&out)[kDdlMacHexLength]);

}  // namespace scribe::pg
