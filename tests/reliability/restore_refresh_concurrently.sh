#!/usr/bin/env bash
# Red team (rule 2: nothing a role does at the source stops a restore).
#
# A confined restore runs an ordinary role's captured DDL inside the run-as
# function, a security-restricted operation (SRO). REFRESH MATERIALIZED
# VIEW CONCURRENTLY creates a temporary "diff" table; PostgreSQL leaves its
# own SRO for that (matview.c, refresh_by_match_merge), but keeps the SRO
# bit of the context it was called in, so inside pg_scribe's SRO it fails:
# "cannot create temporary table within security-restricted operation".
# Any owner of a materialized view with a unique index can do this at the
# source; every later pg_scribe --restore of the chain stops.
#
# Expected (secure): the restore completes and equals the source. On main
# at 3f6e277 pg_scribe --restore fails (psql alone passes).
set -euo pipefail
cd "$(dirname "$0")/../.."
source tests/lib/reliability.sh
CLUSTER_EXTRA_CONF="log_min_messages = warning"
start_throwaway_cluster restore_refresh_concurrently
watchdog restore_refresh_concurrently 300

backups=$work/backups
mkdir -p "$backups" "$work/cwd"
chown postgres: "$backups"
cd "$work/cwd"

q -d postgres -c "CREATE ROLE attacker LOGIN" >/dev/null
createdb src
q -d src -c "CREATE EXTENSION scribe" -c "CREATE SCHEMA att AUTHORIZATION attacker" >/dev/null
psql -X -q -v ON_ERROR_STOP=1 -U attacker -d src >/dev/null <<'SQL'
CREATE TABLE att.t (id int PRIMARY KEY, v text);
INSERT INTO att.t SELECT g, 'v' || g FROM generate_series(1, 5) g;
CREATE MATERIALIZED VIEW att.mv AS SELECT id, v FROM att.t;
CREATE UNIQUE INDEX mv_id ON att.mv (id);
SQL
q -d src -c "SELECT chain_id FROM scribe.init('$backups/src', 'scribe_src')" >/dev/null
psql -X -q -v ON_ERROR_STOP=1 -U attacker -d src >/dev/null <<'SQL'
INSERT INTO att.t VALUES (6, 'v6');
REFRESH MATERIALIZED VIEW CONCURRENTLY att.mv;
INSERT INTO att.t VALUES (7, 'v7');
-- The same, written another way (case, comments, line breaks).
refresh /* a /* nested */ comment */ materialized view -- and a line comment
  Concurrently att.mv;
SQL
oracle src "$backups/src" "REFRESH MATERIALIZED VIEW CONCURRENTLY by an ordinary owner"
finish restore_refresh_concurrently
