-- wal2sql options: defaults, each switch, bad input, and the caller's
-- settings left as they were.
\pset format unaligned
\pset tuples_only on
SET client_min_messages = warning;
CREATE TABLE opt (id int PRIMARY KEY, v text);
SELECT 'init' FROM pg_create_logical_replication_slot('regress_options', 'wal2sql');

-- Defaults: replay settings once, then header, BEGIN, statements, COMMIT.
INSERT INTO opt VALUES (1, 'one');
INSERT INTO opt VALUES (2, 'two');
SELECT regexp_replace(data, 'xid=\d+ lsn=[0-9A-F]+/[0-9A-F]+ commit=\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z', 'xid=X lsn=X commit=X', 'g')
  FROM pg_logical_slot_get_changes('regress_options', NULL, NULL);

-- Each switch off; the dash spelling is accepted too.
INSERT INTO opt VALUES (3, 'three');
SELECT data FROM pg_logical_slot_peek_changes('regress_options', NULL, NULL,
  'include_settings', 'off', 'include_header', 'off', 'include-transaction', 'false');
SELECT data FROM pg_logical_slot_get_changes('regress_options', NULL, NULL,
  'include_settings', '0', 'include_header', '0');

-- skip_empty_xacts: a transaction with no change of a wanted table.
INSERT INTO opt VALUES (4, 'four');
SELECT data FROM pg_logical_slot_peek_changes('regress_options', NULL, NULL,
  'include_settings', '0', 'include_header', '0', 'filter_tables', 'public.opt');
SELECT data FROM pg_logical_slot_peek_changes('regress_options', NULL, NULL,
  'include_settings', '0', 'include_header', '0', 'filter_tables', 'public.opt', 'skip_empty_xacts', 'off');

-- Bad options are errors with a hint, and consume nothing.
INSERT INTO opt VALUES (5, 'five');
SELECT data FROM pg_logical_slot_get_changes('regress_options', NULL, NULL, 'include_xids', '1');
SELECT data FROM pg_logical_slot_get_changes('regress_options', NULL, NULL, 'include_header', 'sometimes');
SELECT data FROM pg_logical_slot_get_changes('regress_options', NULL, NULL, 'add_tables', '');
SELECT data FROM pg_logical_slot_get_changes('regress_options', NULL, NULL, 'filter_tables', 'public.a.b');

-- start_after_lsn: transactions committed at or before it are not written
-- (the worker resumes exactly once); a bad LSN is an error.
INSERT INTO opt VALUES (6, 'six');
INSERT INTO opt VALUES (7, 'seven');
SELECT substring(data from 'lsn=([0-9A-F]+/[0-9A-F]+)') AS first_commit
  FROM pg_logical_slot_peek_changes('regress_options', NULL, NULL, 'include_settings', '0')
 WHERE data LIKE '-- scribe xid=%' LIMIT 1 \gset
SELECT data FROM pg_logical_slot_peek_changes('regress_options', NULL, NULL,
  'include_settings', '0', 'include_header', '0', 'start_after_lsn', :'first_commit');
SELECT data FROM pg_logical_slot_peek_changes('regress_options', NULL, NULL,
  'include_settings', '0', 'include_header', '0', 'start_after_lsn', '0/0');
SELECT data FROM pg_logical_slot_get_changes('regress_options', NULL, NULL, 'start_after_lsn', 'yesterday');
SELECT count(*) FROM pg_logical_slot_get_changes('regress_options', NULL, NULL);

-- The decoder pins its output settings and gives the caller's back.
SET DateStyle = 'SQL, DMY';
SET TimeZone = 'Asia/Kathmandu';
SET extra_float_digits = -5;
SET bytea_output = 'escape';
SELECT data FROM pg_logical_slot_get_changes('regress_options', NULL, NULL,
  'include_settings', '0', 'include_header', '0');
SHOW DateStyle;
SHOW TimeZone;
SHOW extra_float_digits;
SHOW bytea_output;
SHOW IntervalStyle;
RESET ALL;

SELECT 'stop' FROM pg_drop_replication_slot('regress_options');
DROP TABLE opt;
