#!/usr/bin/env bash
# Big and many transactions. Injects: one transaction inserting many rows
# and one updating all of them (short mode: 60,000 rows of 1.8 kB, 108 MB
# per transaction, yet replayed by psql within CI's time; long mode:
# 1,000,000 rows of 200 bytes), with
# logical_decoding_work_mem = 64kB so that the reorder buffer spills to
# disk; then 20,000 tiny transactions from pgbench (two clients); in long
# mode also one transaction whose SQL is over 1 GiB (1.1 million rows of
# 1 kB; wal2json's 1 GB limit is a known complaint).
# Checks: the reorder buffer did spill (pg_stat_replication_slots), each
# diff holds exactly the transactions committed, the worker never
# restarted and its peak resident memory (VmHWM) stays below 256 MB and
# grows by less than 64 MB over the big transactions (less than either of
# them: the worker holds no transaction in memory), the
# huge transaction is sealed whole in one diff of over 1 GiB (long mode),
# and the oracle: every sealed file verifies, and both restores
# (pg_scribe --restore and psql alone) equal the source.
set -euo pipefail
cd "$(dirname "$0")/../.."
source tests/lib/reliability.sh  # and cluster.sh, compare.sh, engine.sh

# big_pad: 32-character blocks appended to each big row's label.
if long_mode; then
  big_rows=1000000 big_pad=4 huge_rows=1100000 budget=14400
else
  big_rows=60000 big_pad=55 huge_rows=0 budget=900
fi
tiny_per_client=10000
max_rss_kb=$((256 * 1024)) max_growth_kb=$((64 * 1024))

CLUSTER_EXTRA_CONF="logical_decoding_work_mem = '64kB'
max_wal_size = '4GB'
log_min_messages = warning"
start_throwaway_cluster big_transactions
# Nothing may hang for ever: past the budget the script is ended (its EXIT
# trap stops the cluster, which ends any client still waiting).
watchdog big_transactions "$budget"
backups=$work/backups
mkdir -p "$backups"
chown postgres: "$backups"

createdb app
q -d app <<'SQL'
CREATE EXTENSION scribe;
CREATE TABLE big (id int PRIMARY KEY, n int NOT NULL, label text, at timestamptz);
CREATE TABLE tiny (id int PRIMARY KEY, hits bigint NOT NULL, note text);
INSERT INTO tiny SELECT g, 0, 'row ' || g FROM generate_series(1, 100) g;
CREATE TABLE huge (id int PRIMARY KEY, body text);
SQL
q -d app -c "SELECT * FROM scribe.init('$backups/app')" >/dev/null
wait_streaming app 60
pid=$(worker_pid app)
peak_rss_kb() { awk '/^VmHWM:/ {print $2}' "/proc/$pid/status" 2>/dev/null; }
rss_before=$(peak_rss_kb)
echo "worker pid $pid, peak resident memory so far ${rss_before} kB"

# rotate_diff waits until the worker has decoded and written everything
# flushed so far: it is the catch-up barrier. Bounded, so a stuck worker
# fails the scenario instead of hanging it.
rotate() {
  timeout "$2" psql -X -q -At -v ON_ERROR_STOP=1 -d app \
    -c "SELECT diff_file || '|' || transactions || '|' || bytes FROM scribe.rotate_diff()" >"$work/rotate.$1"
}
seconds_since() { printf '%.1f' "$(echo "$(date +%s.%N) - $1" | bc)"; }

echo "-- one transaction of $big_rows rows, then one UPDATE of all of them"
t0=$(date +%s.%N)
q -d app <<SQL
INSERT INTO big
SELECT g, g, 'label ' || md5(g::text) || E' \\\\ ''q'' ' || repeat(md5((-g)::text), $big_pad),
       '2026-01-01'::timestamptz + g * interval '1 second'
  FROM generate_series(1, $big_rows) g;
UPDATE big SET n = n + 1, label = upper(label), at = at + interval '1 day';
SQL
echo "     (load took $(seconds_since "$t0") s)"
t0=$(date +%s.%N)
if rotate big 900; then
  figure big_decode_seconds "$(seconds_since "$t0")"
  IFS='|' read -r file txns bytes <"$work/rotate.big"
  figure big_sql_mb $((bytes / 1024 / 1024))
  # Less the first diff's block of global objects (xid=0: the roles and
  # database properties at the chain's start, wal2sql/globals.cpp).
  txns=$((txns - $(global_blocks "$file")))
  if [ "$txns" = 2 ]; then ok "the two big transactions are sealed in one diff ($bytes bytes, $(basename "$file"))"; else
    fail "the diff after the two big transactions holds $txns transactions"; fi
else
  fail "rotate_diff after the big transactions failed or took over 900 s"
fi

