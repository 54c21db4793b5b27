// pg_dump's plain output for base.sql, with pg_scribe's own entries left
// out: `CREATE EXTENSION scribe` would need pg_scribe installed wherever the
// base is restored (invariant 4: psql alone), and so would the GRANTs,
// security labels and policies that pg_dump writes for the extension's
// member objects when they differ from the extension script's
// (pg_init_privs). Nothing in the database's data or schema depends on them.
//
// pg_dump is run in its "include everything" mode (any --extension, -n or
// -t pattern would silently drop event triggers, casts, languages, foreign
// servers, publications, default privileges, large objects, ...), so the
// filter follows the whole dump: it splits it into pg_dump's entries at their
// header comments ("-- Name: <tag>; Type: <type>; Schema: <schema>; Owner:
// <owner>") and leaves out the statements of the entries whose header is one
// of the given lines, exactly. Headers are recognised with DiffScanner, as
// psql lexes the file: a header-looking line inside a string, a function
// body or COPY data is data, so no value can make the filter drop anything
// but a whole entry of pg_dump's, and only one whose header equals one of
// pg_scribe's own lines.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "scribe/core/compression.hpp"
#include "scribe/core/diff_scan.hpp"

namespace scribe {

// The header line pg_dump (pg_backup_archiver.c, _printTocEntry) writes for
// an entry: newlines in the fields become spaces, an empty schema is "-".
std::string dump_entry_header(std::string_view tag, std::string_view type, std::string_view schema,
                              std::string_view owner);

// The headers of the scribe extension's own entries (CREATE EXTENSION, its
// comment and security label), as pg_dump 15 to 18 write them.
std::vector<std::string> scribe_extension_entry_headers();

class BaseDumpFilter {
 public:
  // `own_entries`: header lines (dump_entry_header) of the entries to leave
  // out, besides scribe_extension_entry_headers().
  explicit BaseDumpFilter(ByteSink sink, const std::vector<std::string>& own_entries = {});
  BaseDumpFilter(const BaseDumpFilter&) = delete;
  BaseDumpFilter& operator=(const BaseDumpFilter&) = delete;

  void write(const char* data, std::size_t len);
  void finish();

  std::uint64_t entries_left_out() const { return left_out_; }

 private:
  void on_header(std::uint64_t start, std::uint64_t end, std::string_view line, bool complete);
  void on_statement(const DiffStatement& statement);
  void flush_to(std::uint64_t offset, bool pass);

  ByteSink sink_;
  std::unordered_set<std::string> own_;
  DiffScanner scanner_;
  std::string pending_;  // bytes [pending_start_, scanner_.bytes_fed()) not yet passed on
  std::uint64_t pending_start_ = 0;
  bool dropping_ = false;  // the current entry is one of ours
  std::uint64_t left_out_ = 0;
};

}  // namespace scribe
