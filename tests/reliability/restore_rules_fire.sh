#!/usr/bin/env bash
# Red team (DESIGN.md invariant 9 "user triggers do not fire again on
# replay", rule 1 "no transaction that committed at the source may make a
# replay fail").
#
# Rules fire by session_replication_role like triggers: a rule set ENABLE
# ALWAYS or ENABLE REPLICA fires under the replay's
# session_replication_role = replica. wal2sql switches such triggers off
# around their tables' changes (wal2sql/triggers.cpp) but not rules. An
# ordinary table owner with an audit rule "ON INSERT DO ALSO INSERT INTO
# log" set ENABLE ALWAYS: at the source each insert writes both rows, and
# both are in the WAL; on replay the rule writes the log row a second time
# beside the one the stream replays: a duplicate key stops the restore (or,
# without a key, the restored log has every row twice).
#
# With psql -f the rule's action runs as the superuser (a function it calls
# too), unlike the triggers that the README says do not fire.
#
# Expected (secure): both restores complete and equal the source. On main
# at 3f6e277 both fail with a duplicate key.
set -euo pipefail
cd "$(dirname "$0")/../.."
source tests/lib/reliability.sh
CLUSTER_EXTRA_CONF="log_min_messages = warning"
start_throwaway_cluster restore_rules_fire
watchdog restore_rules_fire 300

backups=$work/backups
mkdir -p "$backups" "$work/cwd"
chown postgres: "$backups"
cd "$work/cwd"

q -d postgres -c "CREATE ROLE attacker LOGIN" >/dev/null
createdb src
q -d src -c "CREATE EXTENSION scribe" -c "CREATE SCHEMA att AUTHORIZATION attacker" >/dev/null
q -d src -c "SELECT chain_id FROM scribe.init('$backups/src', 'scribe_src')" >/dev/null
psql -X -q -v ON_ERROR_STOP=1 -U attacker -d src >/dev/null <<'SQL'
CREATE TABLE att.t (id int PRIMARY KEY, v text);
CREATE TABLE att.log (id int PRIMARY KEY, v text);
CREATE RULE audit AS ON INSERT TO att.t DO ALSO INSERT INTO att.log VALUES (NEW.id, NEW.v);
ALTER TABLE att.t ENABLE ALWAYS RULE audit;
INSERT INTO att.t VALUES (1, 'a');
INSERT INTO att.t VALUES (2, 'b');
-- ENABLE REPLICA: never fires at the source, would fire on replay.
CREATE RULE audit_update AS ON UPDATE TO att.t DO ALSO INSERT INTO att.log VALUES (NEW.id + 100, NEW.v);
ALTER TABLE att.t ENABLE REPLICA RULE audit_update;
UPDATE att.t SET v = 'c' WHERE id = 1;
SQL
oracle src "$backups/src" "an ENABLE ALWAYS rule"
finish restore_rules_fire
