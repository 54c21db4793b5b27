// Verification of a chain directory (DESIGN.md, "The backup directory"):
// what `pg_scribe --verify` reports, and what `pg_scribe --restore` checks
// before it applies anything. Every file the manifest lists is read once,
// in chunks (memory stays bounded whatever the sizes), its size and sha256
// compared with the manifest, and a diff's content decompressed and scanned
// in the same pass: header, trailer, transactions and commit LSNs must agree
// with the manifest and join the diffs into one stream without gap or
// overlap (invariants 1 to 3).
//
// Files are not trusted: a missing, unreadable, truncated, corrupted or
// hostile file (or manifest) is reported as a problem, never thrown. Only an
// exception thrown by on_progress leaves verify_chain (a way to cancel).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "scribe/core/chain.hpp"

namespace scribe {

struct VerifyOptions {
  // Decompress and scan diffs: header, trailer and transactions agree with
  // the manifest, every transaction is complete. A compressed base or
  // globals file is decompressed to its end too. false: size and sha256 only.
  bool check_content = true;
  // Restore checks only what it will apply: diffs [0, diff_limit) (SIZE_MAX = all).
  std::size_t diff_limit = SIZE_MAX;
  bool include_base = true;
  bool include_globals = true;
  // Bytes read so far (all files), called every few MB and once at the end
  // with the total; may be empty.
  std::function<void(std::uint64_t bytes)> on_progress;
};

enum class Severity { kError, kWarning };

struct VerifyProblem {
  Severity severity = Severity::kError;
  std::string file;     // name inside the chain directory, "" for the chain itself
  std::string message;  // lower case, no trailing period; text taken from files is escaped
};

struct VerifyReport {
  std::string chain_id;  // the manifest's, or the directory name's when there is no manifest
  Manifest manifest;     // as loaded (valid only if manifest_ok)
  bool manifest_ok = false;
  // In the order found: manifest, base, globals, diffs in manifest order,
  // files the manifest does not know, the end of a closed chain.
  std::vector<VerifyProblem> problems;
  std::uint64_t files_checked = 0;  // stored files read to their end
  std::uint64_t bytes_checked = 0;  // bytes read from them (as stored)
  std::uint64_t transactions_checked = 0;

  bool ok() const;  // no kError problem
};

VerifyReport verify_chain(const std::string& chain_dir, const VerifyOptions& options);

}  // namespace scribe
