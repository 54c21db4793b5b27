-- A table without a usable replica identity cannot have its UPDATE and
-- DELETE replayed. scribe.auto_replica_identity (on by default) gives
-- REPLICA IDENTITY FULL to every table a command leaves without one, in
-- the same transaction, and writes that ALTER into the stream; off, such
-- changes are a comment in the stream, and the DDL warns.
\pset format unaligned
\pset tuples_only on
SET client_min_messages = warning;
CREATE EXTENSION scribe;
CREATE ROLE regress_ri_tabowner;
CREATE ROLE regress_ri_typowner;
GRANT CREATE ON SCHEMA public TO regress_ri_tabowner, regress_ri_typowner;
SELECT 'init' FROM pg_create_logical_replication_slot('regress_ri', 'wal2sql');
SET client_min_messages = notice;

CREATE TABLE nokey (a int);
CREATE TABLE ctas AS SELECT 1 AS x;
SELECT 1 AS y INTO selected;
CREATE TABLE deferred_pk (id int PRIMARY KEY DEFERRABLE);
CREATE TABLE dropped_pk (id int PRIMARY KEY);
ALTER TABLE dropped_pk DROP CONSTRAINT dropped_pk_pkey;
CREATE TABLE nothing (id int PRIMARY KEY);
ALTER TABLE nothing REPLICA IDENTITY NOTHING;
CREATE TABLE by_index (a int NOT NULL);
CREATE UNIQUE INDEX by_index_a ON by_index (a);
ALTER TABLE by_index REPLICA IDENTITY USING INDEX by_index_a;
DROP INDEX by_index_a;
CREATE TABLE parted (k int PRIMARY KEY) PARTITION BY RANGE (k);
CREATE TABLE parted_1 PARTITION OF parted FOR VALUES FROM (0) TO (10);
ALTER TABLE parted DROP CONSTRAINT parted_pkey;
CREATE TABLE keyed (id int PRIMARY KEY);
CREATE TEMP TABLE temporary_nokey (a int);
CREATE UNLOGGED TABLE unlogged_nokey (a int);
-- A key lost by a command of a role that does not own the table: the
-- ALTER runs as the table's owner, and is replayed as it.
SET ROLE regress_ri_typowner;
CREATE DOMAIN keydom AS int;
RESET ROLE;
SET ROLE regress_ri_tabowner;
CREATE TABLE others (k keydom PRIMARY KEY, v int);
RESET ROLE;
SET ROLE regress_ri_typowner;
DROP DOMAIN keydom CASCADE;
-- Only a superuser turns it off.
SET scribe.auto_replica_identity = off;
RESET ROLE;
SET scribe.auto_replica_identity = off;
CREATE TABLE left_alone (a int);
INSERT INTO left_alone VALUES (1);
UPDATE left_alone SET a = 2;
DELETE FROM left_alone;
RESET scribe.auto_replica_identity;
INSERT INTO nokey VALUES (1);
UPDATE nokey SET a = 2;
DELETE FROM nokey;
SET client_min_messages = warning;

SELECT relname, relreplident FROM pg_class
 WHERE relname IN ('nokey', 'ctas', 'selected', 'deferred_pk', 'dropped_pk', 'nothing', 'by_index', 'parted',
                   'parted_1', 'keyed', 'temporary_nokey', 'unlogged_nokey', 'others', 'left_alone')
 ORDER BY 1;
-- The ALTERs in the stream, with the role they replay as; the changes.
SELECT coalesce(array_to_string(regexp_match(data, '(SET ROLE [^;]*;)\n(ALTER TABLE [^\n]*)'), ' '), data)
  FROM pg_logical_slot_get_changes('regress_ri', NULL, NULL,
    'include_settings', '0', 'include_header', '0', 'include_transaction', '0')
 WHERE data ~ 'REPLICA IDENTITY FULL' OR data ~ '^(--|UPDATE|DELETE)';
SELECT 'stop' FROM pg_drop_replication_slot('regress_ri');
DROP TABLE nokey, ctas, selected, deferred_pk, dropped_pk, nothing, by_index, parted, keyed, unlogged_nokey, others,
  left_alone;
REVOKE CREATE ON SCHEMA public FROM regress_ri_tabowner, regress_ri_typowner;
DROP ROLE regress_ri_tabowner, regress_ri_typowner;
DROP EXTENSION scribe;
