-- pg_scribe 0.3: DDL capture and the backup engine's SQL API.
\echo Use "CREATE EXTENSION scribe" to load this file. \quit

COMMENT ON SCHEMA scribe IS 'pg_scribe: continuous plain-SQL backup';
REVOKE ALL ON SCHEMA scribe FROM PUBLIC;

-- Refuse to install where the library was not loaded at server start: the
-- capture would then miss statement texts.
CREATE FUNCTION scribe.assert_preloaded() RETURNS void
  LANGUAGE C STRICT AS 'MODULE_PATHNAME', 'scribe_assert_preloaded';
SELECT scribe.assert_preloaded();

-- Writes each DDL statement into the WAL as a signed, transactional
-- "scribe.ddl" message (see the README, "Captured DDL").
CREATE FUNCTION scribe.capture_ddl() RETURNS event_trigger
  LANGUAGE C AS 'MODULE_PATHNAME', 'scribe_capture_ddl';
REVOKE ALL ON FUNCTION scribe.capture_ddl() FROM PUBLIC;

CREATE EVENT TRIGGER scribe_capture_ddl_start ON ddl_command_start EXECUTE FUNCTION scribe.capture_ddl();
CREATE EVENT TRIGGER scribe_capture_sql_drop ON sql_drop EXECUTE FUNCTION scribe.capture_ddl();
CREATE EVENT TRIGGER scribe_capture_ddl_end ON ddl_command_end EXECUTE FUNCTION scribe.capture_ddl();
-- ALWAYS: session_replication_role = replica must not switch capture off.
ALTER EVENT TRIGGER scribe_capture_ddl_start ENABLE ALWAYS;
ALTER EVENT TRIGGER scribe_capture_sql_drop ENABLE ALWAYS;
ALTER EVENT TRIGGER scribe_capture_ddl_end ENABLE ALWAYS;

-- ---------------------------------------------------------------------------
-- The backup engine. Every function is revoked from PUBLIC; the ones that
-- write server files also check for superuser or pg_write_server_files.

CREATE FUNCTION scribe.init(backup_dir text, slot_name name DEFAULT 'pg_scribe', compression text DEFAULT 'none',
                            force boolean DEFAULT false, repository text DEFAULT NULL,
                            OUT chain_id text, OUT chain_dir text, OUT slot_name name, OUT start_lsn pg_lsn)
  LANGUAGE C CALLED ON NULL INPUT VOLATILE AS 'MODULE_PATHNAME', 'scribe_init';
COMMENT ON FUNCTION scribe.init(text, name, text, boolean, text) IS
  'validate, create the slot, dump the base with its snapshot, and start streaming into backup_dir (and, with a repository s3://bucket/prefix, uploading each sealed file there)';

CREATE FUNCTION scribe.start() RETURNS boolean
  LANGUAGE C VOLATILE AS 'MODULE_PATHNAME', 'scribe_start';
COMMENT ON FUNCTION scribe.start() IS 'start streaming again (the slot kept everything since scribe.stop())';

CREATE FUNCTION scribe.stop() RETURNS boolean
  LANGUAGE C VOLATILE AS 'MODULE_PATHNAME', 'scribe_stop';
COMMENT ON FUNCTION scribe.stop() IS 'stop streaming; the slot stays, so nothing is lost';

CREATE FUNCTION scribe.rotate_diff(OUT diff_file text, OUT first_lsn pg_lsn, OUT last_lsn pg_lsn,
                                   OUT transactions bigint, OUT bytes bigint, OUT sha256 text)
  LANGUAGE C VOLATILE AS 'MODULE_PATHNAME', 'scribe_rotate_diff';
COMMENT ON FUNCTION scribe.rotate_diff() IS
  'seal active.sql as diff-<UTC timestamp>.sql[.ext]; first_lsn/last_lsn: the WAL range it covers';

CREATE FUNCTION scribe.new_chain(compression text DEFAULT NULL) RETURNS text
  LANGUAGE C CALLED ON NULL INPUT VOLATILE AS 'MODULE_PATHNAME', 'scribe_new_chain';
COMMENT ON FUNCTION scribe.new_chain(text) IS
  'start a new chain (new slot, new base) where the current one ends; returns its id';

CREATE FUNCTION scribe.teardown(drop_slot boolean DEFAULT true) RETURNS boolean
  LANGUAGE C CALLED ON NULL INPUT VOLATILE AS 'MODULE_PATHNAME', 'scribe_teardown';
