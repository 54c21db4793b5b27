-- User triggers that fire under session_replication_role = replica (ENABLE
-- ALWAYS, ENABLE REPLICA) are switched off around their table's changes and
-- back on to their mode before COMMIT and before captured DDL: their effects
-- are in the stream already (DESIGN.md invariant 9). Ordinary, disabled and
-- internal (foreign key) triggers are left alone.
\pset format unaligned
\pset tuples_only on
SET client_min_messages = warning;
CREATE EXTENSION scribe;
CREATE TABLE trg_parent (id int PRIMARY KEY);
CREATE TABLE trg (id int PRIMARY KEY, parent int REFERENCES trg_parent);
CREATE TABLE trg_plain (id int PRIMARY KEY);
CREATE TABLE trg_audit (id serial PRIMARY KEY, tid int);
CREATE FUNCTION trg_audit() RETURNS trigger LANGUAGE plpgsql AS
$$BEGIN INSERT INTO trg_audit (tid) VALUES (NEW.id); RETURN NEW; END$$;
CREATE TRIGGER always AFTER INSERT ON trg FOR EACH ROW EXECUTE FUNCTION trg_audit();
CREATE TRIGGER "Replica ""r""" AFTER INSERT ON trg FOR EACH ROW EXECUTE FUNCTION trg_audit();
CREATE TRIGGER origin AFTER INSERT ON trg FOR EACH ROW EXECUTE FUNCTION trg_audit();
CREATE TRIGGER off AFTER INSERT ON trg FOR EACH ROW EXECUTE FUNCTION trg_audit();
CREATE TRIGGER plain AFTER INSERT ON trg_plain FOR EACH ROW EXECUTE FUNCTION trg_audit();
ALTER TABLE trg ENABLE ALWAYS TRIGGER always;
ALTER TABLE trg ENABLE REPLICA TRIGGER "Replica ""r""";
ALTER TABLE trg DISABLE TRIGGER off;
CREATE TABLE trg_part (id int, v int) PARTITION BY RANGE (id);
CREATE TABLE trg_part_1 PARTITION OF trg_part FOR VALUES FROM (0) TO (100);
CREATE TRIGGER cloned AFTER INSERT ON trg_part FOR EACH ROW EXECUTE FUNCTION trg_audit();
ALTER TABLE trg_part ENABLE ALWAYS TRIGGER cloned;
INSERT INTO trg_parent VALUES (1);
SELECT 'init' FROM pg_create_logical_replication_slot('regress_triggers', 'wal2sql');

-- Switched off once per transaction, on again before COMMIT.
INSERT INTO trg VALUES (1, 1), (2, 1);
-- A table with only an ordinary trigger: nothing around it.
INSERT INTO trg_plain VALUES (1);
UPDATE trg SET parent = 1 WHERE id = 1;
-- A partition: the clone of its parent's trigger is named on it; TRUNCATE
-- switches off the triggers of every table it names.
INSERT INTO trg_part VALUES (5, 1);
TRUNCATE trg_part;
-- Captured DDL between changes: the triggers are on again before it, and
-- the next change switches off what is then set to fire.
BEGIN;
INSERT INTO trg VALUES (3, 1);
ALTER TABLE trg DISABLE TRIGGER always;
INSERT INTO trg VALUES (4, 1);
ALTER TABLE trg ENABLE ALWAYS TRIGGER always;
COMMIT;
SELECT data FROM pg_logical_slot_get_changes('regress_triggers', NULL, NULL,
  'include_settings', '0', 'include_header', '0');

SELECT 'stop' FROM pg_drop_replication_slot('regress_triggers');
DROP TABLE trg, trg_parent, trg_plain, trg_audit, trg_part;
DROP FUNCTION trg_audit();
DROP EXTENSION scribe;
