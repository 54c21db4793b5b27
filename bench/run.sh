#!/usr/bin/env bash
# pg_scribe benchmark (issue 7): capture and restore throughput against the
# tools users would pick instead, source overhead, lag, size. One command:
#
#   sudo bash bench/run.sh            # the published workload (2.7 M changes, 3 runs)
#   sudo bash bench/run.sh --small    # a tiny run (CI: checks that it runs)
#
# Knobs (environment): SCALE (1 = 1,000,000 rows in t), RUNS, PGBENCH_SCALE,
# PGBENCH_SECONDS, PGBENCH_CLIENTS, JOBS (the base restore's pg_scribe and
# pg_restore --jobs, default 2), PSQL_REPLAY (0 skips the slow psql -f
# replay after the first run), OUT (results directory, default
# bench/results), PG_BINDIR (the server's binaries, default pg_config
# --bindir; a relocated install works too), PG_SCRIBE (default
# $PG_BINDIR/pg_scribe). Every figure is measured in the same run as its reference,
# on the same WAL; medians over RUNS alternated runs.
set -euo pipefail
cd "$(dirname "$0")/.."
small=0
[ "${1:-}" = --small ] && small=1
if [ $small = 1 ]; then
  SCALE=${SCALE:-0.01} RUNS=${RUNS:-1} PGBENCH_SCALE=${PGBENCH_SCALE:-1} PGBENCH_SECONDS=${PGBENCH_SECONDS:-3}
else
  SCALE=${SCALE:-1} RUNS=${RUNS:-3} PGBENCH_SCALE=${PGBENCH_SCALE:-10} PGBENCH_SECONDS=${PGBENCH_SECONDS:-30}
fi
PGBENCH_CLIENTS=${PGBENCH_CLIENTS:-4}
JOBS=${JOBS:-2}  # --jobs of the base restore comparison
PSQL_REPLAY=${PSQL_REPLAY:-1}
OUT=${OUT:-bench/results}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
source tests/lib/cluster.sh
source tests/lib/compare.sh
source tests/lib/engine.sh
source tests/lib/assert.sh
# Durable like production: the cluster helpers turn fsync off for tests.
CLUSTER_EXTRA_CONF="fsync = on
full_page_writes = on
output_plugin_libraries = 'pgoutput, test_decoding, wal2sql, wal2json'
shared_buffers = 512MB
max_wal_size = 8GB
checkpoint_timeout = 30min
max_worker_processes = 16
log_min_messages = warning"
start_throwaway_cluster bench
PG_SCRIBE=${PG_SCRIBE:-$PG_BINDIR/pg_scribe}
# qa: a value read (unaligned, tuples only); q is tests/lib/assert.sh's.
qa() { psql -X -At -v ON_ERROR_STOP=1 "$@"; }
now() { date +%s.%N; }
elapsed() { echo "$(now) - $1" | bc -l; }

n=$(printf '%.0f' "$(echo "1000000 * $SCALE" | bc -l)")
n=$(( (n + 9999) / 10000 * 10000 ))   # whole 10,000-row update transactions
nu=$(( n / 5 )) nuu=$(( n / 100 ))
changes=$(( n + n + n / 2 + nu + nuu ))
results=$OUT/results.tsv
printf 'run\tmetric\ttool\tvalue\n' >"$results"
record() { printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >>"$results"; echo "   run $1: $2 $3 = $4"; }

backups=$work/backups
mkdir -p "$backups"
chown postgres: "$backups"
createdb bench
q -d bench -f bench/workload.sql >/dev/null
echo "== workload: t $n rows, u $nu rows, $nuu FULL-identity updates: $changes changes; $RUNS run(s)"

wait_written() { # DB LSN: until the worker has made LSN durable
  local i
  for ((i = 0; i < 100000; i++)); do
    [ "$(qa -d "$1" -c "SELECT coalesce(written_lsn >= '$2', false) FROM scribe.status_rows() WHERE database = current_database()")" = t ] && return 0
    sleep 0.02
  done
  return 1
}

