#!/usr/bin/env bash
# Replay of the diffs against PostgreSQL's own logical replication apply
# (issue 18): the same WAL applied by a subscription catching up from a
# slot made before the workload (same cluster, as a user would compare),
# and by pg_scribe --restore of the chain; psql -f of the same diffs as the
# floor. Two workloads:
#   batch  bench/run.sh's table t: N inserts in 1,000-row transactions, N
#          updates in 10,000-row transactions, N/2 deletes (N = 300,000 ×
#          SCALE)
#   oltp   pgbench's TPC-B-like script: OLTP_TX transactions of 3 UPDATEs
#          and an INSERT each, PGBENCH_CLIENTS clients, scale PGBENCH_SCALE
#
#   sudo bash bench/diff_apply.sh                 # both workloads, 3 runs
#   sudo RUNS=1 SCALE=0.05 OLTP_TX=5000 bash bench/diff_apply.sh   # a quick look
#
# Knobs (environment): RUNS (3), WORKLOADS ("batch oltp"), SCALE (1),
# OLTP_TX (100000), PGBENCH_SCALE (5), PGBENCH_CLIENTS (4), PSQL_REPLAY
# (1: psql -f too, in the first run only; 0: never), OUT (bench/results),
# JOBS (2: pg_scribe --restore --jobs JOBS too, as scribe_jN; 1: not),
# KEEP_CHAIN (a directory: the first run's chain of each workload is copied
# to KEEP_CHAIN/WORKLOAD, to profile restores of it later), PG_BINDIR,
# PG_SCRIBE.
#
# What is timed: the subscription from ALTER SUBSCRIPTION ... ENABLE until
# the workload's last transaction (a marker row) is visible on its side;
# pg_scribe the diff phase of --restore ("Applied N differentials (...,
# took X s)": the lookup indexes, the replay and its commits; the base and
# the verification are timed apart); psql -f from its start to its end.
# The order of the tools alternates from run to run; each result is
# checked against the source (every table's content). Ratios are of
# medians.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-3} SCALE=${SCALE:-1} OLTP_TX=${OLTP_TX:-100000}
PGBENCH_SCALE=${PGBENCH_SCALE:-5} PGBENCH_CLIENTS=${PGBENCH_CLIENTS:-4}
WORKLOADS=${WORKLOADS:-batch oltp} PSQL_REPLAY=${PSQL_REPLAY:-1} JOBS=${JOBS:-2}
OUT=${OUT:-bench/results}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
source tests/lib/cluster.sh
source tests/lib/compare.sh
source tests/lib/engine.sh
CLUSTER_EXTRA_CONF="fsync = on
full_page_writes = on
shared_buffers = 512MB
max_wal_size = 8GB
checkpoint_timeout = 30min
max_worker_processes = 16
max_logical_replication_workers = 4
log_min_messages = warning"
start_throwaway_cluster diff_apply
PG_SCRIBE=${PG_SCRIBE:-$PG_BINDIR/pg_scribe}
q() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }
qa() { psql -X -At -v ON_ERROR_STOP=1 "$@"; }
now() { date +%s.%N; }
elapsed() { echo "$(now) - $1" | bc -l; }
results=$OUT/diff-apply.tsv
printf 'run\tworkload\ttool\tseconds\tchanges\n' >"$results"
record() { printf '%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$5" >>"$results"; echo "   run $1 $2: $3 $4 s"; }
backups=$work/backups
mkdir -p "$backups"
chown postgres: "$backups"
n=$(printf '%.0f' "$(echo "300000 * $SCALE" | bc -l)")
n=$(( (n + 9999) / 10000 * 10000 ))

setup_source() { # WORKLOAD: a fresh database src with the workload's tables and data
  "$PG_SCRIBE" --teardown -d src >/dev/null 2>&1 || true
  for db in src sub dst dst_psql; do dropdb --if-exists "$db"; done
  rm -rf "$backups/src"
  createdb src
  case $1 in
    batch)
      # bench/run.sh's tables and procedure (its table u stays empty here).
      q -d src -f bench/workload.sql >/dev/null ;;
    oltp)
      "$PG_BINDIR/pgbench" -q -i -s "$PGBENCH_SCALE" src >/dev/null 2>&1
      # pg_scribe's init wants a replica identity on every table; the
      # history table is only ever inserted into.
      q -d src -c "ALTER TABLE pgbench_history REPLICA IDENTITY FULL" ;;
  esac
  q -d src -c "CREATE TABLE bench_marker (id int PRIMARY KEY)" -c "CHECKPOINT"
}

