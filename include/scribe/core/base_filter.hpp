// pg_dump's plain output for base.sql, with pg_scribe's own extension left
// out: `CREATE EXTENSION scribe` would need pg_scribe installed wherever the
// base is restored (invariant 4: psql alone), and nothing in the database's
// data or schema depends on it.
//
// Only the first entries of the dump are looked at (schemas, extensions and
// their comments, which pg_dump writes before anything else); from the first
// other entry on, bytes pass through untouched, so no user data is ever
// interpreted.
#pragma once

#include <string>
#include <string_view>

#include "scribe/core/compression.hpp"

namespace scribe {

class BaseDumpFilter {
 public:
  explicit BaseDumpFilter(ByteSink sink) : sink_(std::move(sink)) {}
  void write(const char* data, std::size_t len);
  void finish();

 private:
  void take_line(std::string_view line);

  ByteSink sink_;
  std::string line_;
  std::string header_;
  bool passthrough_ = false;
};

}  // namespace scribe
