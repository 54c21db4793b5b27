// Merges runs of single-row INSERTs into one table into multi-row INSERTs.
//
// Replaying a diff one statement at a time costs the server a parse, an
// analysis and a plan per row. wal2sql writes every inserted row as
//   INSERT INTO <schema>.<table> (<columns>) [OVERRIDING SYSTEM VALUE ]VALUES (<values>);
// and consecutive ones into the same table with the same columns can be
// sent as one statement with many VALUES rows, which the server plans once.
// The result is the same: INSERT coerces each VALUES row to the target
// columns on its own, and rows are inserted in order (row triggers fire per
// row; replay runs with session_replication_role = replica).
//
// Only statements of exactly that shape are merged; the head is parsed
// token by token (identifiers plain or double-quoted), so a quoted name
// that contains " VALUES (" is never mistaken for the end of the head.
// Anything else passes through unchanged and ends the run.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace scribe {

// Length of the head "INSERT INTO s.t (a, b) VALUES " of a statement wal2sql
// writes for one row, if `statement` (its text up to and including the final
// ';') has that shape and its values are one parenthesised row; 0 otherwise.
std::size_t single_row_insert_head(std::string_view statement);

class InsertBatcher {
 public:
  InsertBatcher(std::size_t max_rows = 1000, std::size_t max_bytes = 1 << 20)
      : max_rows_(max_rows), max_bytes_(max_bytes) {}

  // Appends `statement` (complete, ending in ';') to `out`, as another row of
  // the open multi-row INSERT when it can be one.
  void add(std::string_view statement, std::string& out);

  // Ends the open multi-row INSERT, if any, with ";\n". Call before adding
  // anything else to `out` and before sending it.
  void flush(std::string& out);

  // Forgets the open INSERT without ending it: the caller dropped the text
  // it was writing into (a transaction cut short).
  void reset() {
    head_.clear();
    rows_ = 0;
    bytes_ = 0;
  }

  std::uint64_t rows_merged() const { return rows_merged_; }

 private:
  std::size_t max_rows_;
  std::size_t max_bytes_;
  std::string head_;  // of the open INSERT; empty when none is open
  std::size_t rows_ = 0;
  std::size_t bytes_ = 0;
  std::uint64_t rows_merged_ = 0;
};

}  // namespace scribe
