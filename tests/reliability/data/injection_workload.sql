-- The writes of tests/reliability/injection.sh after scribe.init, in two
-- phases (a rotation between them). psql variables: seed (for setseed),
-- rows (rows per table and step), phase (1 or 2), mdir, copydir (a
-- directory the server writes COPY files to), role (the hostile role).
\set ON_ERROR_STOP 1
SELECT set_config('inj.mdir', :'mdir', false);
SELECT set_config('inj.copydir', :'copydir', false);
SELECT set_config('inj.rows', :'rows', false);
SELECT setseed(:seed);
SELECT :phase = 1 AS first_phase \gset

\if :first_phase
-- INSERT ... SELECT: one heap insert per row.
SELECT inj_gen.fill(t, :rows) FROM inj_gen.tables() t;
-- Identical rows in the REPLICA IDENTITY FULL tables: a change must touch
-- exactly one of them, as on the source.
DO $fn$
DECLARE
  t regclass;
BEGIN
  FOR t IN SELECT * FROM inj_gen.tables('f') LOOP
    EXECUTE format('INSERT INTO %s SELECT * FROM %s LIMIT 3', t, t);
  END LOOP;
END
$fn$;

-- Multi-row INSERTs typed by a client, every quoting style at once.
INSERT INTO "Sch ""q"" 's' \ $$ ;--"."v '); DROP TABLE canary; --"
  ("k'); DROP TABLE canary; --", "Tëxt ""q"" $$", "vc \gexec", "ch;--", "b /* */", "select", "n", "f8")
