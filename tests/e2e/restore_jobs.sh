#!/usr/bin/env bash
# pg_scribe --restore --jobs N (issue 18): the base is restored over N
# connections (its tables' data, then its indexes and PRIMARY KEY/UNIQUE
# constraints; the rest in file order) and must equal its source: tables
# of several owners (one an ordinary role whose CHECK runs confined), FKs,
# a partitioned table, indexes (one in a tablespace, one the replica
# identity, one clustered on), a materialized view, large objects,
# comments and grants, from a plain and a zstd-compressed base. Two tables
# (one confined) are large enough to be loaded in several pieces. A COPY
# that fails on one connection stops all of them: the restore exits
# non-zero, reports the error once and says the target is incomplete.
set -euo pipefail
cd "$(dirname "$0")/../.."
source tests/lib/e2e.sh
CLUSTER_EXTRA_CONF="max_worker_processes = 16
log_min_messages = warning"
start_throwaway_cluster restore_jobs

make_backups_dir
mkdir -p "$work/ts"
chown postgres: "$work/ts" 2>/dev/null || true
createdb src
q -d src >/dev/null <<SQL
CREATE EXTENSION scribe;
CREATE ROLE alice;
CREATE ROLE reader;
CREATE TABLESPACE jobs_ts LOCATION '$work/ts';
SQL
q -d src >/dev/null <<'SQL'
CREATE TABLE customers (id int PRIMARY KEY, name text NOT NULL UNIQUE, born date);
INSERT INTO customers SELECT g, 'customer ' || g, date '1970-01-01' + g FROM generate_series(1, 3000) g;
CREATE TABLE orders (id bigserial PRIMARY KEY, customer int NOT NULL REFERENCES customers, amount numeric,
                     note text);
INSERT INTO orders (customer, amount, note)
  SELECT 1 + g % 3000, g * 1.5, repeat('x', g % 100) FROM generate_series(1, 120000) g;
CREATE INDEX orders_customer ON orders (customer);
CREATE INDEX orders_amount ON orders (amount) TABLESPACE jobs_ts;
CREATE INDEX orders_note ON orders (note);
CREATE UNIQUE INDEX orders_ident ON orders (id, customer);
ALTER TABLE orders REPLICA IDENTITY USING INDEX orders_ident;
ALTER TABLE orders CLUSTER ON orders_customer;
COMMENT ON TABLE orders IS 'what customers ordered';
COMMENT ON INDEX orders_note IS 'by note';
-- A table an ordinary role owns, with a CHECK that is its code.
CREATE FUNCTION positive(numeric) RETURNS boolean LANGUAGE sql IMMUTABLE AS 'SELECT $1 > 0';
CREATE TABLE owned (id int PRIMARY KEY, v numeric CHECK (positive(v)), customer int REFERENCES customers, pad text);
ALTER TABLE owned OWNER TO alice;
ALTER FUNCTION positive(numeric) OWNER TO alice;
INSERT INTO owned SELECT g, g, 1 + g % 100, repeat('p', 80) FROM generate_series(1, 60000) g;
GRANT SELECT ON owned TO reader;
GRANT UPDATE (v) ON owned TO reader;
REVOKE ALL ON FUNCTION positive(numeric) FROM PUBLIC;
-- A partitioned table, its key an index of each partition.
CREATE TABLE events (at date NOT NULL, kind text, customer int REFERENCES customers, PRIMARY KEY (at, kind))
  PARTITION BY RANGE (at);
