#!/usr/bin/env bash
# kill -9 of the streaming worker at each of its fault points, while a client
# writes into each of two databases of one cluster: "plain" (an uncompressed chain)
# and "packed" (a zstd chain), whose sealing differs. Each paused worker is
# stopped (SIGSTOP), the fault point cleared, then killed (SIGKILL), so the
# kill lands exactly at the point; the postmaster then restarts everything.
#   batch_synced          a batch durable, the slot not yet advanced: the
#                         restart must skip what the file holds (exactly once)
#   batch_written         in the middle of a big transaction written in
#                         64 kB pieces (scribe.batch_size = 64), not yet
#                         fdatasync'd: the restart must cut the torn tail
#   seal_before_rename    a rotation (scribe.rotate_diff() in the background)
#   seal_renamed          at each step of the seal: the restart repairs the
#   seal_manifest_saved   chain (every diff-* file in the manifest, no temp file)
#   switch_chain_sealed   during scribe.new_chain(): old chain sealed and
#                         closed, the configuration not yet switched
#   base_slot_created     the backend of scribe.new_chain() paused after it
#                         created the new chain's slot, before the base dump,
#                         and the WORKER killed: the old chain must stream on,
#                         no orphan slot may retain WAL, the half-made chain
#                         directory must not confuse --verify / --restore, and
#                         scribe.new_chain() tried again must succeed
# After each kill: both workers stream again (figure: seconds from the kill),
# the bytes cut from active.sql and the repairs the worker logged (figures).
# At the end, the oracle on both databases, and each database restored by psql from
# its first chain plus every later chain's diffs (following the manifests'
# "continued by" links): no gap, no overlap at any chain switch.
# Long mode: the batch and seal points three rounds, a bigger transaction.
# shellcheck disable=SC2086 # lists of pids are split on purpose
set -euo pipefail
cd "$(dirname "$0")/../.."
source tests/lib/reliability.sh  # and cluster.sh, compare.sh, engine.sh
CLUSTER_EXTRA_CONF="max_worker_processes = 16
scribe.batch_size = 64"
start_throwaway_cluster kill_worker

rounds=1 big_rows=3000
if long_mode; then rounds=3 big_rows=20000; fi
dbs=(plain packed)
backups=$work/backups
mkdir -p "$backups"
chown postgres: "$backups"

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
log_size() { stat -c %s "$(server_log)"; }
log_since() { tail -c +"$(($1 + 1))" "$(server_log)"; }
status_of() { psql -X -At -d "$1" -c "SELECT $2 FROM scribe.status WHERE database = current_database()"; }
chain_dir_of() { echo "$backups/$1/chain-$(status_of "$1" current_chain)"; }

