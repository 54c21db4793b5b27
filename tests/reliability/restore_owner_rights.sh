#!/usr/bin/env bash
# Red team finding F5, row changes (rule 1: no transaction that committed
# at the source may make a replay fail; rule 2: nothing a role does at the
# source stops a restore).
#
# A confined restore replays a table's row changes as the table's owner.
# The role that made a change at the source may have had rights the owner
# lacks: EXECUTE on a function the table's CHECK calls (the owner revoked
# it from itself and PUBLIC), USAGE on the schema of a column's enum
# (wal2sql writes the value as '...'::ty.mood). The restore lends those
# to the owner for the call and takes them back, as it lends rights on the
# table and its schema.
#
# Checks, for each case: every file verifies, pg_scribe --restore and psql
# alone equal the source (privileges included). The base's COPY case is
# still open: tests/reliability/open/restore_owner_rights_base.sh.
set -euo pipefail
cd "$(dirname "$0")/../.."
source tests/lib/reliability.sh
CLUSTER_EXTRA_CONF="log_min_messages = warning"
start_throwaway_cluster restore_owner_rights
watchdog restore_owner_rights 600

backups=$work/backups
mkdir -p "$backups" "$work/cwd"
chown postgres: "$backups"
cd "$work/cwd"
q -d postgres -c "CREATE ROLE attacker LOGIN" -c "CREATE ROLE writer LOGIN" -c "CREATE ROLE tyowner LOGIN" >/dev/null

echo "-- diffs: the CHECK's function is executable by the writer, not by the owner"
createdb diffd
q -d diffd -c "CREATE EXTENSION scribe" -c "CREATE SCHEMA att AUTHORIZATION attacker" >/dev/null
q -d diffd -c "SELECT chain_id FROM scribe.init('$backups/diffd', 'scribe_diffd')" >/dev/null
psql -X -q -v ON_ERROR_STOP=1 -U attacker -d diffd >/dev/null <<'SQL'
CREATE FUNCTION att.ok(v int) RETURNS boolean LANGUAGE sql IMMUTABLE AS 'SELECT v > 0';
CREATE TABLE att.d (id int PRIMARY KEY, v int CHECK (att.ok(v)));
GRANT USAGE ON SCHEMA att TO writer;
GRANT INSERT, UPDATE, SELECT ON att.d TO writer;
GRANT EXECUTE ON FUNCTION att.ok(int) TO writer;
REVOKE EXECUTE ON FUNCTION att.ok(int) FROM PUBLIC, attacker;
SQL
psql -X -q -v ON_ERROR_STOP=1 -U writer -d diffd -c "INSERT INTO att.d VALUES (1, 1), (2, 2)" >/dev/null
oracle diffd "$backups/diffd" "diffs, EXECUTE held by the writer only"

echo "-- diffs: the owner lost USAGE on the schema of a column's type"
createdb typed
q -d typed -c "CREATE EXTENSION scribe" -c "CREATE SCHEMA att AUTHORIZATION attacker" \
  -c "CREATE SCHEMA ty AUTHORIZATION tyowner" >/dev/null
q -d typed -c "SELECT chain_id FROM scribe.init('$backups/typed', 'scribe_typed')" >/dev/null
psql -X -q -v ON_ERROR_STOP=1 -U tyowner -d typed >/dev/null <<'SQL'
CREATE TYPE ty.mood AS ENUM ('sad', 'happy');
GRANT USAGE ON SCHEMA ty TO attacker;
SQL
psql -X -q -v ON_ERROR_STOP=1 -U attacker -d typed >/dev/null <<'SQL'
CREATE TABLE att.e (id int PRIMARY KEY, m ty.mood);
GRANT USAGE ON SCHEMA att TO writer;
GRANT INSERT, SELECT ON att.e TO writer;
SQL
q -d typed -c "REVOKE USAGE ON SCHEMA ty FROM attacker" >/dev/null
psql -X -q -v ON_ERROR_STOP=1 -U writer -d typed -c "INSERT INTO att.e VALUES (1, 'happy')" >/dev/null
oracle typed "$backups/typed" "diffs, type's schema USAGE revoked from the owner"

echo "-- diffs: a domain CHECK's and an index expression's functions, executable by the writer only"
createdb more
q -d more -c "CREATE EXTENSION scribe" -c "CREATE SCHEMA att AUTHORIZATION attacker" >/dev/null
q -d more -c "SELECT chain_id FROM scribe.init('$backups/more', 'scribe_more')" >/dev/null
psql -X -q -v ON_ERROR_STOP=1 -U attacker -d more >/dev/null <<'SQL'
CREATE FUNCTION att.pos(v int) RETURNS boolean LANGUAGE sql IMMUTABLE AS 'SELECT v > 0';
CREATE FUNCTION att.norm(t text) RETURNS text LANGUAGE sql IMMUTABLE AS 'SELECT pg_catalog.lower(t)';
CREATE DOMAIN att.posint AS int CHECK (att.pos(VALUE));
CREATE TABLE att.m (id int PRIMARY KEY, v att.posint, t text);
CREATE INDEX m_norm ON att.m (att.norm(t));
GRANT USAGE ON SCHEMA att TO writer;
GRANT INSERT, UPDATE, SELECT ON att.m TO writer;
GRANT EXECUTE ON FUNCTION att.pos(int), att.norm(text) TO writer;
REVOKE EXECUTE ON FUNCTION att.pos(int), att.norm(text) FROM PUBLIC, attacker;
SQL
psql -X -q -v ON_ERROR_STOP=1 -U writer -d more -c "INSERT INTO att.m VALUES (1, 5, 'A'), (2, 6, 'B')" \
  -c "UPDATE att.m SET t = 'C' WHERE id = 2" >/dev/null
oracle more "$backups/more" "diffs, domain and index functions executable by the writer only"

finish restore_owner_rights