COMMENT ON FUNCTION scribe.teardown(boolean) IS 'stop backing up this database and drop its slot; files are kept';

CREATE FUNCTION scribe.status_rows(
    OUT database name, OUT datid oid, OUT slot_name name, OUT worker_pid integer, OUT state text,
    OUT last_error text, OUT last_error_at timestamptz, OUT backup_dir text, OUT chain_id text,
    OUT compression text, OUT active_bytes bigint, OUT written_lsn pg_lsn, OUT caught_up_at timestamptz,
    OUT last_rotation timestamptz, OUT diffs_in_chain integer, OUT enabled boolean)
  RETURNS SETOF record LANGUAGE C VOLATILE AS 'MODULE_PATHNAME', 'scribe_status_rows';

-- The uploader's state per backup with a repository (scribe.status shows it).
CREATE FUNCTION scribe.upload_status(
    OUT datid oid, OUT repository text, OUT files_waiting integer, OUT bytes_waiting bigint,
    OUT files_uploaded bigint, OUT last_upload_at timestamptz, OUT last_error text, OUT last_error_at timestamptz,
    OUT uploader_pid integer)
  RETURNS SETOF record LANGUAGE C VOLATILE AS 'MODULE_PATHNAME', 'scribe_upload_status';

CREATE VIEW scribe.status AS
SELECT s.database, s.slot_name, s.worker_pid, s.state, s.last_error, s.last_error_at, s.backup_dir,
       s.chain_id AS current_chain, s.compression, s.active_bytes,
       r.confirmed_flush_lsn,
       l.lag_bytes,
       CASE WHEN s.state = 'idle' THEN 0::double precision
            WHEN s.caught_up_at IS NULL THEN NULL
            ELSE extract(epoch FROM pg_catalog.clock_timestamp() - s.caught_up_at)::double precision
       END AS lag_seconds,
       r.wal_status, r.safe_wal_size, s.last_rotation, s.diffs_in_chain,
       pg_catalog.array_remove(ARRAY[
         CASE WHEN l.lag_bytes > 10::bigint * 1024 * 1024 * 1024 THEN 'lag over 10 GB'
              WHEN l.lag_bytes > 1024 * 1024 * 1024 THEN 'lag over 1 GB' END,
         CASE WHEN s.enabled AND s.worker_pid IS NULL THEN 'worker not running' END,
         CASE WHEN u.last_error IS NOT NULL THEN 'upload to ' || u.repository || ' failing, ' || coalesce(u.files_waiting::text, 'some') || ' file(s) wait in the backup directory: ' || u.last_error END,
         CASE WHEN u.repository IS NOT NULL AND u.uploader_pid IS NULL THEN 'uploader not running: sealed files wait in the backup directory' END,
         CASE WHEN s.state = 'error' THEN 'worker error, retrying: ' || coalesce(s.last_error, '') END,
         CASE WHEN NOT s.enabled AND r.slot_name IS NOT NULL AND r.wal_status IS DISTINCT FROM 'lost' THEN 'stopped by scribe.stop(): the slot retains WAL' END,
         CASE WHEN r.slot_name IS NULL THEN 'replication slot is missing: the chain is broken, run scribe.teardown() and scribe.init()'
              WHEN r.wal_status = 'lost' THEN 'slot lost required WAL: the chain is broken, a new chain is needed (scribe.teardown() and scribe.init())'
              WHEN r.wal_status <> 'reserved' THEN 'slot wal_status is ' || r.wal_status || ': WAL may soon be lost' END,
         CASE WHEN s.datid = (SELECT oid FROM pg_catalog.pg_database WHERE datname = pg_catalog.current_database())
               AND EXISTS (SELECT 1 FROM pg_catalog.pg_class WHERE relpersistence = 'u' AND relkind IN ('r', 'p'))
              THEN 'unlogged tables are not backed up' END,
         CASE WHEN s.datid = (SELECT oid FROM pg_catalog.pg_database WHERE datname = pg_catalog.current_database())
               AND EXISTS (SELECT 1 FROM pg_catalog.pg_largeobject_metadata)
              THEN 'large objects are not backed up' END,
         CASE WHEN s.datid = (SELECT oid FROM pg_catalog.pg_database WHERE datname = pg_catalog.current_database())
               AND EXISTS (SELECT 1 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                            WHERE c.relkind = 'r' AND c.relpersistence = 'p'
                              AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'scribe')
                              AND n.nspname !~ '^pg_toast'
                              AND (c.relreplident = 'n'
                                   OR (c.relreplident = 'd' AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_index i
                                                                           WHERE i.indrelid = c.oid AND i.indisprimary
                                                                             AND i.indimmediate AND i.indisvalid))
                                   OR (c.relreplident = 'i' AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_index i
                                                                           WHERE i.indrelid = c.oid AND i.indisreplident))))
              THEN 'tables without usable replica identity: their UPDATE and DELETE are not backed up (a comment in the diff marks each; scribe.auto_replica_identity = on gives new ones REPLICA IDENTITY FULL)' END,
         CASE WHEN s.datid = (SELECT oid FROM pg_catalog.pg_database WHERE datname = pg_catalog.current_database())
               AND EXISTS (WITH RECURSIVE unreadable(oid) AS (
                             SELECT t.oid FROM pg_catalog.pg_type t
                              WHERE t.typtype = 'p'
                                 OR t.typinput IN (SELECT p.oid FROM pg_catalog.pg_proc p
                                                    WHERE p.pronamespace = 'pg_catalog'::pg_catalog.regnamespace
                                                      AND p.proname IN ('pg_node_tree_in', 'pg_ndistinct_in',
                                                                        'pg_dependencies_in', 'pg_mcv_list_in',
                                                                        'brin_bloom_summary_in',
                                                                        'brin_minmax_multi_summary_in', 'gtsvectorin',
                                                                        'pg_ddl_command_in'))
                             UNION
                             SELECT x.child FROM unreadable u JOIN (
                               SELECT oid AS child, typbasetype AS parent FROM pg_catalog.pg_type WHERE typtype = 'd'
                               UNION ALL SELECT oid, typelem FROM pg_catalog.pg_type
                                WHERE typsubscript = 'pg_catalog.array_subscript_handler'::pg_catalog.regproc
                               UNION ALL SELECT c.reltype, a.atttypid FROM pg_catalog.pg_attribute a
                                 JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
                                WHERE c.relkind = 'c' AND a.attnum > 0 AND NOT a.attisdropped
                               UNION ALL SELECT rngtypid, rngsubtype FROM pg_catalog.pg_range
                               UNION ALL SELECT rngmultitypid, rngtypid FROM pg_catalog.pg_range) x ON x.parent = u.oid)
                           SELECT 1 FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
                             JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                            WHERE c.relkind = 'r' AND c.relpersistence = 'p' AND a.attnum > 0 AND NOT a.attisdropped
                              AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_toast'
                              AND a.atttypid IN (SELECT oid FROM unreadable))
              THEN 'tables with columns whose values no input function accepts (pg_node_tree, ...): the base has none of their rows, the diffs write those columns as NULL' END
       ]::text[], NULL) AS warnings,
       u.repository, u.files_waiting AS upload_files_waiting, u.bytes_waiting AS upload_bytes_waiting,
       u.last_upload_at, u.last_error AS upload_last_error, u.last_error_at AS upload_last_error_at
  FROM scribe.status_rows() s
  LEFT JOIN scribe.upload_status() u ON u.datid = s.datid
  LEFT JOIN pg_catalog.pg_replication_slots r ON r.slot_name = s.slot_name
  LEFT JOIN LATERAL (SELECT CASE WHEN r.confirmed_flush_lsn IS NULL THEN NULL
                                 ELSE pg_catalog.pg_wal_lsn_diff(pg_catalog.pg_current_wal_flush_lsn(),
                                                                 r.confirmed_flush_lsn)::bigint END AS lag_bytes) l
    ON true;