# paused_pids POINT N OFFSET [SECONDS]: the pids of N live processes that
# logged a pause at POINT after byte OFFSET of the server log (and did not
# resume).
paused_pids() {
  local point=$1 n=$2 off=$3 seconds=${4:-120} i p live
  for ((i = 0; i < seconds * 10; i++)); do
    live=()
    for p in $(log_since "$off" | grep -o "paused at fault point \"$point\" (pid [0-9]*" | grep -o '[0-9]*$' | sort -u); do
      if kill -0 "$p" 2>/dev/null && ! log_since "$off" | grep -c -- "resumed at fault point \"$point\" (pid $p)" >/dev/null; then
        live+=("$p")
      fi
    done
    if [ ${#live[@]} -ge "$n" ]; then
      echo "${live[*]}"
      return 0
    fi
    sleep 0.1
  done
  echo "fewer than $n processes paused at fault point $point within ${seconds}s" >&2
  return 1
}

# abort MESSAGE: a failed step after which nothing would mean anything.
abort() {
  fail "$1"
  log_since "${off:-0}" | grep -E 'ERROR|FATAL' | tail -5 >&2
  finish kill_worker
  exit 1
}

# kill_paused POINT PID...: freeze the paused processes, clear the fault
# point (a crash restart keeps the postmaster's settings), kill them.
kill_paused() {
  local point=$1
  shift
  kill -STOP "$@"
  fault_clear
  kill -9 "$@"
  kill_time=$(now)
  killed_pids=" $* "
}

# wait_back DB: until a worker other than the killed ones streams for DB
# (at most 60 s).
wait_back() {
  local db=$1 deadline=$(($(date +%s) + 60)) row pid state
  while [ "$(date +%s)" -le "$deadline" ]; do
    row=$(psql -X -At -F ' ' -d "$db" -c "SELECT worker_pid, state FROM scribe.status WHERE database = current_database()" 2>/dev/null || true)
    read -r pid state <<<"$row" || true
    if [ -n "${pid:-}" ] && [[ "$killed_pids" != *" $pid "* ]] && { [ "$state" = streaming ] || [ "$state" = idle ]; }; then
      return 0
    fi
    sleep 0.2
  done
  psql -X -d "$db" -c "SELECT state, last_error FROM scribe.status WHERE database = current_database()" >&2 || true
  return 1
}

# after_kill LABEL OFFSET: both workers stream again; the kill landed at the
# point; figures. Aborts the scenario when a worker does not come back:
# nothing after it would mean anything.
after_kill() {
  local label=$1 off=$2 point=${1%%/*} db worst=0 s cut repairs p
  for db in "${dbs[@]}"; do
    if wait_back "$db"; then
      s=$(since "$kill_time")
      worst=$(awk -v a="$worst" -v b="$s" 'BEGIN { print (b > a ? b : a) }')
    else
      fail "$label: the worker of $db does not stream again after kill -9 (see its last_error above)"
      log_since "$off" | grep -E 'ERROR|FATAL|pg_scribe' | tail -5 >&2
      finish kill_worker
      exit 1
    fi
  done
  ok "$label: both workers stream again after kill -9 (${worst}s)"
  for p in $killed_pids; do
    if log_since "$off" | grep -c -- "resumed at fault point \"$point\" (pid $p)" >/dev/null; then
      fail "$label: process $p went past the fault point before the kill"
    fi
  done
  cut=$(log_since "$off" | { grep -o 'cut [0-9]* bytes' || true; } | awk '{ s += $2 } END { print s + 0 }')
  # Repairs the worker logs as it opens a chain: an interrupted rotation
  # completed or undone, an interrupted new_chain completed or cleaned up.
  repairs=$(log_since "$off" | grep -cE 'pg_scribe: (repaired chain|took the trailer|completed the switch|removed chain|dropped the slot)' || true)
  restart_times+=("$worst")
  figure "kill.$label" "${worst}s,cut=${cut}B,repairs=$repairs"
}

# sealed_state_ok LABEL: after a crash inside a rotation, every diff-* file
# of each current chain is in its manifest, no temporary file is left, and
# every sealed file verifies.
sealed_state_ok() {
  local label=$1 db dir on_disk listed
  for db in "${dbs[@]}"; do
    dir=$(chain_dir_of "$db")
    on_disk=$(as_pg ls "$dir" | { grep -E '^diff-' || true; } | sort | paste -sd ' ')
    listed=$(psql -X -At -d "$db" -c "SELECT file FROM scribe.chains() WHERE kind = 'diff' AND chain_id = '$(basename "$dir" | sed 's/^chain-//')' ORDER BY file" | paste -sd ' ')
    if [ "$on_disk" = "$listed" ]; then ok "$label: $db: every diff file is in the manifest"; else
      fail "$label: $db: diff files on disk [$on_disk], in the manifest [$listed]"; fi
    if as_pg ls "$dir" | grep -q '\.tmp$'; then fail "$label: $db: temporary files left: $(as_pg ls "$dir" | grep '\.tmp$')"; fi
    if "$PG_SCRIBE" --verify --backup-dir "$backups/$db" >"$work/verify.out" 2>&1; then
      ok "$label: $db: pg_scribe --verify passes"
    else
      fail "$label: $db: pg_scribe --verify:"
      tail -5 "$work/verify.out" >&2
    fi
  done
}

diff_count() { psql -X -At -d "$1" -c "SELECT count(*) FROM scribe.chains() WHERE kind = 'diff' AND chain_id = (SELECT current_chain FROM scribe.status WHERE database = current_database())"; }

restart_times=()
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
wait_streaming plain
wait_streaming packed
ok "two databases backed up (plain: no compression, packed: zstd) while clients write"

rotate_bg() {
  local db
  for db in "${dbs[@]}"; do
    psql -X -q -d "$db" -c "SELECT * FROM scribe.rotate_diff()" >"$work/rotate.$db.out" 2>&1 &
    echo $! >"$work/rotate.$db.pid"
  done
}
rotate_reap() {
  local db
  for db in "${dbs[@]}"; do wait "$(cat "$work/rotate.$db.pid")" 2>/dev/null || true; done
}

for ((round = 1; round <= rounds; round++)); do
  tag=""
  [ "$rounds" -gt 1 ] && tag="/r$round"
  echo "-- round $round"

  echo "-- batch_synced: a batch durable, the slot not advanced"
  off=$(log_size)
  fault_arm batch_synced
  pids=$(paused_pids batch_synced 2 "$off") || abort "fewer than two processes paused at batch_synced"
  kill_paused batch_synced $pids
  after_kill "batch_synced$tag" "$off"

  echo "-- batch_written: in the middle of a big transaction"
  # Hold both workers at batch_synced, commit a transaction far bigger than
  # scribe.batch_size, then move the fault point to batch_written: the
  # workers go on and pause once its first 64 kB are written.
  off=$(log_size)
  fault_arm batch_synced
  pids=$(paused_pids batch_synced 2 "$off") || abort "fewer than two processes paused at batch_synced"
  for db in "${dbs[@]}"; do
    q -d "$db" -c "INSERT INTO orders (customer, note, amount) SELECT 'big', repeat('y', 100) || g, g FROM generate_series(1, $big_rows) g"
  done
  off=$(log_size)
  fault_arm batch_written
  pids=$(paused_pids batch_written 2 "$off") || abort "fewer than two processes paused at batch_written"
  torn_files=0
  for db in "${dbs[@]}"; do
    last=$(as_pg tail -n 1 "$(chain_dir_of "$db")/active.sql")
    if [ "$last" != "COMMIT;" ]; then torn_files=$((torn_files + 1)); fi
  done
  if [ "$torn_files" = 2 ]; then ok "batch_written$tag: both active.sql end inside the big transaction at the pause"; else
    fail "batch_written$tag: only $torn_files of 2 active.sql end inside a transaction at the pause"; fi
  kill_paused batch_written $pids
  after_kill "batch_written$tag" "$off"
  for db in "${dbs[@]}"; do
    n=$(log_since "$off" | { grep -o "cut [0-9]* bytes .*/$db/chain-" || true; } | awk '{ s += $2 } END { print s + 0 }')
    if [ "$n" -gt 0 ]; then ok "batch_written$tag: $db: the restart cut the torn tail ($n bytes)"; else
      fail "batch_written$tag: $db: no torn tail cut from active.sql after the kill"; fi
  done

  for point in seal_before_rename seal_renamed seal_manifest_saved; do
    echo "-- $point: during a rotation"
    declare -A before
    for db in "${dbs[@]}"; do before[$db]=$(diff_count "$db"); done
    off=$(log_size)
    fault_arm "$point"
    rotate_bg
    pids=$(paused_pids "$point" 2 "$off") || abort "fewer than two processes paused at $point"
    kill_paused "$point" $pids
    rotate_reap
    after_kill "$point$tag" "$off"
    sealed_state_ok "$point$tag"
    if [ "$point" != seal_before_rename ]; then
      # The diff was renamed into place before the crash: it stays sealed.
      for db in "${dbs[@]}"; do
        n=$(diff_count "$db")
        if [ "$n" = $((before[$db] + 1)) ]; then ok "$point$tag: $db: the diff renamed before the crash is kept"; else
          fail "$point$tag: $db: $n diffs in the chain, expected $((before[$db] + 1))"; fi
      done
    fi
    for db in "${dbs[@]}"; do
      if q -d "$db" -c "SELECT * FROM scribe.rotate_diff()" >/dev/null; then ok "$point$tag: $db: the next rotation succeeds"; else
        fail "$point$tag: $db: rotate_diff after the restart"; fi
    done
  done
done

echo "-- switch_chain_sealed: during scribe.new_chain()"
declare -A chain_before
for db in "${dbs[@]}"; do chain_before[$db]=$(status_of "$db" current_chain); done
off=$(log_size)
fault_arm switch_chain_sealed
for db in "${dbs[@]}"; do
  psql -X -q -At -d "$db" -c "SELECT scribe.new_chain()" >"$work/new_chain.$db.out" 2>&1 &
  echo $! >"$work/new_chain.$db.pid"
done
pids=$(paused_pids switch_chain_sealed 2 "$off") || abort "fewer than two processes paused at switch_chain_sealed"
kill_paused switch_chain_sealed $pids
for db in "${dbs[@]}"; do wait "$(cat "$work/new_chain.$db.pid")" 2>/dev/null || true; done
after_kill switch_chain_sealed "$off"
for db in "${dbs[@]}"; do
  now_chain=$(status_of "$db" current_chain)
  if [ "$now_chain" != "${chain_before[$db]}" ]; then ok "switch_chain_sealed: $db: the switch to chain $now_chain was completed"; else
    fail "switch_chain_sealed: $db: still on the closed chain ${chain_before[$db]}"; fi
  if q -d "$db" -c "SELECT * FROM scribe.rotate_diff()" >/dev/null; then ok "switch_chain_sealed: $db: rotate_diff works on the new chain"; else
    fail "switch_chain_sealed: $db: rotate_diff after the switch"; fi
done
slots_are_configured switch_chain_sealed
sealed_state_ok switch_chain_sealed

echo "-- base_slot_created: the worker killed during a new_chain base dump"
declare -A chain_before
for db in "${dbs[@]}"; do chain_before[$db]=$(status_of "$db" current_chain); done
off=$(log_size)
fault_arm base_slot_created
for db in "${dbs[@]}"; do
  psql -X -q -At -d "$db" -c "SELECT scribe.new_chain()" >"$work/new_chain.$db.out" 2>&1 &
  echo $! >"$work/new_chain.$db.pid"
done
backends=$(paused_pids base_slot_created 2 "$off") || abort "fewer than two processes paused at base_slot_created"
workers=""
for db in "${dbs[@]}"; do workers+=" $(worker_pid "$db")"; done
kill -9 $workers
kill_time=$(now)
killed_pids=" $workers $backends "
for db in "${dbs[@]}"; do wait "$(cat "$work/new_chain.$db.pid")" 2>/dev/null || true; done
after_kill base_slot_created "$off"
# The backends died paused; the setting can go now (no new_chain is running).
fault_clear
for db in "${dbs[@]}"; do
  if [ "$(status_of "$db" current_chain)" = "${chain_before[$db]}" ]; then ok "base_slot_created: $db: still on its chain ${chain_before[$db]}"; else
    fail "base_slot_created: $db: the chain changed to $(status_of "$db" current_chain)"; fi
  r=$(q -d "$db" -At -F ' ' -c "SELECT transactions FROM scribe.rotate_diff()" || echo failed)
  if [ "$r" != failed ] && [ "$r" -gt 0 ]; then ok "base_slot_created: $db: the old chain streams on ($r transactions sealed)"; else
    fail "base_slot_created: $db: the old chain does not stream on (rotate_diff: $r)"; fi
done
slots_are_configured base_slot_created
for db in "${dbs[@]}"; do
  half=""
  for d in $(as_pg ls "$backups/$db" | grep '^chain-'); do
    as_pg test -f "$backups/$db/$d/manifest.json" || half+=" $d"
  done
  if [ -z "$half" ]; then
    ok "base_slot_created: $db: no half-made chain directory left"
  else
    echo "     $db: half-made chain directory left:$half"
  fi
  # Either way, verify and restore must not be confused by it.
  if "$PG_SCRIBE" --verify --backup-dir "$backups/$db" >"$work/verify.out" 2>&1; then
    ok "base_slot_created: $db: pg_scribe --verify passes"
  else
    fail "base_slot_created: $db: pg_scribe --verify fails:"
    grep -v '^  ' "$work/verify.out" | tail -4 >&2
  fi
  target="${db}_h$RANDOM"
  if "$PG_SCRIBE" --restore --create -d "$target" --backup-dir "$backups/$db" >"$work/restore.out" 2>&1 &&
    grep -q "Restoring from chain: ${chain_before[$db]}" "$work/restore.out"; then
    ok "base_slot_created: $db: pg_scribe --restore restores the current chain ${chain_before[$db]}"
  else
    fail "base_slot_created: $db: pg_scribe --restore:"
    grep -E 'Restoring from|error' "$work/restore.out" | head -3 >&2
  fi
  dropdb --if-exists "$target" 2>/dev/null || true
done
for db in "${dbs[@]}"; do
  new=$(q -d "$db" -At -c "SELECT scribe.new_chain()" 2>"$work/new_chain.err" || true)
  if [ -n "$new" ] && [ "$new" != "${chain_before[$db]}" ] && [ "$(status_of "$db" current_chain)" = "$new" ]; then
    ok "base_slot_created: $db: scribe.new_chain() tried again succeeds ($new)"
  else
    fail "base_slot_created: $db: scribe.new_chain() tried again: $(head -2 "$work/new_chain.err")"
  fi
done
slots_are_configured "new_chain retried"

echo "-- the oracle"
# Some more writes on the newest chains, then stop the clients.
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

figure kills "${#restart_times[@]}"
figure_median_max restart_s "${restart_times[@]}"
finish kill_worker