for run in $(seq 1 "$RUNS"); do
  echo "== run $run"
  "$PG_SCRIBE" --teardown -d bench >/dev/null 2>&1 || true
  rm -rf "$backups/bench"
  q -d bench -f bench/workload.sql >/dev/null
  "$PG_SCRIBE" --init -d bench --backup-dir "$backups/bench" >/dev/null 2>&1
  wait_streaming bench
  # Every tool gets the same WAL: slots made before the workload, the
  # worker stopped during it.
  q -d bench -c "SELECT scribe.stop()" >/dev/null
  for slot in w2j td; do q -d bench -c "SELECT pg_drop_replication_slot('$slot') FROM pg_replication_slots WHERE slot_name = '$slot'" >/dev/null; done
  q -d bench -c "SELECT pg_drop_replication_slot('td_sql') FROM pg_replication_slots WHERE slot_name = 'td_sql'" >/dev/null
  q -d bench -c "SELECT pg_create_logical_replication_slot('w2j', 'wal2json')" \
    -c "SELECT pg_create_logical_replication_slot('td', 'test_decoding')" \
    -c "SELECT pg_create_logical_replication_slot('td_sql', 'test_decoding')" >/dev/null
  start=$(now)
  q -d bench -c "CALL bench_load($n, $nu, $nuu)"
  record "$run" workload_seconds source "$(elapsed "$start")"
  end_lsn=$(qa -d bench -c "SELECT pg_current_wal_lsn()")
  tools=(scribe w2j td sql)
  # Alternate the order from run to run.
  if [ $((run % 2)) = 0 ]; then tools=(sql td w2j scribe); fi
  for tool in "${tools[@]}"; do
    start=$(now)
    case $tool in
      scribe)
        q -d bench -c "SELECT scribe.start()" >/dev/null
        wait_written bench "$end_lsn" ;;
      w2j | td)
        as_pg "$PG_BINDIR/pg_recvlogical" -h "$PGHOST" -p "$PGPORT" -U postgres -d bench -S "$tool" --start \
          --endpos="$end_lsn" -f "$backups/$tool.out" ;;
      sql)
        qa -d bench -c "SELECT count(*) FROM pg_logical_slot_peek_changes('td_sql', '$end_lsn', NULL)" >/dev/null ;;
    esac
    secs=$(elapsed "$start")
    record "$run" capture_changes_per_s "$tool" "$(echo "$changes / $secs" | bc -l)"
  done
  worker=$(qa -d bench -c "SELECT worker_pid FROM scribe.status WHERE database = 'bench'")
  record "$run" worker_peak_rss_mb scribe "$(awk '/VmHWM/ {print $2 / 1024}' "/proc/$worker/status")"
  rm -f "$backups/w2j.out" "$backups/td.out"
  q -d bench -c "SELECT pg_drop_replication_slot(s) FROM unnest(ARRAY['w2j', 'td', 'td_sql']) s" >/dev/null

  # Restore: the same diffs with psql -f and with pg_scribe --restore, into
  # the same starting state (the chain's base: empty tables).
  "$PG_SCRIBE" --rotate-diff -d bench >/dev/null 2>&1
  chain=$(ls -d "$backups"/bench/chain-*)
  diffs=$(as_pg ls "$chain" | grep '^diff-' | LC_ALL=C sort)
  diff_bytes=0
  for f in $diffs; do diff_bytes=$((diff_bytes + $(stat -c %s "$chain/$f"))); done
  record "$run" sql_bytes_per_change scribe "$(echo "$diff_bytes / $changes" | bc -l)"
  for db in r_psql r_scribe; do dropdb --if-exists "$db"; done
  if [ "$PSQL_REPLAY" = 1 ] || [ "$run" = 1 ]; then
    createdb -T template0 r_psql
    decompress_to_stdout "$chain/base.sql" | psql -X -q -v ON_ERROR_STOP=1 -d r_psql >/dev/null
    start=$(now)
    for f in $diffs; do decompress_to_stdout "$chain/$f" | psql -X -q -v ON_ERROR_STOP=1 -d r_psql >/dev/null; done
    record "$run" restore_changes_per_s psql "$(echo "$changes / $(elapsed "$start")" | bc -l)"
  fi
  start=$(now)
  "$PG_SCRIBE" --restore --backup-dir "$backups/bench" -d r_scribe --create --no-globals >/dev/null 2>"$work/restore.log" ||
    { cat "$work/restore.log" >&2; exit 1; }
  record "$run" restore_changes_per_s scribe "$(echo "$changes / $(elapsed "$start")" | bc -l)"
  compare_databases bench r_scribe "$work" || { echo "bench: pg_scribe --restore differs from the source" >&2; exit 1; }

  # Size after each compression method, and its speed.
  plain=$work/diffs.sql
  for f in $diffs; do decompress_to_stdout "$chain/$f"; done >"$plain"
  for method in "gzip -6" "lz4 -1" "zstd -3"; do
    start=$(now)
    $method -c "$plain" >"$work/compressed"
    secs=$(elapsed "$start")
    tool=${method%% *}
    record "$run" compressed_bytes_per_change "$tool" "$(echo "$(stat -c %s "$work/compressed") / $changes" | bc -l)"
    record "$run" compress_mb_per_s "$tool" "$(echo "$(stat -c %s "$plain") / 1048576 / $secs" | bc -l)"
  done
  rm -f "$plain" "$work/compressed"

  # Base restore: a new chain whose base holds the data, restored by psql
  # -f, pg_scribe on one connection and with --jobs $JOBS, and pg_restore
  # --jobs $JOBS of a directory-format dump of the same data taken right
  # after it (the scribe extension left out of its list, as the base leaves
  # it out); the order alternated from run to run.
  new=$(qa -d bench -c "SELECT scribe.new_chain()")
  base=$backups/bench/chain-$new/base.sql
  rm -rf "$work/dump.d"
  "$PG_BINDIR/pg_dump" -Fd -f "$work/dump.d" bench
  "$PG_BINDIR/pg_restore" -l "$work/dump.d" | grep -v -E 'EXTENSION - scribe|COMMENT - EXTENSION scribe' >"$work/dump.list"
  base_tools=(psql scribe scribe_j pg_restore)
  [ $((run % 2)) = 0 ] && base_tools=(pg_restore scribe_j scribe psql)
  for tool in "${base_tools[@]}"; do
    dropdb --if-exists b_base
    start=$(now)
    case $tool in
      psql)
        createdb -T template0 b_base
        decompress_to_stdout "$base" | psql -X -q -v ON_ERROR_STOP=1 -d b_base >/dev/null ;;
      scribe | scribe_j)
        j=1; [ $tool = scribe_j ] && j=$JOBS
        "$PG_SCRIBE" --restore --backup-dir "$backups/bench" --chain-id "$new" -d b_base --create --no-globals \
          --jobs "$j" >/dev/null 2>&1 ;;
      pg_restore)
        createdb -T template0 b_base
        "$PG_BINDIR/pg_restore" -j "$JOBS" -L "$work/dump.list" -d b_base "$work/dump.d" ;;
    esac
    name=$tool; [ $tool = scribe_j ] && name=scribe_j$JOBS; [ $tool = pg_restore ] && name=pg_restore_j$JOBS
    record "$run" base_restore_seconds "$name" "$(elapsed "$start")"
  done
  dropdb --if-exists b_base
  rm -rf "$work/dump.d"
  for db in r_psql r_scribe b_psql b_scribe; do dropdb --if-exists "$db"; done
