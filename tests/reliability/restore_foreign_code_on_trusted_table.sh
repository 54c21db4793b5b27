#!/usr/bin/env bash
# Red team (DESIGN.md invariant 9: code that a role other than the restorer
# controls never runs with more than that role's rights).
#
# pg_scribe --restore replays the row changes of a table that a superuser
# owns as they are ("a superuser's code has the restorer's rights
# anyway"). But the code such a change evaluates need not be the
# superuser's: a column whose type is an ordinary role's domain runs that
# role's domain CHECK, and an index expression may call that role's
# function, which it can replace at any time (CREATE OR REPLACE). At the
# source that code runs as whoever writes the row (here an application
# role); at restore, as the restoring superuser.
#
# Setup: a superuser's table public.orders with a column of type
# att.qty (the attacker's domain) and an index on att.norm(note) (the
# attacker's function); an application role "writer" inserts rows. The
# attacker adds a CHECK to its domain and replaces its function with ones
# that try ALTER ROLE attacker SUPERUSER.
#
# Expected (secure): no code of the attacker runs as postgres during the
# restore; the attacker stays an ordinary role. On main at 3f6e277 the
# restore makes the attacker a superuser.
set -euo pipefail
cd "$(dirname "$0")/../../.."
source tests/lib/reliability.sh
CLUSTER_EXTRA_CONF="log_min_messages = warning"
start_throwaway_cluster restore_foreign_code
watchdog restore_foreign_code 300

backups=$work/backups
mkdir -p "$backups" "$work/cwd"
chown postgres: "$backups"
cd "$work/cwd"

q -d postgres -c "CREATE ROLE attacker LOGIN" -c "CREATE ROLE writer LOGIN" >/dev/null
createdb src
q -d src -c "CREATE EXTENSION scribe" -c "CREATE SCHEMA att AUTHORIZATION attacker" >/dev/null
psql -X -q -v ON_ERROR_STOP=1 -U attacker -d src >/dev/null <<'SQL'
CREATE DOMAIN att.qty AS int CHECK (VALUE > 0);
CREATE FUNCTION att.norm(t text) RETURNS text LANGUAGE sql IMMUTABLE AS 'SELECT lower(t)';
GRANT USAGE ON SCHEMA att TO PUBLIC;
SQL
q -d src >/dev/null <<'SQL'
CREATE TABLE public.orders (id int PRIMARY KEY, qty att.qty, note text);
CREATE INDEX orders_note ON public.orders (att.norm(note));
GRANT INSERT, SELECT ON public.orders TO writer;
SQL
q -d src -c "SELECT chain_id FROM scribe.init('$backups/src', 'scribe_src')" >/dev/null
psql -X -q -v ON_ERROR_STOP=1 -U attacker -d src >/dev/null <<'SQL'
CREATE FUNCTION att.probe(what text) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
  RAISE WARNING 'scribe-probe % current_user=%', what, current_user;
  BEGIN
    EXECUTE 'ALTER ROLE attacker SUPERUSER';
  EXCEPTION WHEN insufficient_privilege THEN NULL;
  END;
  RETURN true;
END$$;
ALTER DOMAIN att.qty ADD CONSTRAINT evil CHECK (att.probe('domain'));
CREATE OR REPLACE FUNCTION att.norm(t text) RETURNS text LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN PERFORM att.probe('index'); RETURN lower(t); END$$;
SQL
psql -X -q -v ON_ERROR_STOP=1 -U writer -d src -c "INSERT INTO public.orders VALUES (1, 3, 'Hello')" >/dev/null 2>&1
q -d src -c "SELECT * FROM scribe.rotate_diff()" >/dev/null
is_super() { psql -X -At -d postgres -c "SELECT rolsuper FROM pg_roles WHERE rolname = 'attacker'"; }
if [ "$(is_super)" = f ]; then ok "source: the writer's insert ran the attacker's code as the writer only"; else
  fail "source: the attacker became a superuser already"; fi

from=$(($(wc -l <"$(server_log)") + 1))
if "$PG_SCRIBE" --restore --create -d r --backup-dir "$backups/src" >"$work/r.out" 2>&1; then
  ok "pg_scribe --restore completes"
else fail "pg_scribe --restore failed: $(tail -3 "$work/r.out")"; fi
tail -n +"$from" "$(server_log)" >"$work/r.log"
if grep -q 'scribe-probe .* current_user=postgres' "$work/r.log"; then
  fail "the attacker's code ran as the restoring superuser: $(grep -o 'scribe-probe [a-z]* current_user=postgres' "$work/r.log" | sort -u | tr '\n' ' ')"
else ok "no code of the attacker ran as the superuser"; fi
if [ "$(is_super)" = f ]; then ok "the attacker is not a superuser after the restore"; else
  fail "the restore made the attacker a superuser"; fi
q -d postgres -c "ALTER ROLE attacker NOSUPERUSER" >/dev/null
finish restore_foreign_code_on_trusted_table
