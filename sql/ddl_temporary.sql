-- DDL whose every object is temporary (in a temporary schema, or depending
-- on an object there: a trigger, rule, policy or statistics object on a
-- temporary table, a view made temporary by what it reads) is not
-- replayed: PostgreSQL drops those objects with the session, and the
-- replay, which has no such table, would stop there.
\pset format unaligned
\pset tuples_only on
SET client_min_messages = warning;
CREATE EXTENSION scribe;
CREATE ROLE regress_ddl_temp_reader;
CREATE FUNCTION temp_trg() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
SELECT 'init' FROM pg_create_logical_replication_slot('regress_ddl_temporary', 'wal2sql');

CREATE TEMP TABLE tt (id int PRIMARY KEY, a int);
CREATE TRIGGER tt_trg BEFORE INSERT ON tt FOR EACH ROW EXECUTE FUNCTION temp_trg();
CREATE RULE tt_rule AS ON UPDATE TO tt DO INSTEAD NOTHING;
CREATE VIEW implicitly_temp AS SELECT * FROM tt;
CREATE RULE v_rule AS ON INSERT TO implicitly_temp DO INSTEAD NOTHING;
CREATE TRIGGER v_trg INSTEAD OF DELETE ON implicitly_temp FOR EACH ROW EXECUTE FUNCTION temp_trg();
CREATE INDEX ON tt (a);
ALTER TABLE tt ADD COLUMN b int DEFAULT 1;
COMMENT ON TABLE tt IS 'temporary';
COMMENT ON COLUMN tt.a IS 'temporary';
COMMENT ON TRIGGER tt_trg ON tt IS 'temporary';
COMMENT ON RULE tt_rule ON tt IS 'temporary';
ALTER TABLE tt ENABLE ROW LEVEL SECURITY;
CREATE POLICY tt_pol ON tt USING (a > 0);
ALTER POLICY tt_pol ON tt USING (a > 1);
COMMENT ON POLICY tt_pol ON tt IS 'temporary';
-- In a permanent schema, on a temporary table.
CREATE STATISTICS public.tt_stat ON id, a FROM tt;
ALTER STATISTICS public.tt_stat SET STATISTICS 10;
CREATE TEMP SEQUENCE tt_seq OWNED BY tt.a;
ALTER SEQUENCE tt_seq RESTART 5;
GRANT SELECT ON tt TO regress_ddl_temp_reader;
GRANT SELECT (a) ON tt TO regress_ddl_temp_reader;
REVOKE ALL ON tt FROM regress_ddl_temp_reader;
ALTER TRIGGER tt_trg ON tt RENAME TO tt_trg2;
ALTER TABLE tt DISABLE TRIGGER tt_trg2;
CREATE FUNCTION pg_temp.temp_fn() RETURNS int LANGUAGE sql AS 'SELECT 1';
CREATE TYPE pg_temp.temp_type AS (a int);
DROP TRIGGER tt_trg2 ON tt;
DROP RULE tt_rule ON tt;
DROP POLICY tt_pol ON tt;
DROP STATISTICS public.tt_stat;
DROP FUNCTION pg_temp.temp_fn();
DROP VIEW implicitly_temp;
-- Permanent objects still are.
CREATE TABLE perm (id int);
CREATE TRIGGER perm_trg BEFORE INSERT ON perm FOR EACH ROW EXECUTE FUNCTION temp_trg();
GRANT SELECT ON perm TO regress_ddl_temp_reader;
DROP TRIGGER perm_trg ON perm;
-- A DROP naming temporary and permanent relations: the permanent ones.
CREATE TABLE "perm 2" (id int);
CREATE TEMP TABLE tt2 (id int);
DROP TABLE tt2, "perm 2", tt CASCADE;
-- Other commands naming both kinds are replayed as written, and fail at
-- replay: a known limit.
SELECT rtrim(regexp_replace(data, '^(SELECT pg_catalog\.set_config|SET ROLE |RESET ROLE|SET search_path|;$)[^\n]*\n?', '', 'gn'), E'\n') AS data
  FROM pg_logical_slot_get_changes('regress_ddl_temporary', NULL, NULL,
  'include_settings', '0', 'include_header', '0', 'include_transaction', '0')
;

SELECT 'stop' FROM pg_drop_replication_slot('regress_ddl_temporary');
DROP EXTENSION scribe;
DROP TABLE perm;
DROP FUNCTION temp_trg();
DROP ROLE regress_ddl_temp_reader;
