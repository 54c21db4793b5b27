#include "scribe/pg/catalog_spi.hpp"

extern "C" {
#include "utils/guc.h"
}

namespace scribe::pg {
namespace {

// search_path for one catalog query, on a GUC nest level of its own. Not a
// destructor's work: an ERROR longjmps past C++ frames, and the
// transaction's (or subtransaction's) abort resets the nest level then, as
// for PostgreSQL's own NewGUCNestLevel users.
int enter_catalog_path() {
  const int nest_level = NewGUCNestLevel();
  (void)set_config_option("search_path", "pg_catalog, pg_temp", PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0,
                          false);
  return nest_level;
}

}  // namespace

int spi_execute_catalog(const char* query, bool read_only, long count) {
  const int nest_level = enter_catalog_path();
  const int rc = SPI_execute(query, read_only, count);
  AtEOXact_GUC(false, nest_level);
  return rc;
}

int spi_execute_catalog_with_args(const char* query, int nargs, Oid* argtypes, Datum* values, const char* nulls,
                                  bool read_only, long count) {
  const int nest_level = enter_catalog_path();
  const int rc = SPI_execute_with_args(query, nargs, argtypes, values, nulls, read_only, count);
  AtEOXact_GUC(false, nest_level);
  return rc;
}

}  // namespace scribe::pg