spill=$(psql -X -At -d app -c "SELECT spill_txns || '|' || spill_bytes FROM pg_stat_replication_slots
                                WHERE slot_name = (SELECT slot_name FROM scribe.status WHERE database = 'app')")
IFS='|' read -r spill_txns spill_bytes <<<"$spill"
if [ "${spill_txns:-0}" -gt 0 ]; then
  ok "the reorder buffer spilled to disk ($spill_txns transactions, $spill_bytes bytes)"
  figure spill_mb $((spill_bytes / 1024 / 1024))
else
  fail "the reorder buffer did not spill (pg_stat_replication_slots: '$spill'): logical_decoding_work_mem not in force?"
fi

echo "-- $((2 * tiny_per_client)) tiny transactions (pgbench, 2 clients)"
cat >"$work/tiny.sql" <<'SQL'
\set id random(1, 100)
UPDATE tiny SET hits = hits + 1, note = 'hit ' || :client_id WHERE id = :id;
SQL
chmod 644 "$work/tiny.sql"
t0=$(date +%s.%N)
done_txns=0
if timeout 600 pgbench -n -f "$work/tiny.sql" -t "$tiny_per_client" -c 2 app >"$work/pgbench.out" 2>&1; then
  elapsed=$(echo "$(date +%s.%N) - $t0" | bc)
  done_txns=$(grep -o 'number of transactions actually processed: [0-9]*' "$work/pgbench.out" | grep -o '[0-9]*$')
  figure tiny_txns "$done_txns"
  figure tiny_tps "$(printf '%.0f' "$(echo "$done_txns / $elapsed" | bc -l)")"
else
  fail "pgbench failed:"
  tail -5 "$work/pgbench.out" >&2
fi
if rotate tiny 600; then
  IFS='|' read -r file txns bytes <"$work/rotate.tiny"
  txns=$((txns - $(global_blocks "$file")))
  # Each tiny transaction changes a row; the barrier adds none
  # (skip_empty_xacts), so the diff holds exactly pgbench's.
  if [ "$done_txns" -gt 0 ] && [ "$txns" = "$done_txns" ]; then
    ok "the diff after pgbench holds its $txns transactions, each once"
  else
    fail "the diff after pgbench holds $txns transactions, pgbench committed $done_txns"
  fi
else
  fail "rotate_diff after the tiny transactions failed"
fi

if long_mode; then
  echo "-- one transaction of over 1 GiB of SQL ($huge_rows rows of about 1 kB)"
  t0=$(date +%s.%N)
  q -d app -c "INSERT INTO huge SELECT g, repeat(md5(g::text), 32) FROM generate_series(1, $huge_rows) g"
  if rotate huge 7200; then
    figure huge_seconds "$(seconds_since "$t0")"
    IFS='|' read -r file txns bytes <"$work/rotate.huge"
    figure huge_sql_mb $((bytes / 1024 / 1024))
    if [ "$bytes" -gt $((1024 * 1024 * 1024)) ] && [ "$txns" = 1 ]; then
      ok "one transaction of $bytes bytes of SQL sealed whole in one diff"
    else
      fail "the huge transaction's diff: $txns transactions, $bytes bytes (expected 1 transaction, over 1 GiB)"
    fi
  else
    fail "rotate_diff after the huge transaction failed"
    grep -E 'pg_scribe|ERROR|FATAL' "$(server_log)" | tail -5 >&2
  fi
fi

echo "-- the worker's memory"
now_pid=$(worker_pid app)
if [ "$now_pid" = "$pid" ]; then ok "the worker never restarted (pid $pid)"; else
  fail "the worker restarted (pid $pid, now '$now_pid'):"
  grep -E 'pg_scribe|terminated|ERROR|FATAL' "$(server_log)" | tail -5 >&2
fi
if rss=$(peak_rss_kb) && [ -n "$rss" ] && [ -n "$rss_before" ]; then
  figure worker_peak_rss_mb $((rss / 1024))
  figure worker_rss_growth_mb $(((rss - rss_before) / 1024))
  if [ "$rss" -lt "$max_rss_kb" ]; then ok "the worker's peak resident memory is $((rss / 1024)) MB (< $((max_rss_kb / 1024)) MB)"; else
    fail "the worker's peak resident memory is $((rss / 1024)) MB (limit $((max_rss_kb / 1024)) MB)"; fi
  if [ $((rss - rss_before)) -lt "$max_growth_kb" ]; then
    ok "it grew by $(((rss - rss_before) / 1024)) MB from $((rss_before / 1024)) MB (< $((max_growth_kb / 1024)) MB)"
  else
    fail "the worker's peak resident memory grew by $(((rss - rss_before) / 1024)) MB (limit $((max_growth_kb / 1024)) MB)"
  fi
else
  fail "cannot read VmHWM of the worker (pid $pid)"
fi

echo "-- oracle"
t0=$(date +%s)
oracle app "$backups/app"
figure oracle_seconds $(($(date +%s) - t0))
finish big_transactions
