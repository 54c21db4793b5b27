-- Transactional messages with prefix scribe.ddl carry captured DDL and are
-- written in place, in their transaction, but only when signed with the
-- cluster's key (pg_scribe/ddl_message.key): any role may emit a message.
-- Other prefixes and non-transactional messages are not ours.
\pset format unaligned
\pset tuples_only on
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pgcrypto;
CREATE TABLE msg (id int PRIMARY KEY);
SELECT 'init' FROM pg_create_logical_replication_slot('regress_messages', 'wal2sql');
-- Decoding creates the key on first use.
SELECT count(*) FROM pg_logical_slot_get_changes('regress_messages', NULL, NULL);
-- What pg_scribe's DDL capture does: HMAC-SHA256 of "<xid>\n<statement>".
-- The signed body: search_path, role and flags, then the statement.
CREATE FUNCTION pg_temp.ddl_body(statement text) RETURNS text LANGUAGE sql AS $body$
  SELECT format('S%s:%sR%s:%sFt', octet_length(current_setting('search_path')), current_setting('search_path'),
                octet_length(current_user::text), current_user) || E'\n' || statement
$body$;
CREATE FUNCTION pg_temp.emit_signed_ddl(statement text) RETURNS text LANGUAGE sql AS $$
  SELECT 'signed' FROM pg_logical_emit_message(true, 'scribe.ddl',
    'scribe-ddl v1 hmac=' ||
    encode(hmac(convert_to((pg_current_xact_id()::text::bigint % 4294967296)::text || E'\n' || pg_temp.ddl_body(statement), 'UTF8'),
                pg_read_binary_file('pg_scribe/ddl_message.key'), 'sha256'), 'hex') ||
    E'\n' || pg_temp.ddl_body(statement))
$$;

BEGIN;
INSERT INTO msg VALUES (1);
SELECT pg_temp.emit_signed_ddl('CREATE TABLE public.added (id int);');
INSERT INTO msg VALUES (2);
-- A statement ending in a comment, without ';', is still terminated.
SELECT pg_temp.emit_signed_ddl('ALTER TABLE public.added ADD COLUMN v text -- a comment;');
COMMIT;
-- Alone in its transaction: the transaction is not empty.
SELECT pg_temp.emit_signed_ddl('DROP TABLE public.added;');
-- Ignored: another prefix, a non-transactional message, a rolled-back one.
SELECT 'msg' FROM pg_logical_emit_message(true, 'other', 'SELECT 1;');
SELECT 'msg' FROM pg_logical_emit_message(false, 'scribe.ddl', 'SELECT 2;');
BEGIN;
SELECT pg_temp.emit_signed_ddl('SELECT 3;');
ROLLBACK;
BEGIN;
INSERT INTO msg VALUES (3);
SAVEPOINT s;
SELECT pg_temp.emit_signed_ddl('SELECT 4;');
ROLLBACK TO s;
COMMIT;
SELECT data FROM pg_logical_slot_get_changes('regress_messages', NULL, NULL,
  'include_settings', '0', 'include_header', '0');

-- Forged: unsigned, with a made-up MAC, and a signed message replayed in
-- another transaction. None is written; each leaves a comment, and a
-- WARNING naming its transaction and LSN (hidden here: they vary).
CREATE ROLE regress_mallory LOGIN;
SET ROLE regress_mallory;
SELECT 'forged' FROM pg_logical_emit_message(true, 'scribe.ddl', 'ALTER ROLE regress_mallory SUPERUSER');
SELECT 'forged' FROM pg_logical_emit_message(true, 'scribe.ddl',
  'scribe-ddl v1 hmac=' || repeat('0', 64) || E'\nALTER ROLE regress_mallory SUPERUSER;');
RESET ROLE;
BEGIN;
SELECT 'x' FROM pg_current_xact_id();
SELECT 'replayed' FROM pg_logical_emit_message(true, 'scribe.ddl',
  'scribe-ddl v1 hmac=' ||
  encode(hmac(convert_to('1' || E'\n' || 'DROP TABLE msg;', 'UTF8'),
              pg_read_binary_file('pg_scribe/ddl_message.key'), 'sha256'), 'hex') || E'\nDROP TABLE msg;');
COMMIT;
SET client_min_messages = error;
SELECT data FROM pg_logical_slot_get_changes('regress_messages', NULL, NULL,
  'include_settings', '0', 'include_header', '0');
SET client_min_messages = warning;

SELECT 'stop' FROM pg_drop_replication_slot('regress_messages');
DROP ROLE regress_mallory;
DROP TABLE msg;
