// Verification of a chain directory (DESIGN.md, "The backup directory"):
// what `pg_scribe --verify` reports, and what `pg_scribe --restore` checks
// before it applies a diff (the base it checks as it restores it, with
// StoredFileCheck below). Every file the manifest lists is read once,
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
#include <memory>
#include <string>
#include <string_view>
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
  // The checks of the chain as a whole: files the manifest does not list,
  // the end of a closed chain. false: only the files included above (a
  // restore checks globals.sql on its own before it applies it).
  bool check_directory = true;
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

// What pg_dump and pg_dumpall write last: without it a dump was cut short,
// even at a statement boundary.
inline constexpr std::string_view kDumpClosingLine = "-- PostgreSQL database dump complete";
inline constexpr std::string_view kDumpAllClosingLine = "-- PostgreSQL database cluster dump complete";

// The checks verify_chain makes of one stored file, but the scan of a
// diff's statements: the manifest's compression against the file name, the
// size and sha256 of the bytes as stored and, on the content decompressed
// to its end, no NUL byte and the closing line of a dump. Fed by whoever
// reads the file, so that a reader that decompresses it anyway checks it in
// the same pass: pg_scribe --restore checks the base from the bytes it
// restores.
class StoredFileCheck {
 public:
  // `closing_line` (kept, not copied): kDumpClosingLine for a base,
  // kDumpAllClosingLine for globals, empty for a diff. `check_content` as
  // VerifyOptions's (false: content() and content_failed() are not needed).
  StoredFileCheck(const StoredFile& file, std::string_view closing_line, bool check_content = true);
  ~StoredFileCheck();
  StoredFileCheck(const StoredFileCheck&) = delete;
  StoredFileCheck& operator=(const StoredFileCheck&) = delete;

  // The file's next bytes as stored.
  void stored(const char* data, std::size_t n);
  // The next bytes of its content (decompressed; a plain file's bytes).
  void content(const char* data, std::size_t n);
  // The content could not be decompressed (`problem` says why): the rest of
  // it is not looked at, and the closing line is not looked for.
  void content_failed(std::string problem);
  // After the whole file was given: the checks that need all of it.
  void finish();

  std::uint64_t stored_bytes() const;
  // The problems found so far, in verify_chain's order; they are forgotten.
  // The compression field's is found by the constructor.
  std::vector<VerifyProblem> take_problems();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace scribe
