-- Issue 15, classes 5, 6, 7a and 8: DDL that used to be missed, to leak, or
-- to replay otherwise than it ran. Run by tests/e2e/ddl_fidelity_capture.sh.
SET client_min_messages = warning;

-- Class 5: DDL on temporary objects stays out of the stream.
CREATE FUNCTION app_trg() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE TEMP TABLE scratch (id int PRIMARY KEY, a int);
CREATE TRIGGER scratch_trg BEFORE INSERT ON scratch FOR EACH ROW EXECUTE FUNCTION app_trg();
CREATE RULE scratch_rule AS ON UPDATE TO scratch DO INSTEAD NOTHING;
CREATE VIEW scratch_view AS SELECT * FROM scratch;
CREATE RULE scratch_view_rule AS ON INSERT TO scratch_view DO INSTEAD NOTHING;
ALTER TABLE scratch ENABLE ROW LEVEL SECURITY;
CREATE POLICY scratch_pol ON scratch USING (a > 0);
CREATE STATISTICS public.scratch_stat ON id, a FROM scratch;
COMMENT ON TRIGGER scratch_trg ON scratch IS 'gone with the session';
GRANT SELECT ON scratch TO PUBLIC;
DROP TRIGGER scratch_trg ON scratch;
-- A permanent function whose body reads a temporary table: replayed, with
-- its body not checked (as pg_dump does).
CREATE TEMP TABLE session_notes (note text);
CREATE FUNCTION count_session_notes() RETURNS bigint LANGUAGE sql AS 'SELECT count(*) FROM session_notes';
DROP POLICY scratch_pol ON scratch;
-- A permanent table made LIKE a temporary one replays as the catalog has it
-- (on 18 with the not-null constraint LIKE copied under the source's name).
CREATE TEMP TABLE like_tmp (a text NOT NULL DEFAULT 'x', b int);
CREATE TABLE like_perm (LIKE like_tmp INCLUDING ALL, extra int NOT NULL);
INSERT INTO like_perm (b, extra) VALUES (1, 1);

-- Class 6: EXPLAIN ANALYZE creates tables; CLUSTER marks an index.
CREATE TABLE src (id int PRIMARY KEY, v text);
INSERT INTO src SELECT g, 'v' || g FROM generate_series(1, 20) g;
CREATE INDEX src_v ON src (v);
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) CREATE TABLE src_copy AS SELECT * FROM src;
EXPLAIN ANALYZE SELECT id INTO src_ids FROM src WHERE id % 2 = 0;
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) CREATE MATERIALIZED VIEW src_mv AS SELECT id FROM src;
DO $$ BEGIN EXECUTE 'EXPLAIN ANALYZE CREATE TABLE src_from_do AS SELECT 1 AS one'; END $$;
INSERT INTO src_copy VALUES (21, 'later');
CLUSTER src USING src_v;

-- Class 7a: a bound evaluated at the source, rows routed by it.
CREATE TABLE events (at timestamptz, note text) PARTITION BY RANGE (at);
BEGIN;
CREATE TABLE events_now PARTITION OF events
  FOR VALUES FROM (current_timestamp) TO (current_timestamp + interval '1 millisecond');
INSERT INTO events VALUES (current_timestamp, 'routed at the source');
COMMIT;
CREATE TABLE events_rest (LIKE events);
ALTER TABLE events ATTACH PARTITION events_rest FOR VALUES FROM (MINVALUE) TO ('today'::date - 1);
INSERT INTO events VALUES ('today'::date - 2, 'long ago');

-- Class 8: large objects: one the replay has (created before the capture
-- started), one it lacks (4710: the test removes it from dst, as from a
-- base without large objects), and one created, written and granted on
-- during the capture.
GRANT SELECT ON LARGE OBJECT 4711 TO PUBLIC;
COMMENT ON LARGE OBJECT 4711 IS 'kept';
GRANT SELECT ON LARGE OBJECT 4710 TO PUBLIC;
BEGIN;
SELECT lo_create(4712);
SELECT lo_put(4712, 0, decode(repeat('00ff', 300000), 'hex'));
COMMIT;
GRANT SELECT ON LARGE OBJECT 4712 TO PUBLIC;
COMMENT ON LARGE OBJECT 4712 IS 'backed up';
SELECT lo_from_bytea(4713, 'unlinked later');
SELECT lo_unlink(4713);

-- Class 5 again: a DROP naming temporary and permanent tables.
CREATE TABLE doomed (id int);
DROP TABLE doomed, scratch CASCADE;
