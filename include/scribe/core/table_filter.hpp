// wal2json-style table lists: "schema.table,*.table,schema.*".
// Names are matched exactly (case-sensitive, unquoted). A backslash makes the
// next character literal, so "my\.schema.t\,1" names table "t,1" in schema
// "my.schema", and "\*" is a literal asterisk.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace scribe {

class TableFilter {
 public:
  // Parses a comma-separated list; throws scribe::Error (22023) naming the
  // bad entry. An empty or all-blank list yields an empty filter.
  static TableFilter parse(std::string_view spec, std::string_view option_name);

  bool empty() const noexcept { return patterns_.empty(); }
  bool matches(std::string_view schema, std::string_view table) const noexcept;

 private:
  struct Pattern {
    bool any_schema = false;
    bool any_table = false;
    std::string schema;
    std::string table;
  };
  std::vector<Pattern> patterns_;
};

}  // namespace scribe