CREATE TABLE events_old PARTITION OF events FOR VALUES FROM ('2000-01-01') TO ('2020-01-01');
CREATE TABLE events_new PARTITION OF events FOR VALUES FROM ('2020-01-01') TO ('2040-01-01');
CREATE INDEX events_kind ON events (kind);
INSERT INTO events SELECT date '2010-01-01' + g, 'k' || g % 7, 1 + g % 3000 FROM generate_series(1, 8000) g;
CREATE MATERIALIZED VIEW order_totals AS SELECT customer, sum(amount) AS total FROM orders GROUP BY customer;
CREATE UNIQUE INDEX order_totals_customer ON order_totals (customer);
CREATE TABLE empty_one (a int PRIMARY KEY);
SELECT lo_from_bytea(515151, 'a large object'), lo_from_bytea(515152, repeat('y', 100000)::bytea);
GRANT SELECT ON LARGE OBJECT 515151 TO reader;
SQL
q -d src -At -c "SELECT chain_id FROM scribe.init('$backups/src')" >/dev/null
wait_streaming src
q -d src -c "INSERT INTO orders (customer, amount) VALUES (7, 7)" -c "UPDATE owned SET v = v + 1 WHERE id < 10"
q -d src -c "SELECT * FROM scribe.rotate_diff()" >/dev/null
chain=$(ls -d "$backups"/src/chain-* | head -1)

restore() {  # restore DB JOBS [more options]: output in $work/DB.out
  local db=$1 jobs=$2
  shift 2
  "$PG_SCRIBE" --restore --backup-dir "$backups/src" -d "$db" --create --no-globals --jobs "$jobs" "$@" \
    >"$work/$db.out" 2>&1
}

echo "-- --jobs 3, plain base"
if restore copy_j3 3 -v; then
  ok "pg_scribe --restore --jobs 3 restores the chain"
else
  fail "pg_scribe --restore --jobs 3 failed: $(tail -5 "$work/copy_j3.out")"
fi
grep -q "over 3 connections" "$work/copy_j3.out" && ok "the base went over 3 connections" ||
  fail "the base did not go over 3 connections: $(grep -i base "$work/copy_j3.out")"
read -r tables pieces < <(sed -n "s/.*--jobs: \([0-9]*\) tables' data in \([0-9]*\) pieces.*/\1 \2/p" "$work/copy_j3.out")
[ "${pieces:-0}" -gt "${tables:-0}" ] && ok "big tables loaded in pieces ($tables tables, $pieces pieces)" ||
  fail "no table loaded in pieces: $(grep -- --jobs "$work/copy_j3.out")"
if compare_databases src copy_j3 "$work"; then ok "--jobs 3 restore equals the source"; else fail "--jobs 3 restore differs"; fi
q -d copy_j3 -At -c "SELECT spcname FROM pg_class c JOIN pg_tablespace t ON t.oid = c.reltablespace
                     WHERE relname = 'orders_amount'" | grep -qx jobs_ts &&
  ok "an index keeps its tablespace" || fail "orders_amount is not in jobs_ts"
q -d copy_j3 -At -c "SELECT convert_from(lo_get(515151), 'UTF8')" | grep -qx 'a large object' &&
  ok "large objects restored" || fail "large object 515151 missing"

echo "-- entries that are not exactly pg_dump's keep their place in file order"
# A copy of the chain whose base has a data header with a name holding
# "; Type: " (its type cannot be told for sure) and a COPY with an option
# (its data lines are not cut): restored with --jobs (--force: the file no
# longer matches its manifest), it must equal psql's restore of it.
cp -a "$backups/src" "$work/crafted"
crafted_chain=$work/crafted/$(basename "$chain")
sed -i -e 's/^-- Data for Name: customers; Type: TABLE DATA; Schema: public;/-- Data for Name: customers; Type: INDEX; Schema: x; Type: TABLE DATA; Schema: public;/' \
  -e 's/^\(COPY public\.orders (.*)\) FROM stdin;$/\1 FROM stdin WITH (FORMAT text);/' "$crafted_chain/base.sql"
grep -q 'FROM stdin WITH (FORMAT text);' "$crafted_chain/base.sql" && grep -q 'Type: INDEX; Schema: x' "$crafted_chain/base.sql" ||
  fail "the crafted base was not made"
"$PG_SCRIBE" --restore --backup-dir "$work/crafted" --chain-id "${crafted_chain##*/chain-}" -d crafted_j3 --create \
  --no-globals --force --jobs 3 -v >"$work/crafted.out" 2>&1 && ok "the crafted chain restores with --jobs 3" ||
  fail "the crafted chain failed: $(tail -5 "$work/crafted.out")"
