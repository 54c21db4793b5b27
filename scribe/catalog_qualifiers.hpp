// Database-qualified names in captured DDL (see
// include/scribe/core/catalog_qualifier.hpp): the statement's tokens, from
// PostgreSQL's own scanner, read with the current database's name and
// schemas.
#pragma once

#include <string>
#include <string_view>

namespace scribe::capture {

// `statement` without the qualifiers that name the current database, so
// that it replays into a database of any name. Unchanged when it has none.
std::string without_database_qualifiers(std::string_view statement);

}  // namespace scribe::capture
