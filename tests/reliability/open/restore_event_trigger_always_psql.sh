#!/usr/bin/env bash
# Red team (rule 1; DESIGN.md invariant 9 "user triggers do not fire again
# on replay").
#
# Event triggers are in the base (README: "in the base only"). One set
# ENABLE ALWAYS (the usual way to make a DDL audit fire under logical
# replication too) fires under the replay's session_replication_role =
# replica on every replayed DDL: its audit row is written a second time
# beside the one the stream replays (duplicate key: the restore stops; or,
# without a key, duplicated rows). wal2sql switches ENABLE ALWAYS/REPLICA
# table triggers off around their changes, nothing does so for event
# triggers. Any ordinary role triggers it by running DDL.
#
# Expected: both restores complete and equal the source. On main at 3f6e277
# both fail with a duplicate key; since, pg_scribe --restore switches such
# event triggers off for the diffs (tests/reliability/
# restore_event_trigger_always.sh), and only the psql replay fails.
set -euo pipefail
cd "$(dirname "$0")/../../.."
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
SQL
q -d src -c "SELECT chain_id FROM scribe.init('$backups/src', 'scribe_src')" >/dev/null
psql -X -q -v ON_ERROR_STOP=1 -U attacker -d src -c "CREATE TABLE att.e (id int PRIMARY KEY)" >/dev/null
oracle src "$backups/src" "an ENABLE ALWAYS event trigger"
finish restore_event_trigger_always