grep -q -- "--jobs: 4 tables' data in 4 pieces" "$work/crafted.out" &&
  ok "the two entries are not spread: $(grep -- "pieces" "$work/crafted.out" | sed 's/.*--jobs: //')" ||
  fail "the crafted entries were spread: $(grep -- --jobs "$work/crafted.out")"
restore_chain "$crafted_chain" crafted_psql
if compare_databases crafted_psql crafted_j3 "$work"; then ok "it equals psql's restore"; else fail "it differs from psql's restore"; fi

echo "-- --jobs 1 is the restore of one connection"
if restore copy_j1 1; then ok "--jobs 1 restores"; else fail "--jobs 1 failed: $(tail -5 "$work/copy_j1.out")"; fi
grep -q "over .* connections" "$work/copy_j1.out" && fail "--jobs 1 used several connections" ||
  ok "--jobs 1 uses one connection"
if compare_databases src copy_j1 "$work"; then ok "--jobs 1 restore equals the source"; else fail "--jobs 1 restore differs"; fi

echo "-- --jobs 2, zstd-compressed base of a new chain"
# The new base's REFRESH computes the view from the rows of now: so does the source.
q -d src -c "REFRESH MATERIALIZED VIEW order_totals"
q -d src -At -c "SELECT scribe.new_chain('zstd')" >/dev/null
wait_streaming src
q -d src -c "DELETE FROM orders WHERE id % 10 = 0" -c "SELECT * FROM scribe.rotate_diff()" >/dev/null
if restore copy_zstd 2; then ok "--jobs 2 restores a zstd chain"; else fail "--jobs 2 (zstd) failed: $(tail -5 "$work/copy_zstd.out")"; fi
if compare_databases src copy_zstd "$work"; then ok "--jobs 2 (zstd) restore equals the source"; else fail "--jobs 2 (zstd) differs"; fi

echo "-- a COPY that fails on one connection"
# The target's event trigger gives orders a CHECK that no row passes.
createdb broken
q -d broken >/dev/null <<'SQL'
CREATE FUNCTION break_orders() RETURNS event_trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_event_trigger_ddl_commands()
             WHERE command_tag = 'CREATE TABLE' AND object_identity = 'public.orders') THEN
    ALTER TABLE public.orders ADD CONSTRAINT no_rows CHECK (false) NOT VALID;
  END IF;
END $$;
CREATE EVENT TRIGGER break_orders ON ddl_command_end EXECUTE FUNCTION break_orders();
SQL
set +e
"$PG_SCRIBE" --restore --backup-dir "$backups/src" -d broken --no-globals --allow-non-empty --jobs 3 \
  >"$work/broken.out" 2>&1
rc=$?
set -e
[ "$rc" -ne 0 ] && ok "the restore exits non-zero ($rc)" || fail "the restore succeeded"
n=$(grep -c 'error:' "$work/broken.out" || true)
[ "$n" = 1 ] && ok "one error reported" || fail "$n errors reported: $(cat "$work/broken.out")"
grep -q 'no_rows' "$work/broken.out" && ok "the error is the failing COPY's" ||
  fail "the error is not the COPY's: $(cat "$work/broken.out")"
grep -q 'is incomplete' "$work/broken.out" && ok "the restore says the target is incomplete" ||
  fail "no incomplete warning: $(cat "$work/broken.out")"
left=$(psql -X -At -d postgres -c "SELECT count(*) FROM pg_stat_activity WHERE datname = 'broken'")
[ "$left" = 0 ] && ok "no connection left on the target" || fail "$left connections left on the target"

echo "-- usage"
for args in "--restore --backup-dir $backups/src -d x --jobs 0" "--restore --backup-dir $backups/src -d x -j many" \
  "--verify --backup-dir $backups/src -j 2"; do
  set +e
  # shellcheck disable=SC2086 # split on purpose
  "$PG_SCRIBE" $args >/dev/null 2>&1
  rc=$?
  set -e
  [ "$rc" = 5 ] && ok "exit 5: pg_scribe $args" || fail "pg_scribe $args exited $rc, not 5"
done

finish restore_jobs
