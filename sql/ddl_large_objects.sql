-- Large objects. Their creation and unlink are replayed at their place
-- (lo_create, lo_unlink), and the contents written in the transaction that
-- created one at its end (lo_put); a write to a large object created in an
-- earlier transaction cannot be attributed to it and is reported with a
-- warning. GRANT, REVOKE, COMMENT, ALTER ... OWNER on large objects are
-- replayed only where the large object exists (one from before the chain is
-- there only if the base has it), so that none stops a restore.
\pset format unaligned
\pset tuples_only on
SET client_min_messages = warning;
CREATE EXTENSION scribe;
CREATE ROLE regress_ddl_lo_owner;
CREATE ROLE regress_ddl_lo_other;
SELECT lo_create(424240) = 424240;  -- before the capture
SELECT 'init' FROM pg_create_logical_replication_slot('regress_ddl_lo', 'wal2sql');

SELECT lo_from_bytea(424241, 'hello') = 424241;
BEGIN;
SELECT lo_create(424242) = 424242;
SELECT length(lo_put(424242, 5000, 'after a hole')::text) >= 0;
SAVEPOINT s;
SELECT lo_create(424249) = 424249;
ROLLBACK TO s;
GRANT SELECT, UPDATE ON LARGE OBJECT 424242, 424240 TO regress_ddl_lo_owner;
COMMIT;
SELECT lo_from_bytea(424243, decode(repeat('0123456789abcdef', 70000), 'hex')) = 424243;
REVOKE UPDATE ON LARGE OBJECT 424242 FROM regress_ddl_lo_owner;
COMMENT ON LARGE OBJECT 424242 IS 'it''s a \ large object';
ALTER LARGE OBJECT 424242 OWNER TO regress_ddl_lo_owner;
SELECT lo_unlink(424241);
-- Unlinked by a role that does not own it (lo_compat_privileges lets it):
-- replayed as the owner, who may.
SELECT lo_create(424244) = 424244;
ALTER LARGE OBJECT 424244 OWNER TO regress_ddl_lo_owner;
SET lo_compat_privileges = on;
SET ROLE regress_ddl_lo_other;
SELECT lo_unlink(424244);
RESET ROLE;
RESET lo_compat_privileges;
-- Written after the transaction that created it: reported.
SELECT length(lo_put(424243, 0, 'x')::text) >= 0;
SELECT lo_put(424243, 0, '\x0123'::bytea);  -- restored: what was captured
CREATE TEMP TABLE captured AS
SELECT data FROM pg_logical_slot_get_changes('regress_ddl_lo', NULL, NULL,
  'include_settings', '0', 'include_header', '0', 'include_transaction', '0');
SELECT left(rtrim(regexp_replace(data, '^(SELECT pg_catalog\.set_config|SET ROLE |RESET ROLE|SET search_path|;$)[^\n]*\n?', '', 'gn'), E'\n'), 160)
  FROM captured;
CREATE TEMP TABLE source_state AS
SELECT m.oid, m.lomowner::regrole::text AS owner, m.lomacl::text AS acl, obj_description(m.oid, 'pg_largeobject') AS comment,
       md5(lo_get(m.oid)) AS contents
  FROM pg_largeobject_metadata m WHERE m.oid BETWEEN 424240 AND 424249;
SELECT 'stop' FROM pg_drop_replication_slot('regress_ddl_lo');
DROP EXTENSION scribe;

-- Replayed onto the state the capture started from: the same large objects.
SELECT lo_unlink(oid) FROM pg_largeobject_metadata WHERE oid BETWEEN 424241 AND 424249;
REVOKE ALL ON LARGE OBJECT 424240 FROM regress_ddl_lo_owner;
SET client_min_messages = error;
\set ECHO none
\o /dev/null
SELECT data FROM captured \gexec
\o
\set ECHO all
RESET client_min_messages;
SELECT s.oid, s.owner = m.lomowner::regrole::text, s.acl IS NOT DISTINCT FROM m.lomacl::text,
       s.comment IS NOT DISTINCT FROM obj_description(m.oid, 'pg_largeobject'), s.contents = md5(lo_get(m.oid))
  FROM source_state s LEFT JOIN pg_largeobject_metadata m ON m.oid = s.oid ORDER BY s.oid;
SELECT count(*) FROM pg_largeobject_metadata WHERE oid BETWEEN 424240 AND 424249;
-- Replayed where a large object is missing: skipped with a warning.
SELECT lo_unlink(424240);
SET client_min_messages = warning;
\set ECHO none
\o /dev/null
SELECT data FROM captured WHERE data LIKE '%GRANT SELECT, UPDATE ON LARGE OBJECT%' \gexec
\o
\set ECHO all
RESET client_min_messages;

SELECT lo_unlink(oid) FROM pg_largeobject_metadata WHERE oid BETWEEN 424240 AND 424249;
DROP ROLE regress_ddl_lo_owner, regress_ddl_lo_other;
