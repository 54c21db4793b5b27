-- pg_scribe 0.1 -> 0.2 (ALTER EXTENSION scribe UPDATE TO '0.2')
\echo Use "ALTER EXTENSION scribe UPDATE TO '0.2'" to load this file. \quit

-- scribe.status: same columns; its warnings follow what 0.2 does:
--  * tables without usable replica identity: their UPDATE and DELETE are a
--    comment in the diff (not backed up) instead of a statement that stops
--    the replay; a deferrable primary key counts as no identity, as in
--    PostgreSQL (RelationGetReplicaIndex); scribe.auto_replica_identity
--    gives such tables REPLICA IDENTITY FULL when DDL makes them;
--  * tables with columns of a type no input function accepts (pg_node_tree,
--    ...; include/scribe/core/unreadable_types.hpp) are named.
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
       ]::text[], NULL) AS warnings
  FROM scribe.status_rows() s
  LEFT JOIN pg_catalog.pg_replication_slots r ON r.slot_name = s.slot_name
  LEFT JOIN LATERAL (SELECT CASE WHEN r.confirmed_flush_lsn IS NULL THEN NULL
                                 ELSE pg_catalog.pg_wal_lsn_diff(pg_catalog.pg_current_wal_flush_lsn(),
                                                                 r.confirmed_flush_lsn)::bigint END AS lag_bytes) l
    ON true;
