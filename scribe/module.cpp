// The scribe library's entry point.
#include "ddl_capture.hpp"
#include "scribe/pg/postgres.hpp"

extern "C" {
#include "miscadmin.h"

PG_MODULE_MAGIC;

PGDLLEXPORT void _PG_init(void);
}

void _PG_init(void) { scribe::capture::install_hooks(process_shared_preload_libraries_in_progress); }
