// SPI for pg_scribe's own catalog queries (server code, inside SPI_connect).
//
// They run in sessions that are not pg_scribe's: the event trigger in the
// session of whoever runs DDL (often a superuser's migration), scribe.init
// in its caller's. The session's search_path is its own, and an operator,
// function or type that a role created in a schema on it wins over
// pg_catalog's wherever pg_catalog has no exact match (oid = regclass,
// real < integer), or everywhere when the path lists pg_catalog after it
// (the CVE-2018-1058 class). These run the query with search_path =
// pg_catalog, pg_temp, as PostgreSQL runs its own maintenance commands;
// the session's path is back when they return (or when an error unwinds
// the transaction). Not for statements of the user's, which need the
// session's settings (scribe/restore_confine.cpp).
#pragma once

#include "scribe/pg/postgres.hpp"

extern "C" {
#include "executor/spi.h"
}

namespace scribe::pg {

int spi_execute_catalog(const char* query, bool read_only, long count);
int spi_execute_catalog_with_args(const char* query, int nargs, Oid* argtypes, Datum* values, const char* nulls,
                                  bool read_only, long count);

}  // namespace scribe::pg
