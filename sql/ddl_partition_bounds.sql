-- A partition bound is replayed as the source stored it, not as written:
-- an expression (current_timestamp, 1 + 1) or a literal read by an input
-- function that is not immutable ('01/02/2020' under DateStyle MDY) would
-- be evaluated again at replay, and rows routed at the source would then
-- violate the partition's constraint. Plain constants of immutable types
-- are kept as written.
\pset format unaligned
\pset tuples_only on
SET client_min_messages = warning;
CREATE EXTENSION scribe;
SELECT 'init' FROM pg_create_logical_replication_slot('regress_ddl_bounds', 'wal2sql');

SET DateStyle = 'Postgres, MDY';
CREATE TABLE events (at timestamptz, day date) PARTITION BY RANGE (at);
CREATE TABLE events_now PARTITION OF events FOR VALUES FROM (current_timestamp) TO (MAXVALUE);
CREATE FOREIGN DATA WRAPPER bounds_fdw;
CREATE SERVER bounds_server FOREIGN DATA WRAPPER bounds_fdw;
CREATE FOREIGN TABLE events_remote PARTITION OF events
  FOR VALUES FROM ('2000-01-01 00:00+00'::timestamptz - interval '1 year') TO ('2000-01-01 00:00+00') SERVER bounds_server;
CREATE TABLE by_day (day date, n int) PARTITION BY RANGE (day, n);
CREATE TABLE by_day_1 PARTITION OF by_day
  FOR VALUES FROM ('01/02/2020', 1 + 1) TO ('2020-03-01' /* ) */, (10) * 2) WITH (fillfactor = 90);
CREATE TABLE by_day_2 (LIKE by_day);
ALTER TABLE by_day ATTACH PARTITION by_day_2 FOR VALUES FROM ('03/01/2020', 10 * 2) TO (MAXVALUE, MAXVALUE);
CREATE TABLE tags (k text, n int) PARTITION BY LIST (k);
CREATE TABLE tags_ab PARTITION OF tags FOR VALUES IN ('a', 'b');
CREATE TABLE tags_c PARTITION OF tags FOR VALUES IN (lower('C'), 'it''s');
CREATE TABLE tags_default PARTITION OF tags DEFAULT;
CREATE TABLE ints (n int) PARTITION BY RANGE (n);
CREATE TABLE ints_1 PARTITION OF ints FOR VALUES FROM (MINVALUE) TO (10);
SET DateStyle = ISO;
SELECT replace(rtrim(regexp_replace(data, '^(SELECT pg_catalog\.set_config|SET ROLE |RESET ROLE|SET search_path|;$)[^\n]*\n?', '', 'gn'), E'\n'), (SELECT pg_get_expr(relpartbound, oid) FROM pg_class WHERE relname = 'events_now'),
               'FOR VALUES <the stored bound of events_now>')
  FROM pg_logical_slot_get_changes('regress_ddl_bounds', NULL, NULL,
  'include_settings', '0', 'include_header', '0', 'include_transaction', '0')
;

SELECT 'stop' FROM pg_drop_replication_slot('regress_ddl_bounds');
DROP EXTENSION scribe;
DROP TABLE events, by_day, tags, ints;
DROP SERVER bounds_server;
DROP FOREIGN DATA WRAPPER bounds_fdw;
