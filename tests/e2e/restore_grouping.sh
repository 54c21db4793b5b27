#!/usr/bin/env bash
# pg_scribe --restore applies consecutive transactions made only of row
# changes as one, table by table, and keeps only the newest values of a row
# updated again (issue 18). The rows must come out as the source's, and a
# point in time must still be exact, whatever the transactions do:
#
# - a pgbench-like stream: many small transactions over several tables,
#   the same few rows updated again and again (collapsed);
# - a value of a UNIQUE column moved from one row to another across
#   transactions (no merged UPDATE on such a table, no transient conflict);
# - a key deleted and inserted again, in different transactions;
# - rows moving between partitions (a DELETE and an INSERT in two leaves);
# - DDL between row changes: a column added, then filled; an enum value
#   added in one transaction and used in the next (in one transaction
#   PostgreSQL refuses that: "unsafe use of new value"), so DDL must end
#   a group;
# - runs of INSERTs that go as COPY, with quotes, backslashes, control
#   characters, NULLs, bytea, json, arrays, a domain, NaN and infinities,
#   into an identity column GENERATED ALWAYS;
# - REPLICA IDENTITY FULL tables without an index, updated or only
#   inserted into (the restore's temporary lookup index must be gone);
# - a --up-to target between two transactions that would share a group.
# Each restore is compared with the source (pg_dump and every table).
# With --jobs 2 the row changes of groups go over two connections by key
# (tables with a simple key and nothing else unique), with the same rows,
# --up-to and failures; -v says why a table stays on one connection.
# A group that fails (a duplicate key in a run that goes as COPY, a bad
# value in a statement; the diff altered, applied with --force) stops the
# restore once, naming the group, and the database is said incomplete:
# the statements run on a thread of their own while the file is read.
# With -j 2 also when a connection fails while its share is still queued.
set -euo pipefail
cd "$(dirname "$0")/../.."
source tests/lib/e2e.sh
start_throwaway_cluster restore_grouping
make_backups_dir

createdb app
q -d app <<'SQL'
CREATE TABLE acct (id int PRIMARY KEY, bal int, note text);
CREATE TABLE teller (id int PRIMARY KEY, bal int);
CREATE TABLE hist (id bigserial PRIMARY KEY, acct int, delta int);
CREATE TABLE uniq (id int PRIMARY KEY, u int UNIQUE);
CREATE TABLE part (k int, v text, PRIMARY KEY (k, v)) PARTITION BY LIST (v);
CREATE TABLE part_a PARTITION OF part FOR VALUES IN ('a');
CREATE TABLE part_b PARTITION OF part FOR VALUES IN ('b');
CREATE TYPE mood AS ENUM ('ok');
CREATE DOMAIN short AS text CHECK (length(VALUE) < 40);
CREATE TABLE odd (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY, t text, b bytea, j jsonb, a text[], d short,
                  n numeric, f float8, m mood);
CREATE TABLE moods (id int PRIMARY KEY, m mood);
CREATE TABLE full_log (a int, b text);
ALTER TABLE full_log REPLICA IDENTITY FULL;
CREATE TABLE full_rows (a int, b text);
ALTER TABLE full_rows REPLICA IDENTITY FULL;
INSERT INTO full_rows SELECT g, 'r' || g FROM generate_series(1, 50) g;
INSERT INTO acct SELECT g, 0, 'n' || g FROM generate_series(1, 200) g;
INSERT INTO teller SELECT g, 0 FROM generate_series(1, 3) g;
INSERT INTO uniq VALUES (1, 10), (2, 20);
INSERT INTO part SELECT g, 'a' FROM generate_series(1, 20) g;
SQL
"$PG_SCRIBE" --init -d app --backup-dir "$backups/app" >/dev/null 2>&1
wait_streaming app 60

