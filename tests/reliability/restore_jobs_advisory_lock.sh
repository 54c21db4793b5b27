#!/usr/bin/env bash
# Red team (rule 2: nothing a role does at the source stops a restore).
#
# With --jobs N the base's COPYs run on N connections at once, each COPY
# into a table of an ordinary role confined as its owner (copy_as). What
# the owner's code leaves behind in a session outlives the confined call:
# a session-level advisory lock taken by a CHECK constraint's function
# (pg_advisory_lock, allowed in a security-restricted operation) stays held
# by the connection that loaded the first table, and the connection that
# loads the second table waits for it forever: no deadlock is detected
# (the holder is idle, not waiting), and the restore hangs.
#
# At the source the attacker inserted its rows from one session (the lock
# is re-entrant) and logged out: nothing failed.
#
# Expected (secure): pg_scribe --restore --jobs 2 completes (here within
# 120 s). On main at 3f6e277 it hangs.
set -euo pipefail
cd "$(dirname "$0")/../.."
source tests/lib/reliability.sh
CLUSTER_EXTRA_CONF="log_min_messages = warning"
start_throwaway_cluster restore_jobs_advisory_lock
watchdog restore_jobs_advisory_lock 400

backups=$work/backups
mkdir -p "$backups" "$work/cwd"
chown postgres: "$backups"
cd "$work/cwd"

q -d postgres -c "CREATE ROLE attacker LOGIN" >/dev/null
createdb src
q -d src -c "CREATE EXTENSION scribe" -c "CREATE SCHEMA att AUTHORIZATION attacker" >/dev/null
psql -X -q -v ON_ERROR_STOP=1 -U attacker -d src >/dev/null <<'SQL'
CREATE FUNCTION att.lk(v int) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN PERFORM pg_catalog.pg_advisory_lock(4242); RETURN true; END$$;
CREATE TABLE att.a (id int PRIMARY KEY, v int CHECK (att.lk(v)));
CREATE TABLE att.b (id int PRIMARY KEY, v int CHECK (att.lk(v)));
INSERT INTO att.a SELECT g, g FROM generate_series(1, 1000) g;
INSERT INTO att.b SELECT g, g FROM generate_series(1, 1000) g;
SQL
q -d src -c "SELECT chain_id FROM scribe.init('$backups/src', 'scribe_src')" >/dev/null
# Row changes in the diffs too: they run confined, one call after another.
psql -X -q -v ON_ERROR_STOP=1 -U attacker -d src >/dev/null <<'SQL'
INSERT INTO att.a SELECT g, g FROM generate_series(1001, 1100) g;
UPDATE att.b SET v = v + 1 WHERE id <= 100;
SQL
wait_streaming src 60
q -d src -c "SELECT * FROM scribe.rotate_diff()" >/dev/null

status=0
timeout 120 "$PG_SCRIBE" --restore --create -d r1 --backup-dir "$backups/src" >"$work/r1.out" 2>&1 || status=$?
if [ "$status" = 0 ]; then ok "--jobs 1: pg_scribe --restore completes"; else
  fail "--jobs 1: pg_scribe --restore failed ($status): $(tail -3 "$work/r1.out")"; fi
"$PG_SCRIBE" --restore --create -d r2 --jobs 2 --backup-dir "$backups/src" >"$work/r2.out" 2>&1 &
pid=$!
for ((i = 0; i < 120; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
if kill -0 "$pid" 2>/dev/null; then
  waits=$(psql -X -At -d postgres -c "SELECT string_agg(wait_event_type || ':' || wait_event || ' ' || left(query, 70), ' | ') FROM pg_stat_activity WHERE datname = 'r2' AND wait_event_type = 'Lock'")
  fail "--jobs 2: pg_scribe --restore still runs after 120 s; waiting: $waits"
  kill "$pid"
  wait "$pid" || true
elif wait "$pid"; then ok "--jobs 2: pg_scribe --restore completes"
else fail "--jobs 2: pg_scribe --restore failed: $(tail -3 "$work/r2.out")"; fi
for db in r1 r2; do
  if compare_databases src "$db" "$work" >/dev/null; then ok "$db equals the source"; else fail "$db differs from the source"; fi
done
finish restore_jobs_advisory_lock
