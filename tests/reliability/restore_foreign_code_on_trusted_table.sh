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
# attacker's function); an application role "writer" inserts rows. Before
# the base, the attacker adds to its domain a CHECK that tries ALTER ROLE
# attacker SUPERUSER (so the base's COPY evaluates it); after the base it
# replaces its index function with one that does the same (so the diff's
# row changes evaluate both).
#
# Expected (secure): the row changes and the base's COPY of such a table
# run as the attacker (the one role whose code the table calls), with the
# table rights it lacks lent for the call: no code of the attacker runs
# as postgres, the attacker stays an ordinary role, and the restores (one
# connection and --jobs 2) equal the source, privileges included. Before
# (main at 3f6e277) the restore made the attacker a superuser.
#
# Not covered, an open gap (README): an index that the base builds on such
# a table runs its expression as the table's owner, as PostgreSQL builds
# every index (pg_restore does the same).
set -euo pipefail
cd "$(dirname "$0")/../.."
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
CREATE FUNCTION att.probe(what text) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
  RAISE WARNING 'scribe-probe % current_user=%', what, current_user;
  BEGIN
    EXECUTE 'ALTER ROLE attacker SUPERUSER';
  EXCEPTION WHEN insufficient_privilege THEN NULL;
  END;
  RETURN true;
END$$;
CREATE DOMAIN att.qty AS int CHECK (VALUE > 0);
ALTER DOMAIN att.qty ADD CONSTRAINT evil CHECK (att.probe('domain'));
CREATE FUNCTION att.norm(t text) RETURNS text LANGUAGE sql IMMUTABLE AS 'SELECT lower(t)';
GRANT USAGE ON SCHEMA att TO PUBLIC;
SQL
q -d src >/dev/null <<'SQL'
CREATE TABLE public.orders (id int PRIMARY KEY, qty att.qty, note text);
CREATE INDEX orders_note ON public.orders (att.norm(note));
GRANT INSERT, SELECT ON public.orders TO writer;
SQL
psql -X -q -v ON_ERROR_STOP=1 -U writer -d src -c "INSERT INTO public.orders VALUES (1, 2, 'In the base')" >/dev/null 2>&1
q -d src -c "SELECT chain_id FROM scribe.init('$backups/src', 'scribe_src')" >/dev/null
psql -X -q -v ON_ERROR_STOP=1 -U attacker -d src >/dev/null <<'SQL'
CREATE OR REPLACE FUNCTION att.norm(t text) RETURNS text LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN PERFORM att.probe('index'); RETURN lower(t); END$$;
SQL
psql -X -q -v ON_ERROR_STOP=1 -U writer -d src -c "INSERT INTO public.orders VALUES (2, 3, 'Hello')" >/dev/null 2>&1
q -d src -c "SELECT * FROM scribe.rotate_diff()" >/dev/null
is_super() { psql -X -At -d postgres -c "SELECT rolsuper FROM pg_roles WHERE rolname = 'attacker'"; }
if [ "$(is_super)" = f ]; then ok "source: the writer's inserts ran the attacker's code as the writer only"; else
  fail "source: the attacker became a superuser already"; fi

for jobs in 1 2; do
  from=$(($(wc -l <"$(server_log)") + 1))
  if "$PG_SCRIBE" --restore --create -d "r$jobs" --jobs "$jobs" --backup-dir "$backups/src" >"$work/r.out" 2>&1 &&
    compare_databases src "r$jobs" "$work"; then
    ok "--jobs $jobs: pg_scribe --restore equals the source (privileges included: the lent rights taken back)"
  else fail "--jobs $jobs: pg_scribe --restore failed or differs: $(tail -3 "$work/r.out")"; fi
  tail -n +"$from" "$(server_log)" >"$work/r.log"
  if grep -q 'scribe-probe .* current_user=postgres' "$work/r.log"; then
    fail "--jobs $jobs: the attacker's code ran as the restoring superuser: $(grep -o 'scribe-probe [a-z]* current_user=postgres' "$work/r.log" | sort -u | tr '\n' ' ')"
  else ok "--jobs $jobs: no code of the attacker ran as the superuser"; fi
  for what in domain index; do
    if grep -q "scribe-probe $what current_user=attacker" "$work/r.log"; then
      ok "--jobs $jobs: the attacker's $what code ran, as the attacker"
    else fail "--jobs $jobs: the attacker's $what code did not run as the attacker (the test no longer tests it)"; fi
  done
  if [ "$(is_super)" = f ]; then ok "--jobs $jobs: the attacker is not a superuser after the restore"; else
    fail "--jobs $jobs: the restore made the attacker a superuser"
    q -d postgres -c "ALTER ROLE attacker NOSUPERUSER" >/dev/null
  fi
done
finish restore_foreign_code_on_trusted_table
