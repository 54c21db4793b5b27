#!/usr/bin/env bash
# Restore across major versions (issue 17): a chain taken on this
# PostgreSQL (PG_BINDIR, 15) — schema of many kinds, DML and DDL while it
# streams, a rotation — restores on a newer server (a vanilla one: no
# pg_scribe in it) with pg_scribe --restore and with psql alone, and each
# restore equals the source: pg_dump --schema-only of both by the newer
# pg_dump, and every table's content. Then a chain with one row change taken
# out must make that comparison fail.
#
#   tests/e2e/cross_version_restore.sh NEWER_BINDIR   (or NEWER_BINDIR=...)
#
# Without a newer server (as in tests/run.sh's loop over tests/e2e) it says
# so and passes. The pg_scribe client is NEWER_BINDIR's when installed there,
# else this server's.
set -euo pipefail
cd "$(dirname "$0")/../.."
newer=${1:-${NEWER_BINDIR:-}}
if [ -z "$newer" ]; then
  echo "skip: no newer server given (tests/e2e/cross_version_restore.sh NEWER_BINDIR)"
  exit 0
fi
source tests/lib/e2e.sh
newer=$(cd "$newer" && pwd)
old_major=$("$PG_BINDIR/pg_config" --version | sed -E 's/^PostgreSQL ([0-9]+).*/\1/')
new_major=$("$newer/pg_config" --version | sed -E 's/^PostgreSQL ([0-9]+).*/\1/')
if [ "$new_major" -le "$old_major" ]; then
  echo "skip: $newer is PostgreSQL $new_major, not newer than $old_major"
  exit 0
fi
PG_SCRIBE=$PG_BINDIR/pg_scribe
[ -x "$newer/pg_scribe" ] && PG_SCRIBE=$newer/pg_scribe
echo "-- a chain of PostgreSQL $old_major restored on $new_major (client $PG_SCRIBE)"

CLUSTER_EXTRA_CONF="max_worker_processes = 16
log_min_messages = warning"
start_throwaway_cluster cross_version
src_host=$PGHOST src_port=$PGPORT
make_backups_dir
createdb src
q -d src >/dev/null <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION scribe;
CREATE ROLE clerk;
CREATE SCHEMA "Shop";
CREATE TYPE "Shop".state AS ENUM ('new', 'paid');
CREATE DOMAIN "Shop".positive AS numeric CHECK (VALUE > 0);
CREATE TYPE "Shop".addr AS (street text, zip int);
CREATE TABLE "Shop".customers (id serial PRIMARY KEY, name text NOT NULL UNIQUE, addr "Shop".addr, tags text[],
                               meta jsonb, seen timestamptz, photo bytea);
CREATE TABLE "Shop".orders (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                            customer int REFERENCES "Shop".customers ON DELETE CASCADE ON UPDATE CASCADE,
                            amount "Shop".positive, state "Shop".state DEFAULT 'new',
                            total numeric GENERATED ALWAYS AS (amount * 1.2) STORED, note text);
CREATE INDEX orders_customer ON "Shop".orders (customer);
-- No key: found by its full row.
CREATE TABLE "Shop".log (at date, line text);
ALTER TABLE "Shop".log REPLICA IDENTITY FULL;
CREATE TABLE "Shop".readings (region text, day date, v float8, PRIMARY KEY (region, day)) PARTITION BY LIST (region);
CREATE TABLE "Shop".readings_eu PARTITION OF "Shop".readings FOR VALUES IN ('eu');
CREATE TABLE "Shop".readings_us PARTITION OF "Shop".readings FOR VALUES IN ('us');
CREATE FUNCTION "Shop".order_count(c int) RETURNS bigint LANGUAGE sql STABLE
  AS $$SELECT count(*) FROM "Shop".orders WHERE customer = c$$;
CREATE VIEW "Shop".open_orders AS SELECT id, customer, amount FROM "Shop".orders WHERE state = 'new';
GRANT SELECT ON "Shop".open_orders TO clerk;
COMMENT ON TABLE "Shop".orders IS 'one row per order';
INSERT INTO "Shop".customers (name, addr, tags, meta, seen, photo)
  SELECT 'customer ' || g, ROW('street '' ' || g, 10000 + g)::"Shop".addr, ARRAY['a', NULL, 'b"' || g], jsonb_build_object('g', g),
         '2026-01-01 12:00+02'::timestamptz + g * interval '1 hour', decode(repeat('00ff', g), 'hex')
    FROM generate_series(1, 40) g;
