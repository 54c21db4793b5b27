#!/usr/bin/env bash
# How the replay resolves names, end to end (issue 15: a function reached
# from a replayed row change finds what it found at the source; issue 16,
# 3a: nothing a role creates can make the replay's own comparisons
# ambiguous or capture them).
#
# - A superuser's CHECK constraint and generated column call a function
#   that calls another one unqualified (as vacuum.sql's index expression
#   does): with search_path = pg_catalog alone, the INSERT that committed at
#   the source failed at replay.
# - An ordinary role owns an enum, a table keyed by it and a key-less one
#   with enum and enum-array columns, and makes its types implicitly
#   castable to text: "=" between two such values then has two candidates
#   (anyenum's and text's), and a comparison "c = 'red'::att.color" stopped
#   every restore with "operator is not unique" (42725).
# - The same role, with CREATE on public (the default before PostgreSQL 15),
#   puts an "=" for varchar there that records who calls it and tries to
#   make the role a superuser: the replay's comparisons on a superuser's
#   varchar key must not call it, now that public is on the replay's path.
# Both restore paths must complete, the role must not gain anything, and
# the restores must equal the source.
set -euo pipefail
cd "$(dirname "$0")/../.."
source tests/lib/e2e.sh
start_throwaway_cluster replay_names
make_backups_dir

createdb app
q -d app <<'SQL'
CREATE ROLE att LOGIN;
GRANT CREATE ON SCHEMA public TO att;
CREATE SCHEMA att AUTHORIZATION att;
CREATE TABLE att.log (who text, what text);
GRANT INSERT ON att.log TO PUBLIC;
CREATE EXTENSION scribe;
SQL
q -d app -c "SELECT * FROM scribe.init('$backups/app')" >/dev/null 2>&1
wait_streaming app 60

q -d app <<'SQL'
CREATE FUNCTION helper_val(i int) RETURNS int IMMUTABLE LANGUAGE sql AS 'SELECT i + 1';
CREATE FUNCTION wrap_val(i int) RETURNS int IMMUTABLE LANGUAGE sql AS 'SELECT helper_val(i)';
CREATE TABLE checked (id int PRIMARY KEY, a int CHECK (wrap_val(a) > 0),
                      g int GENERATED ALWAYS AS (wrap_val(id)) STORED);
INSERT INTO checked (id, a) VALUES (1, 1), (2, 2);
UPDATE checked SET a = 5 WHERE id = 1;

SET ROLE att;
CREATE TYPE att.color AS ENUM ('red', 'green', 'blue');
CREATE TABLE att.paint (c att.color PRIMARY KEY, v int);
CREATE TABLE att.paint_full (c att.color, cs att.color[], r int4range);
INSERT INTO att.paint VALUES ('red', 1), ('green', 2), ('blue', 3);
INSERT INTO att.paint_full VALUES ('red', '{red,blue}', '[1,5)'), ('blue', '{}', 'empty');
CREATE CAST (att.color AS text) WITH INOUT AS IMPLICIT;
CREATE CAST (att.color[] AS text) WITH INOUT AS IMPLICIT;
UPDATE att.paint SET v = 10 WHERE v = 1;
DELETE FROM att.paint WHERE v = 2;
UPDATE att.paint SET c = 'green' WHERE v = 3;
UPDATE att.paint_full SET r = '[2,3)' WHERE r = '[1,5)';
DELETE FROM att.paint_full WHERE r = 'empty';

CREATE FUNCTION public.att_eq(a varchar, b varchar) RETURNS bool LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO att.log VALUES (current_user, 'varchar =');
  BEGIN
    EXECUTE 'ALTER ROLE att SUPERUSER';
  EXCEPTION WHEN OTHERS THEN NULL;
  END;
  RETURN a::text OPERATOR(pg_catalog.=) b::text;
END$$;
CREATE OPERATOR public.= (LEFTARG = varchar, RIGHTARG = varchar, FUNCTION = public.att_eq);
RESET ROLE;

CREATE TABLE vkeys (k varchar PRIMARY KEY, v int);
INSERT INTO vkeys SELECT 'k' || g, g FROM generate_series(1, 12) g;
-- The source's own statements name pg_catalog's operator, so they never
-- call att's; one at a time, so that pg_scribe --restore merges them.
UPDATE vkeys SET v = 100 WHERE k OPERATOR(pg_catalog.=) 'k1';
UPDATE vkeys SET v = 200 WHERE k OPERATOR(pg_catalog.=) 'k2';
UPDATE vkeys SET v = 300 WHERE k OPERATOR(pg_catalog.=) 'k3';
UPDATE vkeys SET v = 400 WHERE k OPERATOR(pg_catalog.=) 'k4';
UPDATE vkeys SET v = 500 WHERE k OPERATOR(pg_catalog.=) 'k5';
DELETE FROM vkeys WHERE k OPERATOR(pg_catalog.=) 'k6';
DELETE FROM vkeys WHERE k OPERATOR(pg_catalog.=) 'k7';
DELETE FROM vkeys WHERE k OPERATOR(pg_catalog.=) 'k8';
SQL
q -d app -c "SELECT * FROM scribe.rotate_diff()" >/dev/null
chain=$(ls -d "$backups"/app/chain-* | tail -1)

if restore_chain "$chain" app_psql 2>"$work/psql.err"; then ok "psql -v ON_ERROR_STOP=1 restores the chain"; else
  fail "psql restore failed: $(tail -3 "$work/psql.err")"; fi
if "$PG_SCRIBE" --restore --backup-dir "$backups/app" -d app_cli --create >"$work/cli.out" 2>&1; then
  ok "pg_scribe --restore restores the chain"
else fail "pg_scribe --restore failed: $(tail -3 "$work/cli.out")"; fi

if [ "$(psql -X -At -d app -c "SELECT rolsuper FROM pg_roles WHERE rolname = 'att'")" = f ]; then
  ok "att is no superuser after both restores"
else fail "att became a superuser"; fi
calls=$(psql -X -At -d app_cli -c "SELECT count(*) FROM att.log")
calls_psql=$(psql -X -At -d app_psql -c "SELECT count(*) FROM att.log" 2>/dev/null || echo "?")
if [ "$calls" = 0 ] && [ "$calls_psql" = 0 ]; then ok "the replays never called att's = for varchar"; else
  fail "att's operator ran during replay ($calls with pg_scribe --restore, $calls_psql with psql)"; fi
for db in app_psql app_cli; do
  if compare_databases app "$db" "$work"; then ok "$db equals the source (schema and every table)"; else fail "$db differs"; fi
done

finish replay_names
