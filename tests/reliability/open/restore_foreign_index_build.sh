#!/usr/bin/env bash
# Red team, what is left of F3 (DESIGN.md invariant 9: code that a role
# other than the restorer controls never runs with more than that role's
# rights).
#
# A superuser's table with an index on an ordinary role's function: its
# row changes and its base COPY now run as that role
# (tests/reliability/restore_foreign_code_on_trusted_table.sh), but the
# base builds the index after the data, and PostgreSQL builds every index
# as the table's owner, here the restoring superuser's peer: the
# function, replaced by its owner before the base, runs with a
# superuser's rights (pg_restore and psql do the same).
#
# Expected (secure): no code of the attacker runs as postgres during the
# restore. Fails on main (2026-12-07).
set -euo pipefail
cd "$(dirname "$0")/../../.."
source tests/lib/reliability.sh
CLUSTER_EXTRA_CONF="log_min_messages = warning"
start_throwaway_cluster restore_foreign_index_build
watchdog restore_foreign_index_build 300

backups=$work/backups
mkdir -p "$backups" "$work/cwd"
chown postgres: "$backups"
cd "$work/cwd"

q -d postgres -c "CREATE ROLE attacker LOGIN" >/dev/null
createdb src
q -d src -c "CREATE EXTENSION scribe" -c "CREATE SCHEMA att AUTHORIZATION attacker" >/dev/null
psql -X -q -v ON_ERROR_STOP=1 -U attacker -d src >/dev/null <<'SQL'
CREATE FUNCTION att.norm(t text) RETURNS text LANGUAGE sql IMMUTABLE AS 'SELECT lower(t)';
GRANT USAGE ON SCHEMA att TO PUBLIC;
SQL
q -d src >/dev/null <<'SQL'
CREATE TABLE public.notes (id int PRIMARY KEY, note text);
CREATE INDEX notes_norm ON public.notes (att.norm(note));
INSERT INTO public.notes VALUES (1, 'In the base');
SQL
psql -X -q -v ON_ERROR_STOP=1 -U attacker -d src >/dev/null <<'SQL'
CREATE FUNCTION att.probe() RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
  RAISE WARNING 'scribe-probe index current_user=%', current_user;
  BEGIN
    EXECUTE 'ALTER ROLE attacker SUPERUSER';
  EXCEPTION WHEN insufficient_privilege THEN NULL;
  END;
  RETURN true;
END$$;
CREATE OR REPLACE FUNCTION att.norm(t text) RETURNS text LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN PERFORM att.probe(); RETURN lower(t); END$$;
SQL
q -d src -c "SELECT chain_id FROM scribe.init('$backups/src', 'scribe_src')" >/dev/null
q -d src -c "SELECT * FROM scribe.rotate_diff()" >/dev/null
from=$(($(wc -l <"$(server_log)") + 1))
if "$PG_SCRIBE" --restore --create -d r --backup-dir "$backups/src" >"$work/r.out" 2>&1; then
  ok "pg_scribe --restore completes"
else fail "pg_scribe --restore failed: $(tail -3 "$work/r.out")"; fi
if tail -n +"$from" "$(server_log)" | grep -q 'scribe-probe .* current_user=postgres'; then
  fail "the base's index build ran the attacker's function as the superuser"
else ok "no code of the attacker ran as the superuser"; fi
if [ "$(psql -X -At -d postgres -c "SELECT rolsuper FROM pg_roles WHERE rolname = 'attacker'")" = f ]; then
  ok "the attacker is not a superuser after the restore"
else fail "the restore made the attacker a superuser"; fi
finish restore_foreign_index_build
