#!/usr/bin/env bash
# Base restore (issue 18): the same database restored four ways, in the same
# run, the order alternated from run to run, medians of RUNS (at least 3):
#   scribe_jN  pg_scribe --restore --jobs N (verification included)
#   pg_restore pg_restore --jobs N of a directory-format dump (pg_dump -Fd)
#              taken right after the chain's base, of the same data
#   psql       psql -v ON_ERROR_STOP=1 -f base.sql
#   scribe_j1  pg_scribe --restore (one connection)
# Each is timed from "no database" to "restored" (createdb included where
# the tool does not create it). Every restore is compared with the source.
# Each run also records the machine's busy CPU seconds (every core, from
# /proc/stat) and the client's own, and the summary says how far ahead of
# psql -f any restore can be on this machine's cores: run it on an idle
# machine.
#
#   sudo bash bench/base_restore.sh
#
# Knobs: SCALE (1 = the base of bench/run.sh: t after 1,000,000 inserts,
# updates and deletes, u of 200,000 rows), RUNS (default 3), JOBS (default
# 2), INDEXES (1: two secondary indexes on t, so that there is index work to
# spread; 0: the workload's own), COMPRESS (none, zstd, ...: the chain's
# base), VERBOSE (1: pg_scribe's phases), OUT (a TSV of every figure, default bench/results/base_restore.tsv).
set -euo pipefail
cd "$(dirname "$0")/.."
source tests/lib/cluster.sh
source tests/lib/compare.sh
source tests/lib/engine.sh
source tests/lib/assert.sh
SCALE=${SCALE:-1} RUNS=${RUNS:-3} JOBS=${JOBS:-2} INDEXES=${INDEXES:-1} COMPRESS=${COMPRESS:-none}
[ "$RUNS" -ge 3 ] || { echo "RUNS must be at least 3 (a median)" >&2; exit 2; }
CLUSTER_EXTRA_CONF="fsync = on
full_page_writes = on
shared_buffers = 512MB
max_wal_size = 8GB
checkpoint_timeout = 30min
max_worker_processes = 16
log_min_messages = warning"
start_throwaway_cluster base_restore
PG_SCRIBE=${PG_SCRIBE:-$PG_BINDIR/pg_scribe}
# qa: a value read (unaligned, tuples only); q is tests/lib/assert.sh's.
qa() { psql -X -At -v ON_ERROR_STOP=1 "$@"; }
now() { date +%s.%N; }
elapsed() { echo "$(now) - $1" | bc -l; }
median() { sort -g | awk '{v[NR] = $1} END {if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
OUT=${OUT:-bench/results/base_restore.tsv}
mkdir -p "$(dirname "$OUT")"

n=$(printf '%.0f' "$(echo "1000000 * $SCALE" | bc -l)")
n=$(( (n + 9999) / 10000 * 10000 ))
nu=$(( n / 5 )) nuu=$(( n / 100 ))
backups=$work/backups
mkdir -p "$backups"
chown postgres: "$backups"
createdb bench
q -d bench -c "CREATE EXTENSION scribe" -f bench/workload.sql >/dev/null
q -d bench -c "CALL bench_load($n, $nu, $nuu)"
[ "$INDEXES" = 1 ] && q -d bench -c "CREATE INDEX t_a ON t (a)" -c "CREATE INDEX t_c ON t (c)"
q -d bench -c "VACUUM ANALYZE"
q -d bench -c "SELECT chain_id FROM scribe.init('$backups/bench', compression => '$COMPRESS')" >/dev/null
chain=$(ls -d "$backups"/bench/chain-*)
base=$(ls "$chain"/base.sql*)
"$PG_BINDIR/pg_dump" -Fd -f "$work/dump.d" bench
# The scribe schema is in the pg_dump archive, not in the chain's base: it
# is left out of pg_restore's list, so that both restore the same objects.
"$PG_BINDIR/pg_restore" -l "$work/dump.d" | grep -v -E 'EXTENSION - scribe|COMMENT - EXTENSION scribe' >"$work/dump.list"
plain=$work/base.sql
decompress_to_stdout "$base" >"$plain"
chmod 644 "$plain"
rows=$(qa -d bench -c "SELECT (SELECT count(*) FROM t) + (SELECT count(*) FROM u)")
echo "== base: $rows rows, $(stat -c %s "$plain") bytes of SQL ($(stat -c %s "$base") stored, $COMPRESS); jobs $JOBS; $RUNS runs"

# restore_with TOOL: restores the base into r_base with TOOL.
restore_with() {
  case $1 in
    scribe_j | scribe_1)
      local j=1
      [ "$1" = scribe_j ] && j=$JOBS
      "$PG_SCRIBE" --restore --backup-dir "$backups/bench" -d r_base --create --no-globals --jobs "$j" \
        ${VERBOSE:+-v} >"$work/r.out" 2>&1 || { cat "$work/r.out" >&2; return 1; } ;;
    pg_restore)
      createdb -T template0 r_base
      "$PG_BINDIR/pg_restore" -j "$JOBS" -L "$work/dump.list" -d r_base "$work/dump.d" ;;
    psql)
      createdb -T template0 r_base
      psql -X -q -v ON_ERROR_STOP=1 -d r_base -f "$plain" >/dev/null ;;
  esac
}
# busy_ticks: the machine's CPU time so far, every core, idle and iowait
# left out (/proc/stat, in clock ticks). The server's backends, parallel
# workers and background processes do most of a restore's work, and they
# are not children of this script, so the whole machine is measured: run
# the benchmark on an otherwise idle machine.
busy_ticks() { awk '/^cpu / {print $2 + $3 + $4 + $7 + $8 + $9}' /proc/stat; }
hz=$(getconf CLK_TCK)
cores=$(nproc)

