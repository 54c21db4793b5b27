#include "unreadable_data.hpp"

#include "scribe/core/unreadable_types.hpp"
#include "scribe/pg/guard.hpp"
#include "scribe/pg/catalog_spi.hpp"
#include "scribe/pg/postgres.hpp"

extern "C" {
#include "executor/spi.h"
#include "utils/builtins.h"
}

namespace scribe::engine {
namespace {

// Types built on an unreadable one (domains, arrays, composites, ranges,
// multiranges), as wal2sql's type_is_unreadable finds them; then the
// tables with a column of one. %s: the input functions' names as literals.
constexpr const char kUnreadableTablesQuery[] =
    "WITH RECURSIVE unreadable(oid) AS ("
    "  SELECT t.oid FROM pg_catalog.pg_type t"
    "   WHERE t.typtype = 'p' OR t.typinput IN (SELECT p.oid FROM pg_catalog.pg_proc p"
    "                                            WHERE p.pronamespace = 'pg_catalog'::pg_catalog.regnamespace"
    "                                              AND p.proname IN (%s))"
    "  UNION"
    "  SELECT x.child FROM unreadable u JOIN ("
    "    SELECT oid AS child, typbasetype AS parent FROM pg_catalog.pg_type WHERE typtype = 'd'"
    "    UNION ALL SELECT oid, typelem FROM pg_catalog.pg_type"
    "     WHERE typsubscript = 'pg_catalog.array_subscript_handler'::pg_catalog.regproc"
    "    UNION ALL SELECT c.reltype, a.atttypid FROM pg_catalog.pg_attribute a"
    "      JOIN pg_catalog.pg_class c ON c.oid = a.attrelid"
    "     WHERE c.relkind = 'c' AND a.attnum > 0 AND NOT a.attisdropped"
    "    UNION ALL SELECT rngtypid, rngsubtype FROM pg_catalog.pg_range"
    "    UNION ALL SELECT rngmultitypid, rngtypid FROM pg_catalog.pg_range) x ON x.parent = u.oid)"
    "SELECT DISTINCT n.nspname, c.relname"
    "  FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
    "  JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped"
    " WHERE c.relkind = 'r' AND c.relpersistence = 'p' AND a.atttypid IN (SELECT oid FROM unreadable)"
    "   AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_toast'"
    " ORDER BY 1, 2";

// A pg_dump pattern that matches exactly this name: inside double quotes
// the pattern characters (* ? . and regular expression ones) are literal,
// and a double quote is written twice.
std::string exact_pattern(const std::string& name) {
  std::string pattern = "\"";
  for (const char ch : name) {
    if (ch == '"') pattern += '"';
    pattern += ch;
  }
  return pattern + "\"";
}

}  // namespace

std::vector<std::string> unreadable_table_data_exclusions() {
  std::string functions;
  for (const std::string_view f : kUnreadableTypeInputFunctions)
    functions += (functions.empty() ? "'" : ", '") + std::string(f) + "'";  // plain names: no quoting needed
  std::vector<std::pair<std::string, std::string>> tables;
  scribe::pg::call_pg([&] {
    StringInfoData query;
    initStringInfo(&query);
    appendStringInfo(&query, kUnreadableTablesQuery, functions.c_str());
    if (SPI_connect() != SPI_OK_CONNECT) elog(ERROR, "SPI_connect failed");
    if (scribe::pg::spi_execute_catalog(query.data, true, 0) != SPI_OK_SELECT)
      elog(ERROR, "pg_scribe: the unreadable tables query failed");
    for (uint64 i = 0; i < SPI_processed; i++)
      tables.emplace_back(SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1),
                          SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2));
    SPI_finish();
    pfree(query.data);
  });
  std::vector<std::string> args;
  std::string names;
  for (const auto& [schema, table] : tables) {
    args.push_back("--exclude-table-data=" + exact_pattern(schema) + "." + exact_pattern(table));
    std::string quoted;
    scribe::pg::call_pg([&] { quoted = quote_qualified_identifier(schema.c_str(), table.c_str()); });
    names += (names.empty() ? "" : ", ") + quoted;
  }
  if (!tables.empty())
    scribe::pg::call_pg([&] {
      ereport(WARNING,
              (errmsg("the rows of %zu table(s) are not in the base backup: %s", tables.size(), names.c_str()),
               errdetail("They have columns of a type whose values no input function accepts (pg_node_tree, "
                         "pg_ndistinct, ...): pg_dump could write them, but not restore them. Their later changes "
                         "are in the backup with those columns NULL."),
               errhint("Cast such columns to text (ALTER TABLE ... ALTER COLUMN ... TYPE text) to back them up.")));
    });
  return args;
}

}  // namespace scribe::engine