COMMENT ON VIEW scribe.status IS 'one row per database backed up by pg_scribe in this cluster';

CREATE FUNCTION scribe.chain_files(backup_dir text,
    OUT chain_id text, OUT file text, OUT kind text, OUT bytes bigint, OUT start_lsn pg_lsn, OUT end_lsn pg_lsn,
    OUT transactions bigint, OUT first_commit timestamptz, OUT last_commit timestamptz, OUT sha256 text,
    OUT compression text, OUT note text)
  RETURNS SETOF record LANGUAGE C CALLED ON NULL INPUT VOLATILE AS 'MODULE_PATHNAME', 'scribe_chain_files';

CREATE FUNCTION scribe.chains(backup_dir text DEFAULT NULL)
  RETURNS TABLE (chain_id text, file text, kind text, bytes bigint, start_lsn pg_lsn, end_lsn pg_lsn,
                 transactions bigint, first_commit timestamptz, last_commit timestamptz, sha256 text,
                 compression text, note text)
  LANGUAGE sql VOLATILE AS 'SELECT * FROM scribe.chain_files(backup_dir)';
COMMENT ON FUNCTION scribe.chains(text) IS
  'every chain and file of a backup directory (default: this database''s), from the manifests';

REVOKE ALL ON FUNCTION scribe.init(text, name, text, boolean, text), scribe.upload_status(), scribe.start(), scribe.stop(), scribe.rotate_diff(),
  scribe.new_chain(text), scribe.teardown(boolean), scribe.status_rows(), scribe.chain_files(text),
  scribe.chains(text), scribe.assert_preloaded() FROM PUBLIC;
