#include "seal.hpp"

#include "scribe/pg/guard.hpp"

#include "scribe/pg/catalog_spi.hpp"
extern "C" {
#include "access/xact.h"
#include "executor/spi.h"
#include "utils/snapmgr.h"
}

namespace scribe::engine {

namespace {

// format()'s %L quotes with quote_literal: names cannot end the literal.
// pg_sequence_last_value() is NULL for a sequence never used: then the
// sequence is set back to its start with is_called = false.
constexpr const char kSequencesQuery[] =
    "SELECT pg_catalog.format("
    "  'SELECT pg_catalog.setval(c.oid, %s, %s) FROM pg_catalog.pg_class c"
    " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
    " WHERE n.nspname = %L AND c.relname = %L AND c.relkind = ''S'';',"
    "  COALESCE(pg_catalog.pg_sequence_last_value(c.oid), s.seqstart),"
    "  CASE WHEN pg_catalog.pg_sequence_last_value(c.oid) IS NULL THEN 'false' ELSE 'true' END,"
    "  n.nspname, c.relname)"
    " FROM pg_catalog.pg_class c"
    " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
    " JOIN pg_catalog.pg_sequence s ON s.seqrelid = c.oid"
    " WHERE c.relkind = 'S' AND c.relpersistence = 'p'"
    "   AND n.nspname NOT IN ('scribe', 'pg_catalog', 'information_schema')"
    "   AND n.nspname !~ '^pg_(temp|toast)'"
    " ORDER BY n.nspname, c.relname";

}  // namespace

std::string sequence_values_sql() {
  std::string sql = "-- pg_scribe: sequence values at sealing\n";
  bool in_transaction = false;
  try {
    scribe::pg::call_pg([&] {
      SetCurrentStatementStartTimestamp();
      StartTransactionCommand();
      in_transaction = true;
      if (SPI_connect() != SPI_OK_CONNECT) elog(ERROR, "SPI_connect failed");
      PushActiveSnapshot(GetTransactionSnapshot());
      if (scribe::pg::spi_execute_catalog(kSequencesQuery, true, 0) != SPI_OK_SELECT)
        elog(ERROR, "could not read the sequences");
      for (uint64 i = 0; i < SPI_processed; i++) {
        const char* line = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1);
        if (line == nullptr) continue;
        sql += line;
        sql += '\n';
      }
      SPI_finish();
      PopActiveSnapshot();
      CommitTransactionCommand();
      in_transaction = false;
    });
  } catch (...) {
    if (in_transaction) scribe::pg::call_pg([] { AbortCurrentTransaction(); });
    throw;
  }
  return sql;
}

}  // namespace scribe::engine
