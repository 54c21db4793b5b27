# Helpers for the reliability scenarios (tests/reliability/*.sh, issue 6).
# Sources cluster.sh, compare.sh, engine.sh and assert.sh, which every
# scenario needs.
#
#   RELIABILITY_MODE        short (default; what CI runs) or long (the soak)
#   long_mode               true in long mode
#   q, ok/fail, check, expect_sqlstate, expect_exit, finish NAME
#                           the checks of tests/lib/assert.sh
#   figure NAME VALUE       a measured figure, collected by run.sh into the
#                           RELIABILITY.md table
#   fault_arm POINT         every pg_scribe process pauses at POINT
#                           (scribe.fault_injection, then a reload)
#   fault_wait POINT [S]    waits until a process paused there; prints its pid
#   fault_clear             unsets scribe.fault_injection (a paused process
#                           then goes on, unless it is killed first)
#   worker_pid DB           the streaming worker's pid (from scribe.status)
#   oracle DB BACKUP_DIR    the end of every scenario: seal what is
#                           streamed, verify every sealed file, restore the
#                           newest chain with pg_scribe --restore and with
#                           psql alone, compare both with DB by pg_dump
#                           output and per-table checksums
#   log_lines PATTERN       lines of the server log matching PATTERN
#   watchdog NAME SECONDS   ends the script (its EXIT trap stops the
#                           cluster) if it still runs after SECONDS
#   chain_walk DB DIR FIRST restore chain FIRST with psql alone, then the
#                           diffs of every chain that continued it, and
#                           compare with DB: no gap, no overlap at a switch
#   figure_median_max NAME VALUES...   figures NAME_median and NAME_max
#   slots_are_configured LABEL [DB]   no replication slot but the configured ones

reliability_lib=$(dirname "${BASH_SOURCE[0]}")
source "$reliability_lib/cluster.sh"
source "$reliability_lib/compare.sh"
source "$reliability_lib/engine.sh"
source "$reliability_lib/assert.sh"

RELIABILITY_MODE=${RELIABILITY_MODE:-short}
long_mode() { [ "$RELIABILITY_MODE" = long ]; }
PG_SCRIBE=${PG_SCRIBE:-$PG_BINDIR/pg_scribe}

figure() { echo "figure: $1=$2"; }

server_log() { echo "$work/cluster/server.log"; }
log_lines() { grep -E -- "$1" "$(server_log)" || true; }

fault_arm() {
  q -d postgres -c "ALTER SYSTEM SET scribe.fault_injection = '$1'" -c "SELECT pg_reload_conf()" >/dev/null
}

fault_clear() {
  q -d postgres -c "ALTER SYSTEM RESET scribe.fault_injection" -c "SELECT pg_reload_conf()" >/dev/null
}

# Pauses are logged as: pg_scribe: paused at fault point "P" (pid N). Only
# pauses logged after the last fault_arm count (the log may hold older ones).
fault_wait() {
  local point=$1 seconds=${2:-60} i pid
  for ((i = 0; i < seconds * 10; i++)); do
    pid=$(grep -o "paused at fault point \"$point\" (pid [0-9]*" "$(server_log)" | tail -1 | grep -o '[0-9]*$' || true)
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null &&
      ! grep -q "resumed at fault point \"$point\" (pid $pid)" "$(server_log)"; then
      echo "$pid"
      return 0
    fi
    sleep 0.1
  done
  echo "no process paused at fault point $point within ${seconds}s" >&2
  return 1
}

# global_blocks FILE...: how many blocks of global objects (the roles and
# database properties written as a transaction of their own, xid=0, at a
# chain's start and where a rotation finds them changed: wal2sql/globals.cpp)
# the diffs hold; a count of transactions leaves them out.
global_blocks() {
  local f n=0
  for f in "$@"; do
    n=$((n + $(decompress_to_stdout "$f" | grep -c '^-- scribe xid=0 ' || true)))
  done
  echo "$n"
}

worker_pid() {
  psql -X -At -d "$1" -c "SELECT worker_pid FROM scribe.status WHERE database = current_database()"
}

