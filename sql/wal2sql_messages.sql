-- Transactional messages with prefix scribe.ddl are written in place, in
-- their transaction; other prefixes and non-transactional ones are not ours.
\pset format unaligned
\pset tuples_only on
SET client_min_messages = warning;
CREATE TABLE msg (id int PRIMARY KEY);
SELECT 'init' FROM pg_create_logical_replication_slot('regress_messages', 'wal2sql');

BEGIN;
INSERT INTO msg VALUES (1);
SELECT 'msg' FROM pg_logical_emit_message(true, 'scribe.ddl', 'CREATE TABLE public.added (id int);');
INSERT INTO msg VALUES (2);
SELECT 'msg' FROM pg_logical_emit_message(true, 'scribe.ddl', 'ALTER TABLE public.added ADD COLUMN v text -- a comment;');
COMMIT;
-- Alone in its transaction: the transaction is not empty.
SELECT 'msg' FROM pg_logical_emit_message(true, 'scribe.ddl', 'DROP TABLE public.added;');
-- Ignored: another prefix, a non-transactional message, a rolled-back one.
SELECT 'msg' FROM pg_logical_emit_message(true, 'other', 'SELECT 1;');
SELECT 'msg' FROM pg_logical_emit_message(false, 'scribe.ddl', 'SELECT 2;');
BEGIN;
SELECT 'msg' FROM pg_logical_emit_message(true, 'scribe.ddl', 'SELECT 3;');
ROLLBACK;
BEGIN;
INSERT INTO msg VALUES (3);
SAVEPOINT s;
SELECT 'msg' FROM pg_logical_emit_message(true, 'scribe.ddl', 'SELECT 4;');
ROLLBACK TO s;
COMMIT;
SELECT data FROM pg_logical_slot_get_changes('regress_messages', NULL, NULL,
  'include_settings', '0', 'include_header', '0');

SELECT 'stop' FROM pg_drop_replication_slot('regress_messages');
DROP TABLE msg;
