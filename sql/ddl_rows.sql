-- Statements whose rows are decoded too. CREATE TABLE AS and SELECT INTO
-- write their rows before the end of the command: they are replayed as the
-- empty table, then the decoded rows (the same rows even from random()).
-- Materialized views are computed again on replay; their decoded rows are
-- not written.
\pset format unaligned
\pset tuples_only on
SET client_min_messages = warning;
CREATE EXTENSION scribe;
CREATE TABLE src (id int PRIMARY KEY, v text COLLATE "C");
INSERT INTO src VALUES (1, 'a'), (2, 'b');
PREPARE q AS SELECT id, v FROM src WHERE id = 1;
SELECT 'init' FROM pg_create_logical_replication_slot('regress_ddl_rows', 'wal2sql');

CREATE TABLE ctas (n, r) AS SELECT id, (random() * 0)::numeric(3,1) FROM src ORDER BY id;
SELECT v AS label, id::bigint AS big INTO selected FROM src WHERE id = 2;
CREATE TABLE from_execute AS EXECUTE q;
CREATE TABLE IF NOT EXISTS ctas AS SELECT 1;
CREATE TABLE empty_ctas AS SELECT * FROM src WITH NO DATA;
CREATE TABLE with_options WITH (fillfactor = 70) AS SELECT 1 AS one;
CREATE MATERIALIZED VIEW mv AS SELECT * FROM src;
INSERT INTO src VALUES (3, 'c');
REFRESH MATERIALIZED VIEW mv;
CREATE UNIQUE INDEX mv_id ON mv (id);
REFRESH MATERIALIZED VIEW CONCURRENTLY mv;
SELECT data FROM pg_logical_slot_get_changes('regress_ddl_rows', NULL, NULL,
  'include_settings', '0', 'include_header', '0', 'include_transaction', '0');

SELECT 'stop' FROM pg_drop_replication_slot('regress_ddl_rows');
DROP EXTENSION scribe;
DROP TABLE src, ctas, selected, from_execute, empty_ctas, with_options CASCADE;
