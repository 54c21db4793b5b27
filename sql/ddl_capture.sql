-- DDL capture: each statement once, alone, exactly as written, in its
-- transaction, with the search_path and role it ran with.
\pset format unaligned
\pset tuples_only on
SET client_min_messages = warning;
CREATE EXTENSION scribe;
CREATE ROLE regress_ddl_owner;
GRANT CREATE ON SCHEMA public TO regress_ddl_owner;
SELECT 'init' FROM pg_create_logical_replication_slot('regress_ddl', 'wal2sql');

-- Several statements in one query string: each DDL once; the DML decoded.
SELECT 1 \; CREATE TABLE multi (id int PRIMARY KEY) \; INSERT INTO multi VALUES (1) \; CREATE INDEX multi_idx ON multi ((id * 2));
-- From a function (EXECUTE format), a procedure and a DO block: the executed
-- statement, not the call.
CREATE FUNCTION make_table(name text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN EXECUTE format('CREATE TABLE %I (id int)', name); END $$;
SELECT make_table('from_function');
CREATE PROCEDURE make_proc_table() LANGUAGE sql AS $$ CREATE TABLE from_procedure (id int); $$;
CALL make_proc_table();
DO $$ BEGIN EXECUTE 'CREATE TABLE from_do (id int)'; END $$;
-- Nested DDL: once.
CREATE SCHEMA nested CREATE TABLE inner_t (id int) CREATE VIEW inner_v AS SELECT * FROM inner_t;
ALTER TABLE multi ADD COLUMN counter serial;
-- Context: another search_path and another role.
SET search_path = nested, public;
SET ROLE regress_ddl_owner;
CREATE TABLE owned_by_role (id int);
RESET ROLE;
RESET search_path;
-- Rolled back, in a transaction or a subtransaction: nothing.
BEGIN; CREATE TABLE rolled_back (id int); ROLLBACK;
BEGIN; CREATE TABLE kept (id int); SAVEPOINT s; CREATE TABLE rolled_back_sub (id int); ROLLBACK TO s; COMMIT;
-- Temporary objects: not replayed.
CREATE TEMP TABLE tmp (id int);
CREATE INDEX ON tmp (id);
DROP TABLE tmp;
-- TRUNCATE: once, from the decoded change, not as DDL.
TRUNCATE multi;
-- An extension: the statement, not its script.
CREATE EXTENSION IF NOT EXISTS hstore;
-- Objects of every kind.
COMMENT ON TABLE kept IS 'it''s kept';
GRANT SELECT ON kept TO regress_ddl_owner;
REVOKE SELECT ON kept FROM regress_ddl_owner;
ALTER TABLE kept OWNER TO regress_ddl_owner;
ALTER TABLE kept RENAME TO kept_renamed;
CREATE TYPE mood AS ENUM ('sad', 'ok');
ALTER TYPE mood ADD VALUE 'happy';
CREATE DOMAIN positive AS int CHECK (VALUE > 0);
CREATE VIEW v AS SELECT id FROM multi;
CREATE FUNCTION trg() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE TRIGGER multi_trg BEFORE INSERT ON multi FOR EACH ROW EXECUTE FUNCTION trg();
ALTER TABLE multi ENABLE ROW LEVEL SECURITY;
CREATE POLICY p ON multi USING (id > 0);
DROP TABLE from_do;
DROP SCHEMA nested CASCADE;
SELECT data FROM pg_logical_slot_get_changes('regress_ddl', NULL, NULL,
  'include_settings', '0', 'include_header', '0', 'include_transaction', '0');

SELECT 'stop' FROM pg_drop_replication_slot('regress_ddl');
DROP EXTENSION scribe;
DROP EXTENSION hstore;
DROP TABLE multi, from_function, from_procedure, owned_by_role, kept_renamed CASCADE;
DROP VIEW IF EXISTS v;
DROP FUNCTION make_table(text), trg();
DROP PROCEDURE make_proc_table();
DROP TYPE mood;
DROP DOMAIN positive;
REVOKE CREATE ON SCHEMA public FROM regress_ddl_owner;
DROP ROLE regress_ddl_owner;
