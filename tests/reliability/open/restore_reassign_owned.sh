#!/usr/bin/env bash
# Red team (rule 1: no transaction that committed at the source may make a
# replay fail).
#
# PostgreSQL's documented way to drop a role is REASSIGN OWNED BY doomed TO
# successor; DROP OWNED BY doomed; DROP ROLE doomed. REASSIGN OWNED is not
# captured (README: "its effect on this database's objects is lost
# (limit)"), but DROP OWNED is: at replay the objects still belong to the
# doomed role, so DROP OWNED drops them, and the next change to such a
# table stops the restore (relation does not exist), psql -f too. Not only
# a superuser can do it: a role that is a member of the successor may
# REASSIGN OWNED BY itself and DROP OWNED BY itself.
#
# Expected (rule 1): both restores complete and equal the source. On main
# at 3f6e277 both fail.
set -euo pipefail
cd "$(dirname "$0")/../../.."
source tests/lib/reliability.sh
CLUSTER_EXTRA_CONF="log_min_messages = warning"
start_throwaway_cluster restore_reassign_owned
watchdog restore_reassign_owned 300

backups=$work/backups
mkdir -p "$backups" "$work/cwd"
chown postgres: "$backups"
cd "$work/cwd"

q -d postgres -c "CREATE ROLE doomed LOGIN" -c "CREATE ROLE successor LOGIN" -c "GRANT successor TO doomed" >/dev/null
createdb src
q -d src -c "CREATE EXTENSION scribe" -c "CREATE SCHEMA att" -c "GRANT USAGE, CREATE ON SCHEMA att TO doomed, successor" >/dev/null
q -d src -c "SELECT chain_id FROM scribe.init('$backups/src', 'scribe_src')" >/dev/null
psql -X -q -v ON_ERROR_STOP=1 -U doomed -d src >/dev/null <<'SQL'
CREATE TABLE att.g (id int PRIMARY KEY, v int);
INSERT INTO att.g VALUES (1, 1), (2, 2);
REASSIGN OWNED BY doomed TO successor;
DROP OWNED BY doomed;
SQL
psql -X -q -v ON_ERROR_STOP=1 -U successor -d src -c "UPDATE att.g SET v = 5 WHERE id = 1" >/dev/null
oracle src "$backups/src" "REASSIGN OWNED + DROP OWNED"
finish restore_reassign_owned
