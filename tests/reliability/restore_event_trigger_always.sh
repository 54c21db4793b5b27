#!/usr/bin/env bash
# Red team finding F8 (rule 1; DESIGN.md invariant 9 "user triggers do not
# fire again on replay"), for pg_scribe --restore.
#
# Event triggers come from the base only. One set ENABLE ALWAYS (the usual
# way to make a DDL audit fire under logical replication too) or ENABLE
# REPLICA fires under the replay's session_replication_role = replica on
# every replayed DDL: its audit row would be written a second time beside
# the one the stream replays, and the audit table's key stops the restore.
# Any ordinary role triggers it by running DDL. pg_scribe --restore
# switches such event triggers off for the diffs and back to their mode at
# the end.
#
# Checks: the restore completes and equals the source (pg_dump output,
# which has each event trigger's mode, and every table); the audit table
# has each DDL once. psql alone still replays them (README, open gap F8):
# tests/reliability/open/restore_event_trigger_always_psql.sh.
set -euo pipefail
cd "$(dirname "$0")/../.."
source tests/lib/reliability.sh
CLUSTER_EXTRA_CONF="log_min_messages = warning"
start_throwaway_cluster restore_event_trigger_always
watchdog restore_event_trigger_always 300

backups=$work/backups
mkdir -p "$backups" "$work/cwd"
chown postgres: "$backups"
cd "$work/cwd"

q -d postgres -c "CREATE ROLE attacker LOGIN" >/dev/null
createdb src
q -d src -c "CREATE EXTENSION scribe" -c "CREATE SCHEMA att AUTHORIZATION attacker" >/dev/null
q -d src >/dev/null <<'SQL'
CREATE TABLE public.ddl_audit (id serial PRIMARY KEY, tag text);
CREATE FUNCTION public.ddl_audit_f() RETURNS event_trigger LANGUAGE plpgsql SECURITY DEFINER
  SET search_path = pg_catalog AS $$BEGIN INSERT INTO public.ddl_audit (tag) VALUES (tg_tag); END$$;
CREATE EVENT TRIGGER ddl_audit ON ddl_command_end EXECUTE FUNCTION public.ddl_audit_f();
ALTER EVENT TRIGGER ddl_audit ENABLE ALWAYS;
-- ENABLE REPLICA: never fires at the source, would fire on replay.
CREATE EVENT TRIGGER ddl_audit_replica ON ddl_command_end EXECUTE FUNCTION public.ddl_audit_f();
ALTER EVENT TRIGGER ddl_audit_replica ENABLE REPLICA;
SQL
q -d src -c "SELECT chain_id FROM scribe.init('$backups/src', 'scribe_src')" >/dev/null
psql -X -q -v ON_ERROR_STOP=1 -U attacker -d src >/dev/null <<'SQL'
CREATE TABLE att.e (id int PRIMARY KEY);
INSERT INTO att.e VALUES (1);
ALTER TABLE att.e ADD COLUMN v text;
SQL
q -d src -c "SELECT * FROM scribe.rotate_diff()" >/dev/null

if "$PG_SCRIBE" --restore --create -d r --backup-dir "$backups/src" -v >"$work/r.out" 2>&1; then
  ok "pg_scribe --restore completes"
else fail "pg_scribe --restore failed: $(grep -i error "$work/r.out" | head -3)"; fi
if compare_databases src r "$work" >/dev/null; then ok "the restore equals the source (event triggers' modes, every table)"
else fail "the restore differs from the source"; fi
audit=$(psql -X -At -d r -c "SELECT string_agg(tag, ',' ORDER BY id) FROM public.ddl_audit")
want=$(psql -X -At -d src -c "SELECT string_agg(tag, ',' ORDER BY id) FROM public.ddl_audit")
if [ "$audit" = "$want" ] && [ -n "$want" ]; then ok "the audit table has each DDL once ($want)"
else fail "audit rows: restored '$audit', source '$want'"; fi
grep -q "event trigger ddl_audit off during the diffs (ENABLE ALWAYS)" "$work/r.out" &&
  grep -q "event trigger ddl_audit_replica off during the diffs (ENABLE REPLICA)" "$work/r.out" &&
  ok "-v names the event triggers switched off for the diffs" || fail "-v: $(grep 'event trigger' "$work/r.out")"
finish restore_event_trigger_always
