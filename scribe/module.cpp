// The scribe library's entry point.
#include "ddl_capture.hpp"
#include "large_objects.hpp"
#include "../bgworker/engine.hpp"
#include "../bgworker/fs_backup.hpp"
#include "../bgworker/uploader.hpp"
#include "scribe/pg/postgres.hpp"

extern "C" {
#include "miscadmin.h"

PG_MODULE_MAGIC;

PGDLLEXPORT void _PG_init(void);
}

void _PG_init(void) {
  scribe::capture::install_hooks(process_shared_preload_libraries_in_progress);
  scribe::capture::install_large_object_hooks();
  scribe::engine::define_gucs();
  scribe::fs_backup::define_gucs();
  scribe::uploader::define_gucs();
  if (process_shared_preload_libraries_in_progress) {
    // The backup engine needs shared memory and starts its workers with the
    // server: only when loaded at server start.
    scribe::engine::request_shared_memory();
    scribe::engine::register_static_workers();
    scribe::fs_backup::request_shared_memory();
    scribe::uploader::request_shared_memory();
    scribe::uploader::register_static_worker();
  }
}
