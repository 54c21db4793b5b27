-- Schema changes that fire no event trigger, captured by the
-- ProcessUtility hook: EXPLAIN ANALYZE runs the CREATE TABLE AS, SELECT
-- INTO or CREATE MATERIALIZED VIEW it explains (directly or through
-- EXECUTE in a function), and CLUSTER ... USING marks the index clustered,
-- which is replayed as ALTER TABLE ... CLUSTER ON (the rewrite itself
-- changes neither schema nor content); REINDEX (TABLESPACE ...) moves
-- indexes, and is replayed as written (without TABLESPACE it changes
-- nothing pg_dump shows, and is not).
\pset format unaligned
\pset tuples_only on
SET client_min_messages = warning;
CREATE EXTENSION scribe;
CREATE TABLE src (id int PRIMARY KEY, v text);
INSERT INTO src VALUES (1, 'a'), (2, 'b');
CREATE INDEX src_v ON src (v);
CREATE FUNCTION explain_create(name text) RETURNS SETOF text LANGUAGE plpgsql AS $$
BEGIN RETURN QUERY EXECUTE format('EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) CREATE TABLE %I AS SELECT 1 AS one', name); END $$;
SELECT 'init' FROM pg_create_logical_replication_slot('regress_ddl_no_event', 'wal2sql');

-- The plans are not what is tested, and their text differs between
-- versions (18 adds buffers and fractional row counts).
\o /dev/null
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) CREATE TABLE explained AS SELECT * FROM src;
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) SELECT id INTO explained_into FROM src WHERE id = 2;
EXPLAIN (ANALYZE true, COSTS OFF, TIMING OFF, SUMMARY OFF) CREATE MATERIALIZED VIEW explained_mv (x) AS SELECT id FROM src WITH DATA;
SELECT explain_create('explained_in_function');
-- Not run, not created: nothing.
EXPLAIN (COSTS OFF) CREATE TABLE not_created AS SELECT * FROM src;
BEGIN;
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) CREATE TABLE rolled_back AS SELECT 1;
ROLLBACK;
\o
CLUSTER src USING src_v;
-- Already clustered on it: no catalog change, nothing.
CLUSTER src;
ALTER TABLE src SET WITHOUT CLUSTER;
CREATE TEMP TABLE temp_src (id int PRIMARY KEY);
CLUSTER temp_src USING temp_src_pkey;
REINDEX TABLE src;
REINDEX (TABLESPACE pg_default) TABLE src;
REINDEX (CONCURRENTLY, TABLESPACE pg_default) INDEX src_v;
REINDEX (TABLESPACE pg_default) TABLE temp_src;
SELECT rtrim(regexp_replace(data, '^(SELECT pg_catalog\.set_config|SET ROLE |RESET ROLE|SET search_path|;$)[^\n]*\n?', '', 'gn'), E'\n') AS data
  FROM pg_logical_slot_get_changes('regress_ddl_no_event', NULL, NULL,
  'include_settings', '0', 'include_header', '0', 'include_transaction', '0')
;

SELECT 'stop' FROM pg_drop_replication_slot('regress_ddl_no_event');
DROP EXTENSION scribe;
DROP MATERIALIZED VIEW explained_mv;
DROP TABLE src, explained, explained_into, explained_in_function, temp_src;
DROP FUNCTION explain_create(text);
