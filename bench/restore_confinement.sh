#!/usr/bin/env bash
# Restore throughput of pg_scribe --restore, confined (default) vs --unconfined,
# on the benchmark workload (bench/workload.sql) with its tables owned by an
# ordinary role (OWNERS=app) or by the superuser (OWNERS=postgres); same chain,
# alternated runs. N, NU, NUU size the workload as bench/run.sh does; RUNS.
#   sudo bash bench/restore_confinement.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source tests/lib/reliability.sh
CLUSTER_EXTRA_CONF="shared_buffers = 256MB
max_wal_size = 4GB
log_min_messages = warning"
start_throwaway_cluster secbench
N=${N:-200000} NU=${NU:-20000} NUU=${NUU:-5000} RUNS=${RUNS:-3}
changes=$((N + N + N / 2 + NU + NUU))
mkdir -p "$work/b"; chown postgres: "$work/b"
q -d postgres -c "CREATE ROLE app" >/dev/null
for owner in ${OWNERS:-app postgres}; do
  db=b_$owner
  createdb $db
  q -d $db -c "CREATE EXTENSION scribe" >/dev/null
  q -d $db -f bench/workload.sql >/dev/null
  q -d $db -c "ALTER TABLE t OWNER TO $owner" -c "ALTER TABLE u OWNER TO $owner" >/dev/null
  q -d $db -c "SELECT chain_id FROM scribe.init('$work/b/$db', 'slot_$owner')" >/dev/null
  q -d $db -c "CALL bench_load($N, $NU, $NUU)"
  q -d $db -c "SELECT * FROM scribe.rotate_diff()" >/dev/null
  for run in $(seq 1 $RUNS); do
    modes=(confined unconfined); [ $((run % 2)) = 0 ] && modes=(unconfined confined)
    for mode in "${modes[@]}"; do
      extra=; [ $mode = unconfined ] && extra=--unconfined
      dropdb --if-exists r_$db
      s=$(date +%s.%N)
      "$PG_SCRIBE" --restore --backup-dir "$work/b/$db" -d r_$db --create --no-globals $extra >"$work/r.out" 2>&1 || { cat "$work/r.out"; exit 1; }
      e=$(date +%s.%N)
      secs=$(awk -v a=$s -v b=$e 'BEGIN{printf "%.2f", b-a}')
      echo "owner=$owner run=$run mode=$mode seconds=$secs changes_per_s=$(awk -v c=$changes -v t=$secs 'BEGIN{printf "%d", c/t}')"
    done
  done
  compare_databases $db r_$db "$work" && echo "owner=$owner restored equals source"
done
