-- A block of global objects (include_globals) written at a sync message
-- takes its place inside the message's record: when a commit record follows
-- the message directly, the two headers still have distinct LSNs in commit
-- order (pg_scribe --verify refuses two commits at one LSN).
\pset format unaligned
\pset tuples_only on
SET client_min_messages = warning;
CREATE TABLE globals_order (id int PRIMARY KEY);
SELECT 'init' FROM pg_create_logical_replication_slot('regress_globals_order', 'wal2sql');
BEGIN;
INSERT INTO globals_order VALUES (1);
SELECT 'msg' FROM pg_logical_emit_message(false, 'scribe.globals', '');
COMMIT;
CREATE TEMP TABLE decoded AS
SELECT data FROM pg_logical_slot_get_changes('regress_globals_order', NULL, NULL, 'include_globals', '1');
WITH headers AS (
  SELECT m[1] AS xid, pg_lsn(m[2]) AS lsn, row_number() OVER () AS n
    FROM decoded, regexp_matches(data, '^-- scribe xid=(\d+) lsn=([0-9A-F]+/[0-9A-F]+)', 'gn') AS m)
SELECT string_agg(CASE WHEN xid = '0' THEN 'globals' ELSE 'transaction' END, ', ' ORDER BY n) AS blocks,
       bool_and(lsn > coalesce(prev, '0/0')) AS increasing
  FROM (SELECT xid, lsn, n, lag(lsn) OVER (ORDER BY n) AS prev FROM headers) h;
SELECT 'stop' FROM pg_drop_replication_slot('regress_globals_order');
DROP TABLE globals_order;
