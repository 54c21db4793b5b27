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

// An undo that also runs when the session ends with FATAL while it exists
// (pg_terminate_backend, a shutdown, a lost client): proc_exit() leaves from
// deep inside the call, so C++ destructors (the undo of the normal error
// paths) never run then, and a half-made chain, its slot, or a decode limit
// held for new_chain would stay behind. The action runs from a
// before_shmem_exit callback, innermost first; its errors are logged. The
// destructor only deregisters it.
class ExitUndo {
 public:
  explicit ExitUndo(std::function<void()> action);
  ~ExitUndo();
  ExitUndo(const ExitUndo&) = delete;
  ExitUndo& operator=(const ExitUndo&) = delete;
  void run() const { action_(); }

 private:
  std::function<void()> action_;
};

// Drops `slot` if it exists, belongs to this database and no process uses
// it, without waiting; true if it was dropped.
bool drop_unused_slot(const std::string& slot);

// The slot of a chain made by scribe.new_chain(): the name given to init
// with the chain id appended, cut to fit NAMEDATALEN.
std::string derived_slot_name(const std::string& base, const std::string& chain_id);

// What a scribe.new_chain() that a crash interrupted leaves behind (its
// backend dies with the server's restart, so its own undo never runs): a
// chain directory newer than the configured chain, half made or whole,
// and its slot; and the slot of an older chain, kept when the crash came
// between the switch of the configuration and the drop of that slot. An
// orphan slot retains WAL for ever, and a newer chain directory is what
// pg_scribe --restore picks by default. Removes them and logs each. The
// caller holds the API lock (no scribe.init() or scribe.new_chain() of this
// database is making a chain meanwhile).
void remove_abandoned_chains(const std::string& backup_dir, const std::string& current_chain,
                             const std::string& current_slot, const std::string& slot_base);

// Connection string for the local server as the session user (libpq syntax).
std::string local_conninfo();

}  // namespace scribe::engine
