-- pg_scribe does not back up large objects: a GRANT, REVOKE, COMMENT,
-- ALTER ... OWNER or SECURITY LABEL on one is replayed only where the
-- large object exists (a DO block checks pg_largeobject_metadata), with a
-- warning at capture and at a replay that skips it, so that it never stops
-- a restore.
\pset format unaligned
\pset tuples_only on
SET client_min_messages = warning;
CREATE EXTENSION scribe;
CREATE ROLE regress_ddl_lo_owner;
SELECT 'init' FROM pg_create_logical_replication_slot('regress_ddl_lo', 'wal2sql');

SELECT lo_create(424242) = 424242;
SELECT lo_create(424243) = 424243;
GRANT SELECT, UPDATE ON LARGE OBJECT 424242, 424243 TO regress_ddl_lo_owner;
REVOKE UPDATE ON LARGE OBJECT 424243 FROM regress_ddl_lo_owner;
COMMENT ON LARGE OBJECT 424242 IS 'it''s a \ large object';
ALTER LARGE OBJECT 424242 OWNER TO regress_ddl_lo_owner;
CREATE TEMP TABLE replay AS
SELECT rtrim(regexp_replace(data, '^(SELECT pg_catalog\.set_config|SET ROLE |RESET ROLE|SET search_path|;$)[^\n]*\n?', '', 'gn'), E'\n') AS data
  FROM pg_logical_slot_get_changes('regress_ddl_lo', NULL, NULL,
  'include_settings', '0', 'include_header', '0', 'include_transaction', '0')
;
SELECT data FROM replay;
SELECT 'stop' FROM pg_drop_replication_slot('regress_ddl_lo');
DROP EXTENSION scribe;
-- Replayed where the large objects are: applied.
ALTER LARGE OBJECT 424242 OWNER TO CURRENT_USER;
COMMENT ON LARGE OBJECT 424242 IS NULL;
SELECT data FROM replay WHERE data LIKE 'DO %' \gexec
SELECT pg_catalog.obj_description(424242, 'pg_largeobject'), lomowner::regrole FROM pg_largeobject_metadata WHERE oid = 424242;
-- Replayed where they are not: skipped with a warning, no error.
SELECT lo_unlink(424242), lo_unlink(424243);
SELECT data FROM replay WHERE data LIKE 'DO %' \gexec
DROP ROLE regress_ddl_lo_owner;