done
"$PG_SCRIBE" --teardown -d bench >/dev/null 2>&1 || true

echo "== pgbench: overhead and lag (scale $PGBENCH_SCALE, $PGBENCH_CLIENTS clients, ${PGBENCH_SECONDS} s per run)"
createdb pgb
"$PG_BINDIR/pgbench" -q -i -s "$PGBENCH_SCALE" pgb >/dev/null 2>&1
q -d pgb -c "ALTER TABLE pgbench_history REPLICA IDENTITY FULL" -f bench/lag_probe.sql >/dev/null
"$PG_SCRIBE" --init -d pgb --backup-dir "$backups/pgb" >/dev/null 2>&1
wait_streaming pgb
pgbench_tps() {
  "$PG_BINDIR/pgbench" -n -c "$PGBENCH_CLIENTS" -j 2 -T "$PGBENCH_SECONDS" pgb 2>/dev/null |
    awk '/^tps = / {print $3}'
}
# TPS with streaming on and off, alternated, with nothing else running; the
# lag is measured in runs of its own (its probe polls the server, which
# would count against streaming in the TPS comparison).
samples=$(( PGBENCH_SECONDS * 5 ))
for run in $(seq 1 "$RUNS"); do
  order="on off"
  [ $((run % 2)) = 0 ] && order="off on"
  for mode in $order; do
    if [ $mode = on ]; then
      q -d pgb -c "SELECT scribe.start()" >/dev/null
      wait_streaming pgb
    else
      q -d pgb -c "SELECT scribe.stop()" >/dev/null
    fi
    record "$run" pgbench_tps "streaming_$mode" "$(pgbench_tps)"
  done
