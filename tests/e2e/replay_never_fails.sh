#!/usr/bin/env bash
# Issue 15, classes 2, 7b and 9 end to end: tables without a usable replica
# identity (before scribe.init() and created or altered later), a domain
# that gains a CHECK ... NOT VALID, and values no input function accepts
# (pg_node_tree) in the base and in the stream. Both restore paths
# (psql -v ON_ERROR_STOP=1 alone, pg_scribe --restore) must complete and
# equal the source.
set -euo pipefail
cd "$(dirname "$0")/../.."
source tests/lib/e2e.sh
start_throwaway_cluster replay_never_fails
make_backups_dir

createdb app
# Before the extension: nothing gives these tables an identity.
q -d app <<'SQL'
CREATE TABLE legacy (a int, v text);
INSERT INTO legacy SELECT g, 'v' || g FROM generate_series(1, 5) g;
CREATE TABLE parted (k int) PARTITION BY RANGE (k);
CREATE TABLE parted_1 PARTITION OF parted FOR VALUES FROM (1) TO (10);
CREATE TABLE class_copy AS SELECT relname, relpartbound FROM pg_class WHERE relname = 'parted_1';
CREATE DOMAIN small AS int;
CREATE TABLE thethings (id int PRIMARY KEY, stuff small, other int);
INSERT INTO thethings VALUES (1, 55, 0), (2, 5, 0);
ALTER DOMAIN small ADD CONSTRAINT small_check CHECK (VALUE < 10) NOT VALID;
CREATE EXTENSION scribe;
SQL
q -d app -c "SELECT * FROM scribe.init('$backups/app')" 2>"$work/init.err" >/dev/null
if grep -q 'REPLICA IDENTITY FULL on 3 table' "$work/init.err" && grep -q 'not in the base backup: public.class_copy' "$work/init.err"; then
  ok "init gives the key-less tables FULL and leaves class_copy's rows out of the base, with warnings"
else
  fail "init warnings:"; cat "$work/init.err" >&2
fi
wait_streaming app 60

q -d app <<'SQL' 2>"$work/workload.err"
UPDATE legacy SET v = 'changed' WHERE a = 2;
DELETE FROM legacy WHERE a = 3;
CREATE TABLE later (a int, b text);
INSERT INTO later VALUES (1, 'x'), (1, 'x'), (2, 'y');
UPDATE later SET b = 'z' WHERE a = 1 AND ctid = (SELECT min(ctid) FROM later WHERE a = 1);
DELETE FROM later WHERE a = 2;
CREATE TABLE keyed (id int PRIMARY KEY, v int);
INSERT INTO keyed VALUES (1, 1), (2, 2);
ALTER TABLE keyed DROP CONSTRAINT keyed_pkey;
UPDATE keyed SET v = 10 WHERE id = 1;
ALTER TABLE keyed REPLICA IDENTITY NOTHING;
DELETE FROM keyed WHERE id = 2;
UPDATE thethings SET stuff = 9 WHERE id = 1;
UPDATE thethings SET other = 1;
DELETE FROM thethings WHERE id = 2;
INSERT INTO class_copy SELECT relname, relpartbound FROM pg_class WHERE relname = 'parted_1';
UPDATE class_copy SET relname = 'renamed';
CREATE TABLE nodes AS SELECT relname, relpartbound FROM pg_class WHERE relname = 'parted_1';
SQL
q -d app -c "SELECT * FROM scribe.rotate_diff()" >/dev/null
chain=$(ls -d "$backups"/app/chain-* | tail -1)
diffs=$(ls "$chain"/diff-*.sql)
if as_pg cat $diffs | grep -q -- '-- wal2sql: public.nodes.relpartbound (pg_catalog.pg_node_tree): no input function'; then
  ok "the diff names the pg_node_tree column it restores as NULL"
else fail "no comment about the pg_node_tree column"; fi
if as_pg cat $diffs | grep -q 'RAISE EXCEPTION'; then fail "a change still stops the replay"; else ok "no change stops the replay"; fi

# scribe.status's warnings.
if psql -X -At -d app -c "SELECT warnings::text FROM scribe.status" | grep -q 'no input function accepts'; then
  ok "scribe.status warns about the tables with unreadable columns"
else fail "no status warning: $(psql -X -At -d app -c 'SELECT warnings FROM scribe.status')"; fi

# What the restore holds of those tables is known: NULL in the unreadable
# columns, no rows from the base. Compare the rest, then drop them.
restore_chain "$chain" app_psql && ok "psql -v ON_ERROR_STOP=1 restores the chain" || fail "psql restore failed"
if "$PG_SCRIBE" --restore --backup-dir "$backups/app" -d app_cli --create >"$work/cli.out" 2>&1; then
  ok "pg_scribe --restore restores the chain"
else fail "pg_scribe --restore failed: $(tail -3 "$work/cli.out")"; fi
expect_nodes="renamed|true"
for db in app_psql app_cli; do
  got=$(psql -X -At -d "$db" -c "SELECT string_agg(relname || '|' || (relpartbound IS NULL)::text, ',') FROM class_copy")
  if [ "$got" = "$expect_nodes" ]; then ok "$db: class_copy holds the row inserted after the base, relpartbound NULL"; else
    fail "$db: class_copy holds '$got'"; fi
done
for db in app app_psql app_cli; do q -d "$db" -c "DROP TABLE class_copy, nodes"; done
for db in app_psql app_cli; do
  if compare_databases app "$db" "$work"; then ok "$db equals the source (schema and every table)"; else fail "$db differs"; fi
done

finish replay_never_fails
