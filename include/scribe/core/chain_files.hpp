// The file work of a chain that keeps invariants 2 and 3: the active file
// is cut back to its last whole transaction after a crash, and a diff is
// sealed by fsync, rename, fsync of the directory and a manifest entry with
// its checksum. No server code: the worker supplies LSNs and the sequence
// values, and these functions do the files.
#pragma once

#include <cstdint>
#include <string>

#include "scribe/core/chain.hpp"
#include "scribe/core/compression.hpp"

namespace scribe {

// Header line, replay prologue for a database in `encoding`; fsynced, and
// the directory too. Replaces any file of that name.
void create_active_file(const std::string& chain_dir, const std::string& chain_id, std::uint64_t start_lsn,
                        const std::string& encoding);

struct ActiveFileState {
  std::uint64_t start_lsn = 0;
  std::uint64_t size = 0;          // after the torn tail was cut
  std::uint64_t torn_bytes = 0;    // how much was cut
  std::uint64_t transactions = 0;  // whole transactions in the file
  std::uint64_t last_commit_lsn = 0;
  bool unsealed = false;  // the cut bytes were the trailer of an interrupted seal
};

// Reads active.sql, cuts what follows its last whole transaction (a crash
// while writing, or the trailer of a seal interrupted before its rename),
// and makes that durable. A file with no whole transaction and a damaged
// start is written anew from `fallback_start_lsn`.
ActiveFileState recover_active_file(const std::string& chain_dir, const std::string& chain_id,
                                    std::uint64_t fallback_start_lsn, const std::string& encoding);

struct SealRequest {
  std::string chain_dir;
  std::string file_timestamp;  // names the diff: diff-<file_timestamp>.sql[.ext]
  std::uint64_t end_lsn = 0;   // the stream position the diff ends at
  std::string sequences_sql;   // appended before the trailer
  CompressionSpec compression;
  std::string sealed_at;  // ISO 8601 UTC
};

// Turns active.sql into a sealed diff (not yet in the manifest; see
// add_to_manifest). If it fails before the rename, active.sql is as it was
// and nothing else is left behind.
SealedDiff seal_active_file(const SealRequest& request);

// Describes a sealed diff file already in place (one a crash left out of the
// manifest): checks it is whole, computes its checksum and ranges.
SealedDiff describe_sealed_diff(const std::string& chain_dir, const std::string& file_name,
                                const std::string& sealed_at);

void save_manifest(const std::string& chain_dir, const Manifest& manifest);
Manifest load_manifest(const std::string& chain_dir);

// Brings a chain directory to a consistent state after a crash: removes
// temporary files, puts sealed diffs that missed the manifest into it, and
// removes an active.sql a completed compression left behind. Returns true
// when it changed something.
bool reconcile_chain(const std::string& chain_dir, Manifest& manifest, const std::string& now_iso);

}  // namespace scribe
