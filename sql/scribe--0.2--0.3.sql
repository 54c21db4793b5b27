-- pg_scribe 0.2 -> 0.3 (ALTER EXTENSION scribe UPDATE TO '0.3'): an
-- object-store repository (issue 20).
--  * scribe.init() takes repository => 's3://bucket/prefix';
--  * scribe.upload_status(): the uploader's state per backup;
--  * scribe.status: columns repository, upload_files_waiting,
--    upload_bytes_waiting, last_upload_at, upload_last_error,
--    upload_last_error_at, and warnings when uploads fail.
\echo Use "ALTER EXTENSION scribe UPDATE TO '0.3'" to load this file. \quit

DROP FUNCTION scribe.init(text, name, text, boolean);
CREATE FUNCTION scribe.init(backup_dir text, slot_name name DEFAULT 'pg_scribe', compression text DEFAULT 'none',
                            force boolean DEFAULT false, repository text DEFAULT NULL,
                            OUT chain_id text, OUT chain_dir text, OUT slot_name name, OUT start_lsn pg_lsn)
  LANGUAGE C CALLED ON NULL INPUT VOLATILE AS 'MODULE_PATHNAME', 'scribe_init';
COMMENT ON FUNCTION scribe.init(text, name, text, boolean, text) IS
  'validate, create the slot, dump the base with its snapshot, and start streaming into backup_dir (and, with a repository s3://bucket/prefix, uploading each sealed file there)';

-- The uploader's state per backup with a repository (scribe.status shows it).
CREATE FUNCTION scribe.upload_status(
    OUT datid oid, OUT repository text, OUT files_waiting integer, OUT bytes_waiting bigint,
    OUT files_uploaded bigint, OUT last_upload_at timestamptz, OUT last_error text, OUT last_error_at timestamptz,
    OUT uploader_pid integer)
  RETURNS SETOF record LANGUAGE C VOLATILE AS 'MODULE_PATHNAME', 'scribe_upload_status';

CREATE OR REPLACE VIEW scribe.status AS
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
REVOKE ALL ON FUNCTION scribe.init(text, name, text, boolean, text), scribe.upload_status() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION scribe.upload_status() TO pg_monitor;
