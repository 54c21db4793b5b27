!Ce-- pg_scribe diff chain=20261121T165429Z start_lsn=0/196AB10
-- wal2sql: replay settings (values below read back exactly under these)
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SET DateStyle = 'ISO, YMD';
SET IntervalStyle = 'postgres';
SET TimeZone = 'UTC';
SET extra_float_digits = 3;
SET lc_monetary = 'C';
SET xmloption = content;
SET array_nulls = on;
SET session_replication_role = replica;
SET search_path = pg_catalog, pg_temp;
-- scribe xid=733 lsn=0/196B4D0 commit=2026-11-21T16:54:30.630450Z
BEGIN;
INSERT INTO "Sch ""q"" '$$' \"."t;--" (id, "v'x", b, j, n, f, a) VALUES (2, E'''; DROP TABLE x; --\\''; DROP TABLE x; --\\', E'\\x5c2e0a', '{"$$": 2}', 0.66666666666666666667, '3', E'{$wal2sql$,"
\\\\! x"}');
INSERT INTO "Sch ""q"" '$$' \"."t;--" (id, "v'x", b, j, n, f, a) VALUES (3, '', E'\\x5c2e0a', '{"$$": 3}', 1.00000000000000000000, '4.5', E'{$wal2sql$,"
\\\\! x"}');
INSERT INTO "Sch ""q"" '$$' \"."t;--" (id, "v'x", b, j, n, f, a) VALUES (4, E'''; DROP TABLE x; --\\', E'\\x5c2e0a', '{"$$": 4}', 1.3333333333333333, '6', E'{$wal2sql$,"
\\\\! x"}');
INSERT INTO "Sch ""q"" '$$' \"."t;--" (id, "v'x", b, j, n, f, a) VALUES (5, E'''; DROP TABLE x; --\\''; DROP TABLE x; --\\', E'\\x5c2e0a', '{"$$": 5}', 1.6666666666666667, '7.5', E'{$wal2sql$,"
\\\\! x"}');
INSERT INTO "Sch ""q"" '$$' \"."t;--" (id, "v'x", b, j, n, f, a) VALUES (6, '', E'\\x5c2e0a', '{"$$": 6}', 2.0000000000000000, '9', E'{$wal2sql$,"
\\\\! x"}');
INSERT INTO "Sch ""q"" '$$' \"."t;--" (id, "v'x", b, j, n, f, a) VALUES (7, E'''; DROP TABLE x; --\\', E'\\x5c2e0a', '{"$$": 7}', 2.3333333333333333, '10.5', E'{$wal2sql$,"
\\\\! x"}');
INSERT INTO "Sch ""q"" '$$' \"."t;--" (id, "v'x", b, j, n, f, a) VALUES (8, E'''; DROP TABLE x; --\\''; DROP TABLE x; --\\', E'\\x5c2e0a', '{"$$": 8}', 2.6666666666666667, '12', E'{$wal2sql$,"
\\\\! x"}');
INSERT INTO "Sch ""q"" '$$' \"."t;--" (id, "v'x", b, j, n, f, a) VALUES (9, '', E'\\x5c2e0a', '{"$$": 9}', 3.0000000000000000, '13.5', E'{$wal2sql$,"
\\\\! x"}');
COMMIT;
-- scribe xid=734 lsn=0/196B7D0 commit=2026-11-21T16:54:30.632610Z
BEGIN;
UPDATE ONLY "Sch ""q"" '$$' \"."t;--" SET "v'x" = 'u6', b = E'\\x5c2e0a', j = '{"$$": 6}', n = 2.0000000000000000, f = '9', a = E'{$wal2sql$,"
\\\\! x"}' WHERE id = 6;
UPDATE ONLY "Sch ""q"" '$$' \"."t;--" SET "v'x" = 'u7', b = E'\\x5c2e0a', j = '{"$$": 7}', n = 2.3333333333333333, f = '10.5', a = E'{$wal2sql$,"
\\\\! x"}' WHERE id = 7;
UPDATE ONLY "Sch ""q"" '$$' \"."t;--" SET "v'x" = 'u8', b = E'\\