# Phase 1: small transactions, one statement each, autocommit.
{
  for i in $(seq 1 300); do
    echo "UPDATE acct SET bal = bal + $i WHERE id = $(( (i * 37) % 200 + 1 ));"
    echo "UPDATE teller SET bal = bal + $i WHERE id = $(( i % 3 + 1 ));"
    echo "INSERT INTO hist (acct, delta) VALUES ($i, $i);"
  done
  # Runs of INSERTs long enough to go as COPY, with every kind of value.
  for i in $(seq 1 80); do
    echo "INSERT INTO odd (t, b, j, a, d, n, f, m) VALUES (E'q''\\\\t\\n\\r\\t$i', '\\x00ff', '{\"k\": \"v\\\\u0041\"}', '{\"x,y\",NULL,\"z\\\\\\\\\"}', 's$i', 'NaN', '-Infinity', 'ok');"
    echo "INSERT INTO odd (t, d, n, f) VALUES (NULL, NULL, $i.5, 1e-300);"
  done
  # REPLICA IDENTITY FULL tables without an index: one only inserted into,
  # one updated and deleted from (the restore builds a lookup index for
  # it when it meets the first such change, and drops it at the end).
  for i in $(seq 1 40); do
    echo "INSERT INTO full_log VALUES ($i, 'l$i');"
    echo "UPDATE full_rows SET b = b || '+' WHERE a = $(( i % 50 + 1 ));"
  done
  echo "DELETE FROM full_rows WHERE a IN (7, 8);"
  # u = 10 moves from row 1 to row 2 and back, one transaction each.
  echo "UPDATE uniq SET u = 30 WHERE id = 2;"
  echo "UPDATE uniq SET u = 20 WHERE id = 1;"
  echo "UPDATE uniq SET u = 10 WHERE id = 2;"
  echo "DELETE FROM acct WHERE id = 7;"
  echo "INSERT INTO acct VALUES (7, 700, 'again');"
  echo "UPDATE acct SET note = 'changed' WHERE id = 7;"
  echo "UPDATE part SET v = 'b' WHERE k <= 5;"
  echo "UPDATE part SET v = 'a' WHERE k = 3;"
} | q -d app
lsn1=$(psql -X -At -d app -c "SELECT pg_current_wal_lsn()")
table_checksums app >"$work/phase1.sums"

# Phase 2: DDL among row changes, then more small transactions.
q -d app <<'SQL'
UPDATE teller SET bal = bal + 1 WHERE id = 1;
ALTER TABLE teller ADD COLUMN tag text;
UPDATE teller SET tag = 't' || id, bal = bal + 1;
UPDATE teller SET bal = bal + 1 WHERE id = 2;
ALTER TYPE mood ADD VALUE 'great';
INSERT INTO moods VALUES (1, 'great');
UPDATE moods SET m = 'ok' WHERE id = 1;
UPDATE teller SET bal = bal + 5 WHERE id = 3;
SQL
for i in $(seq 1 100); do echo "UPDATE teller SET bal = bal + 1, tag = 'x$i' WHERE id = $(( i % 3 + 1 ));"; done | q -d app
"$PG_SCRIBE" --rotate-diff -d app >/dev/null 2>&1
chain=$(ls -d "$backups"/app/chain-* | tail -1)

if "$PG_SCRIBE" --restore --backup-dir "$backups/app" -d app_cli --create -v >"$work/cli.out" 2>&1; then
  ok "pg_scribe --restore restores the chain"
else fail "pg_scribe --restore failed: $(tail -3 "$work/cli.out")"; fi
if compare_databases app app_cli "$work"; then ok "the restore equals the source (schema and every table)"; else
  fail "the restore differs from the source"; fi
if grep -q "lookup index on public.full_rows" "$work/cli.out" && ! grep -q "lookup index on public.full_log" "$work/cli.out"; then
  ok "a lookup index only for the FULL-identity table that has UPDATEs and DELETEs"
else fail "lookup indexes: $(grep 'lookup index' "$work/cli.out" | tr '\n' ' ')"; fi
transactions=$(sed -n 's/.*Applied [0-9]* differentials (\([0-9,]*\) transactions.*/\1/p' "$work/cli.out" | tr -d ,)
in_file=$(decompress_to_stdout "$(ls "$chain"/diff-* | head -1)" | grep -c '^COMMIT;$')
if [ "$transactions" = "$in_file" ]; then ok "every source transaction is counted once ($transactions)"; else
  fail "applied $transactions transactions, the diff has $in_file"; fi

if "$PG_SCRIBE" --restore --backup-dir "$backups/app" -d app_lsn --create --up-to "$lsn1" >"$work/lsn.out" 2>&1; then
  ok "pg_scribe --restore --up-to LSN completes"
else fail "pg_scribe --restore --up-to failed: $(tail -3 "$work/lsn.out")"; fi
table_checksums app_lsn >"$work/lsn.sums"
if diff "$work/phase1.sums" "$work/lsn.sums" >/dev/null; then ok "--up-to stops after exactly the transactions before it"; else
  fail "--up-to $lsn1: the tables differ from the source at that point"; diff "$work/phase1.sums" "$work/lsn.sums" | head -5 >&2; fi

if "$PG_SCRIBE" --restore --backup-dir "$backups/app" -d app_j2 --create -j 2 -v >"$work/j2.out" 2>&1 &&
  grep -q "groups of transactions spread over 2 connections" "$work/j2.out"; then
  ok "pg_scribe --restore -j 2 spreads groups over two connections"