run_workload() { # WORKLOAD: its changes; prints how many decoded changes
  case $1 in
    batch)
      q -d src -c "CALL bench_load($n, 0, 0)" >/dev/null
      echo $((n + n + n / 2)) ;;
    oltp)
      "$PG_BINDIR/pgbench" -n -c "$PGBENCH_CLIENTS" -j 2 -t $((OLTP_TX / PGBENCH_CLIENTS)) src >/dev/null 2>&1
      echo $((OLTP_TX / PGBENCH_CLIENTS * PGBENCH_CLIENTS * 4)) ;;
  esac
}

subscription_apply() { # seconds for the subscription in sub to catch up with the marker
  q -d sub -c "CREATE SUBSCRIPTION bench_sub CONNECTION 'host=$PGHOST port=$PGPORT user=postgres dbname=src' PUBLICATION bench_pub WITH (create_slot = false, slot_name = 'bench_sub', copy_data = false, enabled = false)" 2>/dev/null
  local start i
  start=$(now)
  q -d sub -c "ALTER SUBSCRIPTION bench_sub ENABLE"
  for ((i = 0; i < 360000; i++)); do
    [ "$(qa -d sub -c "SELECT count(*) FROM bench_marker")" = 1 ] && break
    sleep 0.01
  done
  elapsed "$start"
  q -d sub -c "ALTER SUBSCRIPTION bench_sub DISABLE" -c "ALTER SUBSCRIPTION bench_sub SET (slot_name = NONE)" \
    -c "DROP SUBSCRIPTION bench_sub"
}

seconds_of() { # "12.34 s" or "1m 5s" (pg_scribe's durations) -> seconds
  awk '{ if ($0 ~ /m /) { split($0, p, /m |s/); print p[1] * 60 + p[2] } else { print $1 } }' <<<"$1"
}

scribe_apply() { # [JOBS]: seconds of pg_scribe --restore's diff phase into dst
  dropdb --if-exists dst
  "$PG_SCRIBE" --restore --backup-dir "$backups/src" -d dst --create --no-globals --jobs "${1:-1}" >"$work/restore.log" 2>&1 ||
    { cat "$work/restore.log" >&2; exit 1; }
  # The restore time objective: the base and the whole restore too.
  base_secs=$(seconds_of "$(sed -n 's/.*Restored base backup (.*took \([0-9.ms ]*\)).*/\1/p' "$work/restore.log")")
  total_secs=$(seconds_of "$(sed -n 's/^Restore complete: .*(took \([0-9.ms ]*\)).*/\1/p' "$work/restore.log")")
  seconds_of "$(sed -n 's/.*Applied [0-9]* differentials (.*took \([0-9.ms ]*\)).*/\1/p' "$work/restore.log")"
}

psql_apply() { # seconds of psql -f of the diffs into dst_psql (holding the base)
  local chain f start
  chain=$(ls -d "$backups"/src/chain-*)
  createdb -T template0 dst_psql
  decompress_to_stdout "$chain/base.sql" | psql -X -q -v ON_ERROR_STOP=1 -d dst_psql >/dev/null
  start=$(now)
  for f in $(as_pg ls "$chain" | grep '^diff-' | LC_ALL=C sort); do
    decompress_to_stdout "$chain/$f" | psql -X -q -v ON_ERROR_STOP=1 -d dst_psql >/dev/null
  done
  elapsed "$start"
}

same_content() { # DB: its tables equal src's
  table_checksums src | grep '^public\.' >"$work/src.sums"
  table_checksums "$1" | grep '^public\.' >"$work/$1.sums"
  diff -q "$work/src.sums" "$work/$1.sums" >/dev/null || { echo "diff_apply: $1 differs from the source" >&2; exit 1; }
}

