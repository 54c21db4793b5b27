#!/usr/bin/env bash
# Red team (rule 1: no transaction that committed at the source may make a
# replay fail; rule 2: nothing a role does at the source stops a restore).
#
# A confined restore replays a table's row changes (and the base's COPY)
# as the table's owner. The README says an owner's missing rights on the
# table and its schema are lent for the call. But the owner's code needs
# other rights that the role which made the change at the source had and
# the owner may not:
#  - EXECUTE on a function its CHECK constraint calls (the owner revoked
#    it from itself and PUBLIC, or the function's owner did): at the source
#    the check ran as the inserting role; at replay as the owner, "permission
#    denied for function". Base path: one role suffices (rows in the base,
#    then the owner revokes its own EXECUTE: the restore applies the
#    base's REVOKE before the COPY it runs as the owner).
#  - USAGE on the schema of a column's type (an enum of another role):
#    wal2sql writes the value as '...'::ty.mood, which the owner can no
#    longer parse at replay ("permission denied for schema ty"); at the
#    source, INSERT needs no right on the type's schema.
#
# Expected (secure): every restore completes and equals the source, with
# and without --jobs, and the rights lent for the COPY are taken back (the
# privileges compared are the source's). Before the base lent them (main
# at 3f6e277), each pg_scribe --restore failed; psql alone passes.
set -euo pipefail
cd "$(dirname "$0")/../.."
source tests/lib/reliability.sh
CLUSTER_EXTRA_CONF="log_min_messages = warning"
start_throwaway_cluster restore_owner_rights_base
watchdog restore_owner_rights_base 600

backups=$work/backups
mkdir -p "$backups" "$work/cwd"
chown postgres: "$backups"
cd "$work/cwd"
q -d postgres -c "CREATE ROLE attacker LOGIN" -c "CREATE ROLE writer LOGIN" -c "CREATE ROLE tyowner LOGIN" >/dev/null

echo "-- base: the owner revoked EXECUTE on its CHECK's function from itself"
createdb based
q -d based -c "CREATE EXTENSION scribe" -c "CREATE SCHEMA att AUTHORIZATION attacker" >/dev/null
psql -X -q -v ON_ERROR_STOP=1 -U attacker -d based >/dev/null <<'SQL'
CREATE FUNCTION att.ok(v int) RETURNS boolean LANGUAGE sql IMMUTABLE AS 'SELECT v > 0';
CREATE TABLE att.b (id int PRIMARY KEY, v int CHECK (att.ok(v)));
INSERT INTO att.b SELECT g, g FROM generate_series(1, 5) g;
REVOKE EXECUTE ON FUNCTION att.ok(int) FROM PUBLIC, attacker;
-- The same through a domain's CHECK, on a second table (so that --jobs
-- loads the two at once).
CREATE FUNCTION att.small(v int) RETURNS boolean LANGUAGE sql IMMUTABLE AS 'SELECT v < 1000';
CREATE DOMAIN att.small_int AS int CHECK (att.small(VALUE));
CREATE TABLE att.d (id int PRIMARY KEY, v att.small_int);
INSERT INTO att.d SELECT g, g FROM generate_series(1, 5) g;
REVOKE EXECUTE ON FUNCTION att.small(int) FROM PUBLIC, attacker;
SQL
q -d based -c "SELECT chain_id FROM scribe.init('$backups/based', 'scribe_based')" >/dev/null
oracle based "$backups/based" "base, EXECUTE revoked by the owner"
target=based_j$RANDOM
if "$PG_SCRIBE" --restore --create -d "$target" --jobs 2 --backup-dir "$backups/based" >"$work/restore_j2.out" 2>&1 &&
  compare_databases based "$target" "$work"; then
  ok "base, EXECUTE revoked by the owner: pg_scribe --restore --jobs 2 equals the source (the lent rights taken back)"
else
  fail "base, EXECUTE revoked by the owner: pg_scribe --restore --jobs 2 differs from the source or failed:"
  tail -20 "$work/restore_j2.out" >&2
fi

finish restore_owner_rights_base
