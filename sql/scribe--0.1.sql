-- pg_scribe 0.1: DDL capture. The backup engine's functions and views
-- arrive with later versions of this script and its upgrade scripts.
\echo Use "CREATE EXTENSION scribe" to load this file. \quit

COMMENT ON SCHEMA scribe IS 'pg_scribe: continuous plain-SQL backup';
REVOKE ALL ON SCHEMA scribe FROM PUBLIC;

-- Refuse to install where the library was not loaded at server start: the
-- capture would then miss statement texts.
CREATE FUNCTION scribe.assert_preloaded() RETURNS void
  LANGUAGE C STRICT AS 'MODULE_PATHNAME', 'scribe_assert_preloaded';
SELECT scribe.assert_preloaded();

-- Writes each DDL statement into the WAL as a signed, transactional
-- "scribe.ddl" message (see the README, "Captured DDL").
CREATE FUNCTION scribe.capture_ddl() RETURNS event_trigger
  LANGUAGE C AS 'MODULE_PATHNAME', 'scribe_capture_ddl';
REVOKE ALL ON FUNCTION scribe.capture_ddl() FROM PUBLIC;

CREATE EVENT TRIGGER scribe_capture_ddl_start ON ddl_command_start EXECUTE FUNCTION scribe.capture_ddl();
CREATE EVENT TRIGGER scribe_capture_sql_drop ON sql_drop EXECUTE FUNCTION scribe.capture_ddl();
CREATE EVENT TRIGGER scribe_capture_ddl_end ON ddl_command_end EXECUTE FUNCTION scribe.capture_ddl();
-- ALWAYS: session_replication_role = replica must not switch capture off.
ALTER EVENT TRIGGER scribe_capture_ddl_start ENABLE ALWAYS;
ALTER EVENT TRIGGER scribe_capture_sql_drop ENABLE ALWAYS;
ALTER EVENT TRIGGER scribe_capture_ddl_end ENABLE ALWAYS;