else fail "pg_scribe --restore -j 2: $(grep -i 'spread\|error' "$work/j2.out" | head -3)"; fi
# -v says why a table's changes stay on the first connection.
if grep -q -- "--jobs: public.uniq stays on one connection: it has another unique or exclusion index, uniq_u_key" "$work/j2.out" &&
  grep -q -- "--jobs: public.full_rows stays on one connection: its replica identity is FULL or NOTHING" "$work/j2.out" &&
  ! grep -q -- "--jobs: public.acct stays on one connection" "$work/j2.out"; then
  ok "-v says why a table is not spread (another unique index, replica identity FULL), and not for a spread one"
else fail "-v reasons: $(grep -- 'stays on one connection' "$work/j2.out" | tr '\n' ' ')"; fi
if compare_databases app app_j2 "$work"; then ok "the restore with -j 2 equals the source (schema and every table)"; else
  fail "the restore with -j 2 differs from the source"; fi
"$PG_SCRIBE" --restore --backup-dir "$backups/app" -d app_lsn_j2 --create -j 2 --up-to "$lsn1" >"$work/lsn_j2.out" 2>&1 ||
  fail "pg_scribe --restore -j 2 --up-to failed: $(tail -3 "$work/lsn_j2.out")"
table_checksums app_lsn_j2 >"$work/lsn_j2.sums"
if diff "$work/phase1.sums" "$work/lsn_j2.sums" >/dev/null; then ok "-j 2 --up-to stops after exactly the transactions before it"; else
  fail "-j 2 --up-to $lsn1: the tables differ from the source at that point"; fi

if restore_chain "$chain" app_psql 2>"$work/psql.err"; then ok "psql alone restores the same chain"; else
  fail "psql restore failed: $(tail -3 "$work/psql.err")"; fi

# A failure inside a group, in a COPY and in a plain statement.
for how in copy statement copy-j2 late-j2; do
  rm -rf "$work/bad"
  cp -a "$backups/app" "$work/bad"
  bad_diff=$(ls "$work"/bad/chain-*/diff-* | head -1)
  decompress_to_stdout "$bad_diff" >"$work/bad.sql"
  case $how in
    # hist's 300 single-row INSERTs go as one COPY per group: the 150th
    # takes the key of the 149th.
    copy | copy-j2) sed -i 's/^\(INSERT INTO public\.hist (id, acct, delta) VALUES (\)150,/\1149,/' "$work/bad.sql" ;;
    statement) sed -i 's/^\(DELETE FROM ONLY public\.acct WHERE id OPERATOR(pg_catalog\.=) \)7;/\1'"'"'x'"'"';/' "$work/bad.sql" ;;
    # The UPDATEs of acct row 1 set a bad value. Its key hashes to the
    # second connection (libstdc++'s std::hash of "1\n"), and
    # PG_SCRIBE_TEST_LANE_DELAY_MS (below) makes that connection fail while
    # its share is still being queued, the first one waiting at the barrier.
    late-j2) sed -i 's/^\(UPDATE ONLY public\.acct SET bal = \)[0-9-]*\(.* WHERE id OPERATOR(pg_catalog\.=) 1;\)$/\1'"'"'x'"'"'\2/' "$work/bad.sql" ;;
  esac
  decompress_to_stdout "$(ls "$chain"/diff-* | head -1)" >"$work/good.sql"
  if cmp -s "$work/bad.sql" "$work/good.sql"; then
    fail "group failure ($how): the diff was not altered"; continue
  fi
  case $bad_diff in
    *.zst) zstd -q -f "$work/bad.sql" -o "$bad_diff" ;;
    *.lz4) lz4 -q -f "$work/bad.sql" "$bad_diff" ;;
    *.gz) gzip -c "$work/bad.sql" >"$bad_diff" ;;
    *) cp "$work/bad.sql" "$bad_diff" ;;
  esac
  chown -R postgres: "$work/bad"
  rc=0
  jobs=1 delay=0
  case $how in *-j2) jobs=2 ;; esac
  [ "$how" = late-j2 ] && delay=300
  # A wait that never ends fails the check (exit 124) instead of the run.
  PG_SCRIBE_TEST_LANE_DELAY_MS=$delay timeout 120 "$PG_SCRIBE" --restore --backup-dir "$work/bad" \
    -d "app_bad_${how/-/_}" --create --force -j "$jobs" >"$work/bad.out" 2>&1 || rc=$?
  errors=$(grep -c 'could not apply' "$work/bad.out" || true)
  if [ "$rc" = 4 ] && [ "$errors" = 1 ] && grep -q 'incomplete' "$work/bad.out" &&
    grep -q "transactions applied as one, from transaction xid=" "$work/bad.out" &&
    ! grep -q "another connection failed" "$work/bad.out"; then
    ok "a failing group ($how) stops the restore once (exit 4), named, the database said incomplete"
  else fail "failing group ($how): exit $rc, $errors errors: $(cat "$work/bad.out" | tail -8)"; fi
done

finish restore_grouping
