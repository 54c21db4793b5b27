// pg_scribe --restore --jobs N: the base (pg_dump's plain output) restored
// over N connections, as pg_restore --jobs does with an archive.
//
// The file stays plain SQL: its sections are found from pg_dump's entry
// headers ("-- Name: ...; Type: ...; Schema: ..."), read by the same
// scanner as the restore, so that COPY data and quoted text are never taken
// for them. The order:
//   1. one connection, one transaction: the prologue and every entry before
//      the last table's data that is not table data (the schema, sequence
//      values, ...), then the ACL entries if the restore is confined;
//   2. the tables' data (TABLE DATA entries: one COPY each), cut into
//      pieces of whole rows (a COPY each, of the same statement, in a
//      transaction of its own), taken largest first by whichever of the N
//      connections is free; and
//   3. indexes and the constraints that build one (Type: INDEX and
//      CONSTRAINT: PRIMARY KEY, UNIQUE, EXCLUDE), each statement in a
//      transaction of its own, taken (before any piece) by a free
//      connection once all of their table's data is loaded: one table's
//      indexes build while another's data loads;
//   4. one connection, one transaction: everything else after the data,
//      in file order (foreign keys, triggers, comments, ACLs, ...).
// Only an entry whose header and statements are both what pg_dump writes
// for its type is moved: anything else keeps its place in file order.
// Every connection runs the file's prologue (its SET statements and
// set_config) and the session settings that later entries changed
// (default_tablespace, ...) as they stand where each entry starts.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "connection.hpp"
#include "report.hpp"
#include "script_runner.hpp"

namespace scribe {
class StoredFileCheck;
}

namespace pgscribe {

enum class BaseEntryKind { kSerial, kData, kIndex };

struct BaseEntry {
  std::uint64_t start = 0, end = 0;  // bytes of the decompressed file, header line included
  BaseEntryKind kind = BaseEntryKind::kSerial;
  std::string sets;  // SET statements in effect where it starts (after the prologue's)
  std::string text;  // kIndex: the entry's statements
  // kData: its COPY statement, and its data (whole lines) cut at line
  // starts into pieces that connections load side by side.
  std::string copy_statement;
  std::vector<std::uint64_t> cuts;  // data start, the cuts between pieces, data end
};

struct BaseLayout {
  std::string prologue;  // before the first entry header
  std::vector<BaseEntry> entries;
  std::string acl_statements;  // as base_acl_statements in restore.cpp
  std::uint64_t size = 0;      // decompressed
  std::size_t data_entries = 0;
};

// Reads the whole (decompressed) base once and tells its entries apart.
// `check` (when given) checks the base against the manifest in the same
// read (see decompress_file). `interrupt` (when given) is called between
// blocks; it throws to stop.
BaseLayout scan_base_layout(const std::string& path, const std::string& name, scribe::StoredFileCheck* check = nullptr,
                            const std::function<void()>& interrupt = {});

struct ParallelBaseOptions {
  const ConnectionOptions* connection = nullptr;
  int jobs = 2;
  bool confined = false;
  std::string path, name;          // the base file
  std::uint64_t stored_bytes = 0;  // its size on disk, for the progress line
  std::uint64_t bytes_before = 0;  // progress already made (globals)
  // Called on the calling thread now and then, with the progress; throws
  // to stop the restore (the other connections are cancelled).
  std::function<void()> interrupt;
};

// Restores the base laid out as `layout` (which has data entries) with
// `conn` and jobs - 1 more connections. A failure on any connection
// cancels the others and is thrown once (ApplyError or DbError).
ApplyStats restore_base_parallel(Connection& conn, const BaseLayout& layout, const ParallelBaseOptions& options,
                                 Progress& progress);

}  // namespace pgscribe
