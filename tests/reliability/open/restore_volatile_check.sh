#!/usr/bin/env bash
# Red team (rule 1: no transaction that committed at the source may make a
# replay fail; rule 2: nothing a role does at the source stops a restore).
#
# A table owner may write a CHECK constraint that is not immutable
# (PostgreSQL allows it; its documentation warns that a restore may then
# fail). One that reads the replay's own settings, e.g.
#   CHECK (current_setting('session_replication_role') <> 'replica')
# (or session_user, application_name, now() ...), is true for every row at
# the source and false for every row replayed: each later restore stops.
#
# Expected (rule 1): both restores complete. On main at 3f6e277 pg_scribe
# --restore and psql -f both fail with check_violation.
set -euo pipefail
cd "$(dirname "$0")/../../.."
source tests/lib/reliability.sh
CLUSTER_EXTRA_CONF="log_min_messages = warning"
start_throwaway_cluster restore_volatile_check
watchdog restore_volatile_check 300

backups=$work/backups
mkdir -p "$backups" "$work/cwd"
chown postgres: "$backups"
cd "$work/cwd"

q -d postgres -c "CREATE ROLE attacker LOGIN" >/dev/null
createdb src
q -d src -c "CREATE EXTENSION scribe" -c "CREATE SCHEMA att AUTHORIZATION attacker" >/dev/null
q -d src -c "SELECT chain_id FROM scribe.init('$backups/src', 'scribe_src')" >/dev/null
psql -X -q -v ON_ERROR_STOP=1 -U attacker -d src >/dev/null <<'SQL'
CREATE TABLE att.v (id int PRIMARY KEY,
  x int CHECK (pg_catalog.current_setting('session_replication_role') OPERATOR(pg_catalog.<>) 'replica'));
INSERT INTO att.v VALUES (1, 1);
SQL
oracle src "$backups/src" "a CHECK that is false under replay"
finish restore_volatile_check