INSERT INTO "Shop".orders (customer, amount, note) SELECT 1 + g % 40, g * 1.5, E'line\nbreak ' || g FROM generate_series(1, 200) g;
INSERT INTO "Shop".log SELECT '2026-01-01'::date + g % 3, 'same line' FROM generate_series(1, 6) g;
INSERT INTO "Shop".readings SELECT r, '2026-01-01'::date + g, g / 7.0 FROM generate_series(1, 30) g, unnest(ARRAY['eu', 'us']) r;
SQL
q -d src -At -c "SELECT chain_id FROM scribe.init('$backups/src')" >/dev/null
wait_streaming src

# Changes in the first diff: DML of each kind and DDL.
q -d src >/dev/null <<'SQL'
UPDATE "Shop".customers SET meta = meta || '{"vip": true}', tags = tags || ARRAY['vip'] WHERE id % 5 = 0;
UPDATE "Shop".orders SET state = 'paid' WHERE id % 3 = 0;
DELETE FROM "Shop".orders WHERE id % 17 = 0;
UPDATE "Shop".customers SET id = id + 1000 WHERE id = 7;  -- a key change
DELETE FROM "Shop".log WHERE ctid = (SELECT ctid FROM "Shop".log WHERE at = '2026-01-02' LIMIT 1);
UPDATE "Shop".readings SET region = 'us', day = '2025-12-31' WHERE region = 'eu' AND day = '2026-01-05';  -- moves across partitions
ALTER TABLE "Shop".customers ADD COLUMN tier int DEFAULT 1;
ALTER TYPE "Shop".state ADD VALUE 'shipped';
CREATE TABLE "Shop".returns (order_id bigint PRIMARY KEY REFERENCES "Shop".orders, reason text);
INSERT INTO "Shop".returns SELECT id, 'broken ' || id FROM "Shop".orders WHERE id % 11 = 0;
SQL
q -d src -c "COPY \"Shop\".log FROM STDIN" <<'COPY' >/dev/null
2026-02-01	copied \\ backslash
2026-02-02	\N
COPY
q -d src -c "SELECT * FROM scribe.rotate_diff()" >/dev/null

# Changes in the second diff.
q -d src >/dev/null <<'SQL'
UPDATE "Shop".orders SET state = 'shipped' WHERE state = 'paid' AND id % 2 = 0;
ALTER TABLE "Shop".customers DROP COLUMN photo;
ALTER TABLE "Shop".customers RENAME COLUMN seen TO last_seen;
CREATE INDEX customers_tier ON "Shop".customers (tier) WHERE tier > 1;
UPDATE "Shop".customers SET tier = 2 WHERE id % 4 = 0;
CREATE OR REPLACE VIEW "Shop".open_orders AS SELECT id, customer, amount, total FROM "Shop".orders WHERE state = 'new';
TRUNCATE "Shop".readings_us;
INSERT INTO "Shop".readings SELECT 'us', '2026-03-01'::date + g, -g FROM generate_series(1, 5) g;
CREATE TABLE "Shop".later (k text PRIMARY KEY, v numeric);
INSERT INTO "Shop".later VALUES ('x', 1e-20), ('y', 'NaN'), ('marked', 1);
BEGIN;
INSERT INTO "Shop".later VALUES ('rolled back', 0);
ROLLBACK;
UPDATE "Shop".later SET v = 2 WHERE k = 'marked';
SQL
q -d src -c "SELECT * FROM scribe.rotate_diff()" >/dev/null
chain=$(ls -d "$backups"/src/chain-* | head -1)

# The newer server: nothing of pg_scribe in it.
export PATH="$newer:$PATH"
PG_BINDIR=$newer
CLUSTER_EXTRA_CONF="shared_preload_libraries = ''"
cluster_start "$work/newer"
# shellcheck disable=SC2064 # expand the directories now
trap "cluster_stop '$work/newer'; cluster_stop '$work/cluster'; rm -rf '$work'" EXIT
echo "-- the newer server: $(psql -X -At -d postgres -c 'SELECT version()' | cut -c1-40)"

echo "-- pg_scribe --restore on $new_major"
if "$PG_SCRIBE" --restore --backup-dir "$backups/src" -d copy_cli --create >"$work/restore.out" 2>&1; then
  ok "pg_scribe --restore restores the chain on $new_major"
else
  fail "pg_scribe --restore failed on $new_major: $(tail -5 "$work/restore.out")"
