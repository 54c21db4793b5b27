-- Statements that cannot run in a transaction block are replayed outside
-- the replay's transaction, so psql -v ON_ERROR_STOP=1 -f accepts them.
\pset format unaligned
\pset tuples_only on
SET client_min_messages = warning;
CREATE EXTENSION scribe;
CREATE TABLE nt (id int);
SELECT 'init' FROM pg_create_logical_replication_slot('regress_ddl_nontx', 'wal2sql');

CREATE INDEX CONCURRENTLY nt_idx ON nt (id);
-- REINDEX changes no schema and no data: not an event-trigger command, not replayed.
REINDEX (CONCURRENTLY) INDEX nt_idx;
DROP INDEX CONCURRENTLY nt_idx;
CREATE TABLE ntp (id int PRIMARY KEY) PARTITION BY RANGE (id);
CREATE TABLE ntp1 PARTITION OF ntp FOR VALUES FROM (0) TO (10);
ALTER TABLE ntp DETACH PARTITION ntp1 CONCURRENTLY;
-- A CREATE INDEX CONCURRENTLY that fails leaves an invalid index behind,
-- which no replay has: its DROP is not replayed, and a DROP naming it with
-- others replays as the DROP of the others.
CREATE TABLE inv (id int PRIMARY KEY, v int);
INSERT INTO inv VALUES (1, 1), (2, 1);
\set VERBOSITY terse
CREATE UNIQUE INDEX CONCURRENTLY inv_v ON inv (v);
\set VERBOSITY default
DROP INDEX inv_v;
CREATE UNIQUE INDEX CONCURRENTLY inv_v2 ON inv (v);
CREATE INDEX inv_ok ON inv (v);
DROP INDEX inv_ok, inv_v2;
SELECT data FROM pg_logical_slot_get_changes('regress_ddl_nontx', NULL, NULL,
  'include_settings', '0', 'include_header', '0');

SELECT 'stop' FROM pg_drop_replication_slot('regress_ddl_nontx');
DROP EXTENSION scribe;
DROP TABLE nt, ntp, ntp1, inv;