printf 'run\ttool\tseconds\tcpu_seconds\tclient_cpu_seconds\n' >"$OUT"
tools=(scribe_j pg_restore psql scribe_1)
for run in $(seq 1 "$RUNS"); do
  order=("${tools[@]}")
  [ $((run % 2)) = 0 ] && order=(scribe_1 psql pg_restore scribe_j)
  for tool in "${order[@]}"; do
    dropdb --if-exists r_base
    sync
    ticks=$(busy_ticks)
    start=$(now)
    # time's user and system seconds: the restoring client's own CPU (and
    # createdb's), apart from the server's.
    TIMEFORMAT='%U %S'
    { time restore_with "$tool"; } 2>"$work/time" || { cat "$work/time" >&2; exit 1; }
    secs=$(elapsed "$start")
    cpu=$(echo "($(busy_ticks) - $ticks) / $hz" | bc -l)
    client=$(tail -n 1 "$work/time" | awk '{print $1 + $2}')
    [ -n "${VERBOSE:-}" ] && [ "$tool" != pg_restore ] && [ "$tool" != psql ] &&
      grep -E -- '--jobs|Verified|took' "$work/r.out" | sed 's/^/      /'
    name=$tool; [ $tool = scribe_j ] && name=scribe_j$JOBS
    printf '%s\t%s\t%.3f\t%.2f\t%.2f\n' "$run" "$name" "$secs" "$cpu" "$client" >>"$OUT"
    echo "   run $run: $name $(printf '%.3f' "$secs") s, CPU $(printf '%.2f' "$cpu") s (client $(printf '%.2f' "$client") s)"
    compare_databases bench r_base "$work" >/dev/null || { echo "base_restore: $name differs from the source" >&2; exit 1; }
  done
done
dropdb --if-exists r_base
"$PG_SCRIBE" --teardown -d bench >/dev/null 2>&1 || true

echo "== medians (seconds; per run in order)"
col_median() { awk -F'\t' -v t="$1" -v c="$2" '$2 == t {print $c}' "$OUT" | median; }
for name in scribe_j$JOBS pg_restore psql scribe_1; do
  per=$(awk -F'\t' -v t="$name" '$2 == t {printf "%s%s", sep, $3; sep = ", "}' "$OUT")
  m=$(col_median "$name" 3)
  echo "$name $m ($per); CPU $(col_median "$name" 4) s, of which the client $(col_median "$name" 5) s"
  eval "m_${name}=$m"
done
sj=$(eval echo "\$m_scribe_j$JOBS")
awk -v s="$sj" -v r="$m_pg_restore" -v p="$m_psql" -v o="$m_scribe_1" 'BEGIN {
  printf "ratios (higher: pg_scribe -j faster): vs pg_restore -j %.2fx, vs psql -f %.2fx, vs pg_scribe -j 1 %.2fx\n", r / s, p / s, o / s }'
# The ceiling any client has against psql -f on this machine: the server
# work of psql -f's restore (its CPU less psql's own) spread over every
# core, with nothing else to do, takes at least server / cores seconds.
awk -v p="$m_psql" -v c="$(col_median psql 4)" -v cl="$(col_median psql 5)" -v n="$cores" 'BEGIN {
  server = c - cl
  printf "psql -f keeps %.2f of %d cores busy; its server work alone on %d cores takes at least %.3f s: no restore of this base is more than %.2fx psql -f here\n", c / p, n, n, server / n, p / (server / n) }'
echo "figures in $OUT"
