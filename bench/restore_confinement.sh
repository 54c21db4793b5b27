#!/usr/bin/env bash
# Restore throughput of pg_scribe --restore, confined (the default) vs
# --unconfined, on the benchmark workload (bench/workload.sql) with its
# tables owned by an ordinary role (OWNERS=app) or by the superuser
# (OWNERS=postgres). Two chains per owner: the workload's changes in the
# diffs (scribe.init before the load: the confined row changes) and in the
# base (the load before scribe.init: the confined COPY). Same chain for
# both modes, runs alternated; medians of RUNS (at least 3), and their
# ratio confined/unconfined.
#   sudo bash bench/restore_confinement.sh
# Knobs: N, NU, NUU size the workload as bench/run.sh does (SCALE 1 there is
# N=1000000 NU=200000 NUU=10000); RUNS; OWNERS; PHASES ("diffs base").
set -euo pipefail
cd "$(dirname "$0")/.."
source tests/lib/reliability.sh
CLUSTER_EXTRA_CONF="shared_buffers = 256MB
max_wal_size = 4GB
log_min_messages = warning"
start_throwaway_cluster secbench
N=${N:-200000} NU=${NU:-20000} NUU=${NUU:-5000} RUNS=${RUNS:-3}
[ "$RUNS" -ge 3 ] || { echo "RUNS must be at least 3 (a median)" >&2; exit 2; }
changes=$((N + N + N / 2 + NU + NUU))
mkdir -p "$work/b"; chown postgres: "$work/b"
q -d postgres -c "CREATE ROLE app" >/dev/null
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
echo "workload: N=$N NU=$NU NUU=$NUU ($changes changes), $RUNS runs"
for owner in ${OWNERS:-app postgres}; do
  for phase in ${PHASES:-diffs base}; do
    db=b_${owner}_$phase
    createdb $db
    q -d $db -c "CREATE EXTENSION scribe" >/dev/null
    q -d $db -f bench/workload.sql >/dev/null
    q -d $db -c "ALTER TABLE t OWNER TO $owner" -c "ALTER TABLE u OWNER TO $owner" >/dev/null
    [ $phase = base ] && q -d $db -c "CALL bench_load($N, $NU, $NUU)"
    q -d $db -c "SELECT chain_id FROM scribe.init('$work/b/$db', 'slot_${owner}_$phase')" >/dev/null
    [ $phase = diffs ] && q -d $db -c "CALL bench_load($N, $NU, $NUU)"
    q -d $db -c "SELECT * FROM scribe.rotate_diff()" >/dev/null
    : >"$work/confined.s"; : >"$work/unconfined.s"
    for run in $(seq 1 "$RUNS"); do
      modes=(confined unconfined); [ $((run % 2)) = 0 ] && modes=(unconfined confined)
      for mode in "${modes[@]}"; do
        extra=; [ $mode = unconfined ] && extra=--unconfined
        dropdb --if-exists r_$db
        s=$(date +%s.%N)
        "$PG_SCRIBE" --restore --backup-dir "$work/b/$db" -d r_$db --create --no-globals $extra >"$work/r.out" 2>&1 || { cat "$work/r.out"; exit 1; }
        e=$(date +%s.%N)
        secs=$(awk -v a=$s -v b=$e 'BEGIN{printf "%.3f", b-a}')
        echo "$secs" >>"$work/$mode.s"
        echo "  owner=$owner phase=$phase run=$run mode=$mode seconds=$secs"
      done
    done
    c=$(median <"$work/confined.s") u=$(median <"$work/unconfined.s")
    echo "owner=$owner phase=$phase median_seconds confined=$c unconfined=$u ratio=$(awk -v c=$c -v u=$u 'BEGIN{printf "%.3f", c/u}') changes_per_s confined=$(awk -v n=$changes -v t=$c 'BEGIN{printf "%d", n/t}') unconfined=$(awk -v n=$changes -v t=$u 'BEGIN{printf "%d", n/t}')"
    compare_databases $db r_$db "$work" >/dev/null && echo "owner=$owner phase=$phase restored equals source" || echo "owner=$owner phase=$phase restored DIFFERS"
    dropdb r_$db
  done
done