REVOKE ALL ON scribe.status FROM PUBLIC;
GRANT USAGE ON SCHEMA scribe TO pg_monitor;
GRANT SELECT ON scribe.status TO pg_monitor;
GRANT EXECUTE ON FUNCTION scribe.status_rows(), scribe.upload_status(), scribe.chain_files(text), scribe.chains(text) TO pg_monitor;

-- ---------------------------------------------------------------------------
-- File-system backups held open across sessions: a background worker runs
-- pg_backup_start() and, on request, pg_backup_stop() in its own session.
-- For superusers, members of pg_checkpoint and roles that may execute
-- pg_backup_start() and pg_backup_stop() (checked by the functions), once
-- granted EXECUTE.

CREATE FUNCTION scribe.fs_backup_start(label text, fast boolean DEFAULT false, timeout interval DEFAULT NULL)
  RETURNS pg_lsn LANGUAGE C CALLED ON NULL INPUT VOLATILE AS 'MODULE_PATHNAME', 'scribe_fs_backup_start';
COMMENT ON FUNCTION scribe.fs_backup_start(text, boolean, interval) IS
  'start a low-level backup held open by a background worker; returns its start LSN once it is in progress';

CREATE FUNCTION scribe.fs_backup_stop(label text, wait_for_archive boolean DEFAULT true,
                                      OUT stop_lsn pg_lsn, OUT backup_label text, OUT tablespace_map text,
                                      OUT wal_files text[])
  LANGUAGE C CALLED ON NULL INPUT VOLATILE AS 'MODULE_PATHNAME', 'scribe_fs_backup_stop';
COMMENT ON FUNCTION scribe.fs_backup_stop(text, boolean) IS
  'end the file-system backup "label": the backup_label and tablespace_map contents and the WAL files it needs';

CREATE FUNCTION scribe.fs_backup_clear(label text DEFAULT NULL) RETURNS integer
  LANGUAGE C CALLED ON NULL INPUT VOLATILE AS 'MODULE_PATHNAME', 'scribe_fs_backup_clear';
COMMENT ON FUNCTION scribe.fs_backup_clear(text) IS
  'forget finished file-system backups (all, or those labelled "label"); returns how many';

CREATE FUNCTION scribe.fs_backup_rows(
    OUT label text, OUT state text, OUT start_lsn pg_lsn, OUT stop_lsn pg_lsn, OUT started_at timestamptz,
    OUT finished_at timestamptz, OUT deadline timestamptz, OUT worker_pid integer, OUT error text)
  RETURNS SETOF record LANGUAGE C VOLATILE AS 'MODULE_PATHNAME', 'scribe_fs_backup_rows';

CREATE VIEW scribe.fs_backups AS
SELECT label, state, start_lsn, stop_lsn, started_at, finished_at, deadline, worker_pid, error
  FROM scribe.fs_backup_rows();
COMMENT ON VIEW scribe.fs_backups IS
  'file-system backups of this cluster, in progress and finished (until scribe.fs_backup_clear())';

REVOKE ALL ON FUNCTION scribe.fs_backup_start(text, boolean, interval), scribe.fs_backup_stop(text, boolean),
  scribe.fs_backup_clear(text), scribe.fs_backup_rows() FROM PUBLIC;
REVOKE ALL ON scribe.fs_backups FROM PUBLIC;
GRANT SELECT ON scribe.fs_backups TO pg_monitor;
GRANT EXECUTE ON FUNCTION scribe.fs_backup_rows() TO pg_monitor;
