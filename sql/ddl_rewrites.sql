-- Table rewrites. ALTER TABLE ... TYPE is replayed as written (the rewrite
-- itself is not decoded); VACUUM FULL and CLUSTER change neither schema nor
-- content and write nothing; SET UNLOGGED / SET LOGGED are DDL.
\pset format unaligned
\pset tuples_only on
SET client_min_messages = warning;
CREATE EXTENSION scribe;
CREATE TABLE rw (id int PRIMARY KEY, amount int);
INSERT INTO rw VALUES (1, 10), (2, 20);
SELECT 'init' FROM pg_create_logical_replication_slot('regress_ddl_rewrites', 'wal2sql');

ALTER TABLE rw ALTER COLUMN amount TYPE numeric(10,2) USING amount / 4.0;
VACUUM FULL rw;
ALTER TABLE rw CLUSTER ON rw_pkey;
CLUSTER rw;
ALTER TABLE rw SET UNLOGGED;
ALTER TABLE rw SET LOGGED;
UPDATE rw SET amount = amount + 1 WHERE id = 1;
SELECT data FROM pg_logical_slot_get_changes('regress_ddl_rewrites', NULL, NULL,
  'include_settings', '0', 'include_header', '0', 'include_transaction', '0');

SELECT 'stop' FROM pg_drop_replication_slot('regress_ddl_rewrites');
DROP EXTENSION scribe;
DROP TABLE rw;