VALUES
  (E'client \\ ''1''', $q$'); DROP TABLE canary; --$q$, E'\n\\gexec\n', E'\\', E'\\x5c27', '{"\\\\", "\"", NULL}', 'NaN', '-0'),
  (U&'client \0027\+01F418 2', $$$wal2sql$ $$, E'line\n\\.\nafter', 'E''', '\x00ff27', '{{a,b},{c,d}}', '-1e-20', 'Infinity'),
  ('client 3 ' || chr(1114111), E'\r\n\\.\r\n', E'\\! touch ' || current_setting('inj.mdir') || '/client', '*/', '\x', '{}',
   '123456789012345678901234567890', '4.9e-324');

-- COPY FROM: heap multi-inserts, decoded by another path.
DO $fn$
DECLARE
  t regclass;
  f text := current_setting('inj.copydir') || '/rows.copy';
  cols text;
  exprs text;
BEGIN
  FOR t IN SELECT * FROM inj_gen.tables() LOOP
    SELECT string_agg(col, ', '), string_agg(expr, ', ') INTO cols, exprs FROM inj_gen.row_exprs(t);
    EXECUTE format('COPY (SELECT %s FROM generate_series(1, %s)) TO %L', exprs, greatest(current_setting('inj.rows')::int / 2, 1), f);
    EXECUTE format('COPY %s (%s) FROM %L', t, cols, f);
  END LOOP;
END
$fn$;

-- UPDATEs: small columns only (TOASTed values unchanged: not in the WAL),
-- then the big ones (TOASTed values changed), then keys.
DO $fn$
DECLARE
  t regclass;
  sets text;
BEGIN
  FOR t IN SELECT * FROM inj_gen.tables('v') UNION ALL SELECT * FROM inj_gen.tables('f') LOOP
    SELECT string_agg(col || ' = ' || expr, ', ') INTO sets
      FROM inj_gen.row_exprs(t, ARRAY['Tëxt "q" $$', 'n', 'f4', 'JB', 'comp', 'select', 'e', 'x <!-- ]]>', 'rz'], false);
    EXECUTE format('UPDATE %s SET %s WHERE random() < 0.4', t, sets);
    SELECT string_agg(col || ' = ' || expr, ', ') INTO sets
      FROM inj_gen.row_exprs(t, ARRAY['big E''', 'bigb \.', 'j$tag$'], false);
    EXECUTE format('UPDATE %s SET %s WHERE random() < 0.3', t, sets);
  END LOOP;
  FOR t IN SELECT * FROM inj_gen.tables('v') LOOP
    EXECUTE format('UPDATE %s SET %I = inj_gen.key() WHERE random() < 0.25', t, 'k''); DROP TABLE canary; --');
  END LOOP;
  FOR t IN SELECT * FROM inj_gen.tables('p') LOOP
    SELECT string_agg(col || ' = ' || expr, ', ') INTO sets FROM inj_gen.row_exprs(t, ARRAY['kb', 'kn', 'p''; --'], false);
    EXECUTE format('UPDATE %s SET %s WHERE random() < 0.4', t, sets);
  END LOOP;
  FOR t IN SELECT * FROM inj_gen.tables('u') LOOP
    SELECT string_agg(col || ' = ' || expr, ', ') INTO sets FROM inj_gen.row_exprs(t, ARRAY['u"', 'w /*'], false);
    EXECUTE format('UPDATE %s SET %s WHERE random() < 0.4', t, sets);
  END LOOP;
END
$fn$;
\else
-- A rolled back transaction and a rolled back savepoint leave nothing.
BEGIN;
SELECT inj_gen.fill(t, 2) FROM inj_gen.tables('v') t;
DELETE FROM public.canary;
ROLLBACK;
BEGIN;
SELECT inj_gen.fill(t, 1) FROM inj_gen.tables('p') t;
SAVEPOINT s;
DELETE FROM public.canary;
SELECT inj_gen.fill(t, 2) FROM inj_gen.tables('u') t;
ROLLBACK TO SAVEPOINT s;
SELECT inj_gen.fill(t, 1) FROM inj_gen.tables('f') t;
COMMIT;

-- DELETEs, every kind of replica identity.
DO $fn$
DECLARE
  t regclass;
BEGIN
  FOR t IN SELECT * FROM inj_gen.tables() LOOP
    EXECUTE format('DELETE FROM %s WHERE random() < 0.2', t);
  END LOOP;
END
$fn$;

-- TRUNCATE, then new rows.
DO $fn$
DECLARE
  t regclass;
BEGIN
  t := (SELECT x FROM inj_gen.tables('v') x LIMIT 1);
  EXECUTE format('TRUNCATE %s', t);
  PERFORM inj_gen.fill(t, 3);
  t := (SELECT x FROM inj_gen.tables('f') x OFFSET 1 LIMIT 1);
  EXECUTE format('TRUNCATE %s', t);
  PERFORM inj_gen.fill(t, 3);
END
$fn$;

-- DDL in the stream, run by the hostile role with a hostile search_path:
-- names, comments and defaults full of quotes and meta-commands.
SET ROLE :"role";
SET search_path = "Sch ""q"" 's' \ $$ ;--", "select", public;
CREATE TABLE "new ""t"" $$ \gexec" (
  "id $$" int PRIMARY KEY,
  "v'); DROP TABLE canary; --" text DEFAULT E'\n\\! touch /nonexistent/default\n',
  "E'" bytea,
  "JB;--" jsonb);
DO $fn$
DECLARE
  m text := current_setting('inj.mdir');
BEGIN
  EXECUTE format('ALTER TABLE %I ADD COLUMN %I text', 'new "t" $$ \gexec', E'nl\n\\! touch ' || m || '/ddl1');
  EXECUTE format('COMMENT ON TABLE %I IS %L', 'new "t" $$ \gexec',
                 E'\n\\! touch ' || m || E'/ddl2\n''); DROP TABLE canary; --\n\\.\n');
  EXECUTE format('COMMENT ON COLUMN %I.%I IS %L', 'new "t" $$ \gexec', 'E''', '$$; DROP TABLE canary; $$');
END
$fn$;
CREATE INDEX "i ;-- */" ON "new ""t"" $$ \gexec" (("JB;--" ->> 'a'''), "v'); DROP TABLE canary; --");
CREATE VIEW "v */ \." AS
  SELECT "id $$", "v'); DROP TABLE canary; --" FROM "new ""t"" $$ \gexec" WHERE "v'); DROP TABLE canary; --" <> E'\\! x';
INSERT INTO "new ""t"" $$ \gexec" ("id $$", "E'", "JB;--")
  SELECT g, convert_to(inj_gen.str(20), 'UTF8'), to_jsonb(inj_gen.str(20)) FROM generate_series(1, 10) g;
UPDATE "new ""t"" $$ \gexec" SET "v'); DROP TABLE canary; --" = inj_gen.str(30) WHERE "id $$" % 2 = 0;
RESET ROLE;
RESET search_path;

-- More rows after the DDL, in one bigger transaction.
SELECT inj_gen.fill(t, :rows) FROM inj_gen.tables() t;
\endif
