// Captured DDL is replayed verbatim, possibly into a database of another
// name. PostgreSQL accepts a name qualified with the current database
// (`CREATE TABLE srcdb.app.t ...`, `DROP FUNCTION srcdb.app.f()`,
// `srcdb.app.t.c` in an expression) and ignores the qualifier; in any other
// database the same text fails with "cross-database references are not
// implemented". The capture removes such qualifiers, which changes nothing
// at the source (the parser checks and drops them).
//
// The capture tokenizes the statement with PostgreSQL's own scanner and
// hands each dotted chain of names to this code, which decides whether the
// parser took its first component for the database:
//   - a chain of 3 names is catalog.schema.object, unless it is a column
//     reference (schema.table.column or table.column.field, never a
//     catalog in PostgreSQL's grammar) or a column object (COMMENT ON
//     COLUMN schema.table.column). Such a chain is a catalog-qualified name
//     when it is followed by '(' (a function, a table's column list), or
//     when its second component names an existing schema: in a
//     catalog-qualified name it always does (the parser looks the schema
//     up), in schema.table.column it would be a table that is named like a
//     schema.
//   - a chain of 4 or more names starting with the database's name is
//     catalog-qualified (catalog.schema.table.column in an expression, or
//     a column object): PostgreSQL checks that reading first.
// Only chains whose first component equals the database's name (as the
// scanner gives it: case-folded unless quoted) are candidates; the parser
// rejects any other catalog.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace scribe {

struct NameChain {
  std::vector<std::string> parts;    // each component's value (identifier after case folding / dequoting)
  std::vector<std::size_t> offsets;  // byte offset of each component's token in the statement
  bool followed_by_parenthesis = false;
};

bool is_catalog_qualified(const NameChain& chain, std::string_view database,
                          const std::function<bool(std::string_view)>& is_schema);

// The statement without the catalog qualifiers of the catalog-qualified
// chains: from the first component's token up to the second's (the
// qualifier, the dot and any blanks or comments between them).
std::string without_catalog_qualifiers(std::string_view statement, const std::vector<NameChain>& chains,
                                       std::string_view database,
                                       const std::function<bool(std::string_view)>& is_schema);

}  // namespace scribe
