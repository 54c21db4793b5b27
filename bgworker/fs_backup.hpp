// File-system backups held open across sessions (scribe.fs_backup_start,
// scribe.fs_backup_stop): the hooks the library's _PG_init installs.
#pragma once

namespace scribe::fs_backup {

// scribe.fs_backup_timeout; every load of the library.
void define_gucs();
// scribe.max_fs_backups, the backup slots in shared memory and the recovery
// of the records after a restart; only while shared_preload_libraries loads.
void request_shared_memory();

}  // namespace scribe::fs_backup
