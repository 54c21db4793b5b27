-- Every built-in type, printed so that it reads back to the identical
-- value (the round-trip test replays them; this shows the exact SQL).
\pset format unaligned
\pset tuples_only on
SET client_min_messages = warning;
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE TYPE pair AS (x int, label text);
CREATE DOMAIN posint AS int CHECK (VALUE > 0);
CREATE TABLE types (
  id int PRIMARY KEY,
  i2 int2, i4 int4, i8 int8, num numeric, f4 float4, f8 float8, b bool,
  t text, vc varchar(20), c char(5), by bytea, bt bit(4), vb varbit,
  d date, tm time, ttz timetz, ts timestamp, tstz timestamptz, iv interval,
  u uuid, j json, jb jsonb, x xml,
  ia int[], ta text[][], m mood, p pair, dom posint,
  r int4range, tr tstzrange, mr datemultirange,
  ip inet, cd cidr, mac macaddr, mac8 macaddr8, mn money,
  tv tsvector, tq tsquery,
  pt point, ln line, ls lseg, bx box, pa path, pg polygon, ci circle,
  o oid, l pg_lsn);
SELECT 'init' FROM pg_create_logical_replication_slot('regress_types', 'wal2sql');

INSERT INTO types VALUES (1,
  -32768, -2147483648, -9223372036854775808, 12345678901234567890.000000000000000001, 1.1, 0.1,
  true, 'it''s a \ backslash', 'tab	here', 'ab', '\x00ff10', B'1010', B'10101',
  '2024-02-29', '23:59:59.999999', '12:00:00+05:30', '1999-12-31 23:59:59.5', '2024-06-01 12:00:00+02',
  '1 year 2 months -3 days 04:05:06.789',
  'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{"b": [1, 2.50], "a": null}', '{"b": [1, 2.50], "a": null}',
  '<a x="1">text &amp; more</a>',
  '{{1,2},{3,NULL}}', '{{"a\"b","c,d"},{NULL,"NULL"}}', 'happy', ROW(7, 'seven''s'), 42,
  '[1,10)', '[2024-01-01 00:00+00,2024-01-02 00:00+00)', '{[2024-01-01,2024-01-05), [2024-02-01,2024-02-03)}',
  '192.168.0.1/24', '10.0.0.0/8', '08:00:2b:01:02:03', '08:00:2b:01:02:03:04:05', '1234.56',
  'fat & rat:2A', 'fat & !rat',
  '(1.5,-2)', '{1,-1,0}', '[(0,0),(1,1)]', '(1,1),(0,0)', '[(0,0),(1,1),(2,0)]', '((0,0),(1,1),(1,0))', '<(0,0),2>',
  4294967295, '16/B374D848');

-- Special values: NaN and infinities, -0, BC dates, empty arrays.
INSERT INTO types (id, num, f4, f8, d, ts, tstz, iv, ia, r, t)
VALUES (2, 'NaN', '-Infinity', '-0', '0044-03-15 BC', 'infinity', '-infinity', '-178000000 years', '[0:1]={1,2}', 'empty', ''),
       (3, 'Infinity', 'NaN', '1e-310', 'infinity', '0001-01-01 00:00:00 BC', 'infinity', '0', '{}', '(,)', NULL),
       (4, '-Infinity', '3.4028235e+38', '0.30000000000000004', '-infinity', '294276-12-31 23:59:59.999999', '4713-01-01 00:00:00+00 BC', '-1 days +02:00:00', '{NULL}', '[5,5]', 'x');

SELECT data FROM pg_logical_slot_get_changes('regress_types', NULL, NULL,
  'include_settings', '0', 'include_header', '0');

-- The same rows decoded by a session with other settings: identical text.
SET DateStyle = 'Postgres, DMY';
SET IntervalStyle = 'sql_standard';
SET TimeZone = 'Pacific/Chatham';
SET extra_float_digits = 0;
SET bytea_output = 'escape';
UPDATE types SET t = 'updated' WHERE id = 1;
SELECT data FROM pg_logical_slot_get_changes('regress_types', NULL, NULL,
  'include_settings', '0', 'include_header', '0');
RESET ALL;

-- reg* types print names as the search path shows them: decoding pins it to
-- pg_catalog, so every other name comes out qualified.
CREATE FUNCTION public.answer() RETURNS int LANGUAGE sql AS 'SELECT 42';
CREATE TABLE regs (id int PRIMARY KEY, c regclass, t regtype, p regproc, cat regclass);
INSERT INTO regs VALUES (1, 'regs', 'mood', 'answer', 'pg_class');
-- Under FULL identity they are compared with oid's "=": the literal is cast.
ALTER TABLE regs REPLICA IDENTITY FULL, ADD COLUMN vc varchar(10) DEFAULT 'v';
DELETE FROM regs;
SELECT data FROM pg_logical_slot_get_changes('regress_types', NULL, NULL,
  'include_settings', '0', 'include_header', '0');
DROP TABLE regs;
DROP FUNCTION public.answer();

SELECT 'stop' FROM pg_drop_replication_slot('regress_types');
DROP TABLE types;
DROP TYPE mood, pair;
DROP DOMAIN posint;
