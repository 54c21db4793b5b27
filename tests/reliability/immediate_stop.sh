#!/usr/bin/env bash
# pg_ctl stop -m immediate at random moments while clients write, on two
# databases of one cluster: "plain" (an uncompressed chain) and "packed" (a
# zstd chain). Each cycle: the server starts again (crash recovery), both
# workers stream again (figure: seconds from pg_ctl start), then after a
# random 0.5-3 s - with, at random, nothing more, a big transaction (written
# in 64 kB pieces, scribe.batch_size = 64), a scribe.rotate_diff() or a
# scribe.new_chain() in flight - the next immediate stop. Now and then a
# rotate_diff between cycles. 3 cycles in short mode, 15 in long mode.
# Checks: the workers come back every time, only the configured replication
# slots exist, and at the end the oracle on both databases, plus each
# database restored by psql from its first chain and every later chain's
# diffs (no gap, no overlap where a new_chain was cut short or completed).
# The seed is printed (figure seed); RELIABILITY_SEED=N replays a run.
set -euo pipefail
cd "$(dirname "$0")/../.."
source tests/lib/reliability.sh  # and cluster.sh, compare.sh, engine.sh
CLUSTER_EXTRA_CONF="max_worker_processes = 16
scribe.batch_size = 64"
start_throwaway_cluster immediate_stop

cycles=3 big_rows=5000
if long_mode; then cycles=15 big_rows=20000; fi
seed=${RELIABILITY_SEED:-$(($(date +%s%N) / 1000 % 1000000))}
RANDOM=$seed
figure seed "$seed"
dbs=(plain packed)
backups=$work/backups
mkdir -p "$backups"
chown postgres: "$backups"

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
status_of() { psql -X -At -d "$1" -c "SELECT $2 FROM scribe.status WHERE database = current_database()"; }

# both_streaming: until the workers of both databases stream (at most 90 s).
both_streaming() {
  local deadline=$(($(date +%s) + 90)) db state
  for db in "${dbs[@]}"; do
    while :; do
      state=$(psql -X -At -d "$db" -c "SELECT state FROM scribe.status WHERE database = current_database()" 2>/dev/null || true)
      [ "$state" = streaming ] || [ "$state" = idle ] && break
      if [ "$(date +%s)" -gt "$deadline" ]; then
        psql -X -d "$db" -c "SELECT state, last_error FROM scribe.status WHERE database = current_database()" >&2 || true
        return 1
      fi
      sleep 0.2
    done
  done
}

for db in "${dbs[@]}"; do
  createdb "$db"
  q -d "$db" -f tests/e2e/engine/schema.sql
  q -d "$db" -c "ALTER TABLE events REPLICA IDENTITY FULL"
done
q -d plain -c "SELECT * FROM scribe.init('$backups/plain', 'plain_slot')" >/dev/null
q -d packed -c "SELECT * FROM scribe.init('$backups/packed', 'packed_slot', 'zstd')" >/dev/null
declare -A first_chain
for db in "${dbs[@]}"; do first_chain[$db]=$(status_of "$db" current_chain); done
writer_start plain wp
writer_start packed wk
both_streaming
ok "two databases backed up (plain: no compression, packed: zstd) while clients write"

log_start=$(stat -c %s "$(server_log)")
restart_times=()
in_flight=(nothing "big transaction" rotate_diff new_chain)
for ((cycle = 1; cycle <= cycles; cycle++)); do
  delay_ms=$((500 + RANDOM % 2501))
  action=$((RANDOM % 4))
  echo "-- cycle $cycle: ${in_flight[$action]} in flight, stop after ${delay_ms} ms"
  bg=()
  for db in "${dbs[@]}"; do
    case $action in
      1) psql -X -q -d "$db" -c "INSERT INTO orders (customer, note, amount) SELECT 'big', repeat('y', 100) || g, g FROM generate_series(1, $big_rows) g" >/dev/null 2>&1 & bg+=($!) ;;
      2) psql -X -q -d "$db" -c "SELECT * FROM scribe.rotate_diff()" >/dev/null 2>&1 & bg+=($!) ;;
      3) psql -X -q -d "$db" -c "SELECT scribe.new_chain()" >/dev/null 2>&1 & bg+=($!) ;;
    esac
  done
  sleep "$(awk -v ms="$delay_ms" 'BEGIN { printf "%.3f", ms / 1000 }')"
  as_pg "$PG_BINDIR/pg_ctl" -D "$work/cluster/data" -m immediate -w stop >/dev/null
  for pid in "${bg[@]}"; do wait "$pid" 2>/dev/null || true; done
  started=$(now)
  as_pg "$PG_BINDIR/pg_ctl" -D "$work/cluster/data" -l "$work/cluster/server.log" -w -t 120 start >/dev/null
  if both_streaming; then
    s=$(since "$started")
    restart_times+=("$s")
    ok "cycle $cycle: both workers stream again ${s}s after pg_ctl start"
  else
    fail "cycle $cycle: the workers do not stream again after the restart"
    tail -c +"$((log_start + 1))" "$(server_log)" | grep -E 'ERROR|FATAL' | tail -5 >&2
    finish immediate_stop
    exit 1
  fi
  slots_are_configured "cycle $cycle"
  if [ $((RANDOM % 2)) = 0 ]; then
    for db in "${dbs[@]}"; do
      if q -d "$db" -c "SELECT * FROM scribe.rotate_diff()" >/dev/null; then ok "cycle $cycle: $db: rotate_diff between cycles"; else
        fail "cycle $cycle: $db: rotate_diff between cycles"; fi
    done
  fi
done

echo "-- the oracle"
sleep 1
writer_stop wp
writer_stop wk
for db in "${dbs[@]}"; do
  oracle "$db" "$backups/$db"
done
# The first chain plus the diffs of every chain that continued it, by psql.
for db in "${dbs[@]}"; do
  chain_walk "$db" "$backups/$db" "${first_chain[$db]}"
done

figure cycles "${#restart_times[@]}"
figure_median_max restart_s "${restart_times[@]}"
figure cut_bytes "$(tail -c +"$((log_start + 1))" "$(server_log)" | { grep -o 'cut [0-9]* bytes' || true; } | awk '{ s += $2 } END { print s + 0 }')"
figure chain_repairs "$(tail -c +"$((log_start + 1))" "$(server_log)" | grep -c 'repaired chain' || true)"
finish immediate_stop