for workload in $WORKLOADS; do
  for run in $(seq 1 "$RUNS"); do
    echo "== $workload, run $run"
    setup_source "$workload"
    # The subscriber starts from the same data as the chain's base.
    createdb -T src sub
    q -d src -c "CREATE PUBLICATION bench_pub FOR TABLES IN SCHEMA public" \
      -c "SELECT pg_create_logical_replication_slot('bench_sub', 'pgoutput')" >/dev/null
    "$PG_SCRIBE" --init -d src --backup-dir "$backups/src" >/dev/null 2>&1
    wait_streaming src
    changes=$(run_workload "$workload")
    q -d src -c "INSERT INTO bench_marker VALUES (1)"
    end_lsn=$(qa -d src -c "SELECT pg_current_wal_lsn()")
    for ((i = 0; i < 100000; i++)); do
      [ "$(qa -d src -c "SELECT coalesce(written_lsn >= '$end_lsn', false) FROM scribe.status_rows() WHERE database = 'src'")" = t ] && break
      sleep 0.02
    done
    "$PG_SCRIBE" --rotate-diff -d src >/dev/null 2>&1
    if [ -n "${KEEP_CHAIN:-}" ] && [ "$run" = 1 ]; then
      rm -rf "${KEEP_CHAIN:?}/$workload"
      mkdir -p "$KEEP_CHAIN"
      cp -a "$backups/src" "$KEEP_CHAIN/$workload"
    fi
    tools=(subscription scribe)
    [ "$JOBS" -gt 1 ] && tools+=(scribe_j)
    # Alternated: every other run in the reverse order.
    [ $((run % 2)) = 0 ] && tools=($(printf '%s\n' "${tools[@]}" | tac))
    if [ "$PSQL_REPLAY" = 1 ] && [ "$run" = 1 ]; then tools+=(psql); fi
    for tool in "${tools[@]}"; do
      case $tool in
        subscription) secs=$(subscription_apply); same_content sub ;;
        scribe)
          scribe_apply >"$work/secs"
          secs=$(cat "$work/secs")
          same_content dst
          base_bytes=$(stat -c %s "$(ls -d "$backups"/src/chain-*)"/base.sql*)
          record "$run" "$workload" scribe_base "$base_secs" "$base_bytes"
          record "$run" "$workload" scribe_total "$total_secs" "$changes" ;;
        scribe_j)
          scribe_apply "$JOBS" >"$work/secs"
          secs=$(cat "$work/secs")
          same_content dst
          record "$run" "$workload" "scribe_j${JOBS}_total" "$total_secs" "$changes" ;;
        psql) secs=$(psql_apply); same_content dst_psql ;;
      esac
      [ "$tool" = scribe_j ] && tool=scribe_j$JOBS
      record "$run" "$workload" "$tool" "$secs" "$changes"
    done
    q -d src -c "SELECT pg_drop_replication_slot('bench_sub')" -c "DROP PUBLICATION bench_pub" >/dev/null
  done
done
"$PG_SCRIBE" --teardown -d src >/dev/null 2>&1 || true

median() { sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
{
  echo "== medians of $RUNS run(s) (raw: $results)"
  for workload in $WORKLOADS; do
    changes=$(awk -F'\t' -v w="$workload" '$2 == w { c = $5 } END { print c }' "$results")
    echo "$workload ($changes changes):"
    declare -A med=()
    for tool in subscription scribe "scribe_j$JOBS" psql; do
      values=$(awk -F'\t' -v w="$workload" -v t="$tool" '$2 == w && $3 == t { print $4 }' "$results")
      [ -n "$values" ] || continue
      med[$tool]=$(echo "$values" | median)
      printf '  %-13s %8.3f s %10.0f changes/s   runs: %s\n' "$tool" "${med[$tool]}" \
        "$(echo "$changes / ${med[$tool]}" | bc -l)" "$(echo $values)"
    done
    [ -n "${med[subscription]:-}" ] &&
      printf '  pg_scribe is %.2fx the subscription\n' "$(echo "${med[subscription]} / ${med[scribe]}" | bc -l)"
    [ -n "${med[psql]:-}" ] && printf '  pg_scribe is %.2fx psql -f\n' "$(echo "${med[psql]} / ${med[scribe]}" | bc -l)"
    if [ -n "${med[scribe_j$JOBS]:-}" ]; then
      [ -n "${med[subscription]:-}" ] && printf '  pg_scribe --jobs %s is %.2fx the subscription\n' "$JOBS" \
        "$(echo "${med[subscription]} / ${med[scribe_j$JOBS]}" | bc -l)"
      [ -n "${med[psql]:-}" ] && printf '  pg_scribe --jobs %s is %.2fx psql -f\n' "$JOBS" \
        "$(echo "${med[psql]} / ${med[scribe_j$JOBS]}" | bc -l)"
    fi
    base=$(awk -F'\t' -v w="$workload" '$2 == w && $3 == "scribe_base" { print $4 }' "$results" | median)
    total=$(awk -F'\t' -v w="$workload" '$2 == w && $3 == "scribe_total" { print $4 }' "$results" | median)
    bytes=$(awk -F'\t' -v w="$workload" '$2 == w && $3 == "scribe_base" { b = $5 } END { print b }' "$results")
    printf '  restore time objective: base %.3f s (%.1f MB: %.1f s per GB), diffs %.1f s per million changes, whole restore %.3f s\n' \
      "$base" "$(echo "$bytes / 1048576" | bc -l)" "$(echo "$base / ($bytes / 1073741824)" | bc -l)" \
      "$(echo "${med[scribe]} / ($changes / 1000000)" | bc -l)" "$total"
    unset med
  done
} | tee "$OUT/diff-apply-summary.txt"