fi
[ "$(psql -X -At -d postgres -c "SELECT count(*) FROM pg_roles WHERE rolname = 'clerk'")" = 1 ] &&
  ok "the chain's roles are on $new_major" || fail "role clerk was not restored"

echo "-- psql alone on $new_major"
if restore_chain "$chain" copy_psql 2>"$work/psql.err"; then
  ok "psql $new_major alone restores the chain"
else
  fail "psql alone failed on $new_major: $(tail -5 "$work/psql.err")"
fi

# What the schema must be: the source carried over by PostgreSQL's own
# upgrade path, the newer pg_dump into the newer server. A direct comparison
# of the dumps of both servers differs where the server, not the restore,
# writes the text: 16 stopped qualifying a view's columns with its only
# table's name (orders.amount became amount). The 15 here keeps a column
# option of its own, pg_attver, that its pg_dump leaves out and a newer one
# writes (and a newer server refuses): the reference leaves it out too.
createdb reference
PGHOST=$src_host PGPORT=$src_port pg_dump --no-sync -d src |
  grep -v -E -e '^(CREATE EXTENSION IF NOT EXISTS scribe |COMMENT ON EXTENSION scribe )' \
    -e '^ALTER TABLE ONLY .* ALTER COLUMN .* SET \(pg_attver=[0-9]+\);$' |
  psql -X -q -v ON_ERROR_STOP=1 -d reference >/dev/null 2>"$work/reference.err" ||
  fail "pg_dump $new_major of src does not load into $new_major: $(head -3 "$work/reference.err")"
PGHOST=$src_host PGPORT=$src_port table_checksums src >"$work/src.sums"
normalized_dump reference --schema-only >"$work/reference.schema"
[ "$(wc -l <"$work/src.sums")" -ge 7 ] && grep -q 'CREATE VIEW "Shop".open_orders' "$work/reference.schema" ||
  fail "the reference is incomplete: $(wc -l <"$work/src.sums") tables"

# same_as_source DB WHAT: every table's content of DB equals that of src on
# the older server, and its pg_dump --schema-only that of the reference.
same_as_source() {
  local db=$1 what=$2
  table_checksums "$db" >"$work/$db.sums" || { fail "table checksums of $db failed"; return 1; }
  normalized_dump "$db" --schema-only >"$work/$db.schema"
  if diff "$work/src.sums" "$work/$db.sums" >"$work/$db.sums.diff" &&
    diff "$work/reference.schema" "$work/$db.schema" >"$work/$db.schema.diff"; then
    ok "$what equals the source ($(wc -l <"$work/src.sums") tables' content, pg_dump $new_major --schema-only)"
    return 0
  fi
  fail "$what differs from the source (< source, > $db on $new_major):"
  head -10 "$work/$db.sums.diff" "$work/$db.schema.diff" 2>/dev/null | cut -c1-200 >&2
  return 1
}
same_as_source copy_cli "pg_scribe --restore on $new_major" || true
same_as_source copy_psql "psql alone on $new_major" || true

echo "-- a chain with one change taken out must not compare equal"
sabotaged=$work/sabotaged
cp -a "$chain" "$sabotaged"
last_diff=$(cd "$sabotaged" && printf '%s\n' diff-*.sql | sort | tail -1)
before=$(wc -l <"$sabotaged/$last_diff")
sed -i -E "/^UPDATE ONLY \"Shop\"\.later SET v = 2 WHERE k OPERATOR\(pg_catalog\.=\) 'marked';\$/d" "$sabotaged/$last_diff"
if [ "$(wc -l <"$sabotaged/$last_diff")" != "$((before - 1))" ]; then
  fail "the marked UPDATE is not one line of $last_diff: $(grep -n 'marked' "$sabotaged/$last_diff" | head -3 | cut -c1-300)"
elif ! restore_chain "$sabotaged" copy_sabotaged 2>"$work/sabotaged.err"; then
  fail "the sabotaged chain did not replay: $(tail -3 "$work/sabotaged.err")"
elif same_as_source copy_sabotaged "the sabotaged restore" 2>/dev/null; then
  fail "a restore without one UPDATE compared equal: the comparison cannot fail"
elif ! grep -q '^> Shop\.later|' "$work/copy_sabotaged.sums.diff"; then
  fail "the sabotaged restore differs, but not in Shop.later: $(head -3 "$work/copy_sabotaged.sums.diff")"
else
  passed=$((passed + 1)) failed=$((failed - 1))
  echo "ok   a restore without one UPDATE is found different"
fi

finish cross_version_restore