done
q -d pgb -c "SELECT scribe.start()" >/dev/null
wait_streaming pgb
for run in $(seq 1 "$RUNS"); do
  q -d pgb -c "CALL bench_lag_probe($samples, 0.2)" &
  probe=$!
  record "$run" pgbench_tps streaming_on_lag_probe "$(pgbench_tps)"
  wait "$probe"
done
q -d pgb -c "SELECT scribe.start()" >/dev/null
lags=$(qa -d pgb -c "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY seconds) || ' ' || percentile_cont(0.99) WITHIN GROUP (ORDER BY seconds) || ' ' || count(*) FROM bench_lag")
read -r lag_p50 lag_p99 lag_n <<<"$lags"
record all lag_seconds_p50 scribe "$lag_p50"
record all lag_seconds_p99 scribe "$lag_p99"
record all lag_samples scribe "$lag_n"

# Replay of the diffs against PostgreSQL's own apply (issue 18), in a
# cluster of its own: bench/diff_apply.sh with the same runs and scale (its
# batch workload is 300,000 × SCALE rows, its pgbench stream 100,000 ×
# SCALE transactions); its figures go into the report. DIFF_APPLY=0 skips it.
if [ "${DIFF_APPLY:-1}" = 1 ]; then
  echo "== replay against a subscription's apply (bench/diff_apply.sh)"
  oltp_tx=$(printf '%.0f' "$(echo "100000 * $SCALE" | bc -l)")
  [ "$oltp_tx" -ge 1000 ] || oltp_tx=1000
  RUNS=$RUNS SCALE=$SCALE OLTP_TX=$oltp_tx PGBENCH_SCALE=$PGBENCH_SCALE JOBS=$JOBS PSQL_REPLAY=${PSQL_REPLAY:-1} \
    OUT=$OUT PG_BINDIR=$PG_BINDIR PG_SCRIBE=$PG_SCRIBE bash bench/diff_apply.sh
fi

JOBS=$JOBS bash bench/report.sh "$results" "$OUT" "$changes" "$n" "$nu" "$nuu" "$PGBENCH_SCALE" "$PGBENCH_CLIENTS" "$PGBENCH_SECONDS" "$RUNS"
echo "bench: done; report in $OUT/report.md"
