// Taking a chain's base (DESIGN.md invariant 1): a slot created over a
// replication connection exports a snapshot, and pg_dump --snapshot dumps
// the database with it while the connection holds it open.
#pragma once

#include <functional>
#include <string>

#include "scribe/core/compression.hpp"
#include "scribe/pg/postgres.hpp"

extern "C" {
#include "access/xlogdefs.h"
}

namespace scribe::engine {

struct BaseRequest {
  std::string backup_dir;
  std::string chain_id;
  std::string slot;
  CompressionSpec compression;
  // Called once the slot exists, with its consistent point, before the dump.
  std::function<void(XLogRecPtr)> on_slot_created;
};

struct BaseResult {
  std::string chain_dir;
  XLogRecPtr start_lsn = InvalidXLogRecPtr;
};

// Creates chain-<ID>/ with base.sql[.ext], globals.sql, metadata.json,
// manifest.json and active.sql. On failure it drops the slot and removes the
// chain directory before the error propagates.
BaseResult take_base(const BaseRequest& request);

// Drops a slot of this database if it exists (cleanup paths).
void drop_slot_if_exists(const std::string& slot);

// Connection string for the local server as the session user (libpq syntax).
std::string local_conninfo();

}  // namespace scribe::engine