oracle() {
  local db=$1 dir=$2 label=${3:-$1} chain
  if ! q -d "$db" -c "SELECT * FROM scribe.rotate_diff()" >/dev/null; then
    fail "$label: the final rotation failed"
    return
  fi
  if "$PG_SCRIBE" --verify --backup-dir "$dir" >"$work/verify.out" 2>&1; then
    ok "$label: every sealed file of every chain verifies"
  else
    fail "$label: pg_scribe --verify:"
    tail -20 "$work/verify.out" >&2
  fi
  local target="${db}_r$RANDOM"
  if "$PG_SCRIBE" --restore --create -d "$target" --backup-dir "$dir" >"$work/restore.out" 2>&1 &&
    compare_databases "$db" "$target" "$work"; then
    ok "$label: pg_scribe --restore equals the source (pg_dump output, per-table checksums)"
  else
    fail "$label: pg_scribe --restore differs from the source or failed:"
    tail -20 "$work/restore.out" >&2
  fi
  chain=$(ls -d "$dir"/chain-* | sort | tail -1)
  local target2="${db}_p$RANDOM"
  if restore_chain "$chain" "$target2" && compare_databases "$db" "$target2" "$work"; then
    ok "$label: psql alone replays the newest chain to the source's content"
  else
    fail "$label: the psql replay differs from the source or failed"
  fi
  dropdb --if-exists "$target" 2>/dev/null || true
  dropdb --if-exists "$target2" 2>/dev/null || true
}

watchdog() {
  local name=$1 budget=$2
  (
    for ((i = 0; i < budget; i++)); do
      sleep 1
      kill -0 $$ 2>/dev/null || exit 0
    done
    echo "FAIL $name: still running after ${budget}s, ended by the watchdog" >&2
    kill -TERM $$
  ) >/dev/null &
}

chain_walk() {
  local db=$1 dir=$2 chain=$3 walked=$3 next target="${1}_w$RANDOM"
  if restore_chain "$dir/chain-$chain" "$target"; then
    while next=$(psql -X -At -d "$db" -c "SELECT substring(note FROM 'continued by chain (.*)$') FROM scribe.chains() WHERE chain_id = '$chain' AND note LIKE 'closed;%'") && [ -n "$next" ]; do
      apply_diffs "$dir/chain-$next" "$target" || break
      chain=$next walked+=" $next"
    done
  fi
  if compare_databases "$db" "$target" "$work"; then
    ok "$db: the first chain and the diffs of every later chain ($walked) replay to the source: no gap, no overlap"
  else
    fail "$db: the walk over the chains ($walked) differs from the source"
  fi
  dropdb --if-exists "$target" 2>/dev/null || true
}

figure_median_max() {
  local name=$1 sorted
  shift
  sorted=$(printf '%s\n' "$@" | sort -g)
  figure "${name}_median" "$(sed -n "$((($# + 1) / 2))p" <<<"$sorted")"
  figure "${name}_max" "$(tail -1 <<<"$sorted")"
}

# slots_are_configured LABEL [DB]: within 10 s, the replication slots are
# exactly those scribe.status (read in DB, default plain) configures: no
# orphan left by an interrupted init() or new_chain().
slots_are_configured() {
  local label=$1 db=${2:-plain} i have want
  want=$(psql -X -At -d "$db" -c "SELECT slot_name FROM scribe.status ORDER BY 1" | paste -sd ' ')
  for ((i = 0; i < 50; i++)); do
    have=$(psql -X -At -d postgres -c "SELECT slot_name FROM pg_replication_slots ORDER BY 1" | paste -sd ' ')
    [ "$have" = "$want" ] && break
    sleep 0.2
  done
  if [ "$have" = "$want" ]; then ok "$label: only the configured slots exist ($want)"; else
    fail "$label: replication slots [$have], configured [$want]"
    psql -X -d postgres -c "SELECT slot_name, database, active, restart_lsn, pg_size_pretty(pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)) AS retained FROM pg_replication_slots" >&2
  fi
}
