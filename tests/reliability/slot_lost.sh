#!/usr/bin/env bash
# A replication slot invalidated by max_slot_wal_keep_size (16MB, with
# wal_keep_size = 0 and no timed checkpoint: the test runs the CHECKPOINTs).
# The slot falls behind two ways: (1) the worker stopped with scribe.stop(),
# (2) the worker paused at the batch_synced fault point, holding its slot (the
# checkpoint that invalidates the slot terminates it). Then WAL is generated
# (writes, pg_switch_wal(), CHECKPOINT) until wal_status = 'lost'.
# Checks: scribe.status says the chain is broken and a new chain is needed
# (warnings, state never streaming/idle again) and pg_scribe --status exits
# 10; scribe.start(), rotate_diff() and new_chain() fail with an SQLSTATE and
# say that the slot lost WAL, with a hint that does not send the user back to
# scribe.start(); new_chain() leaves no slot or directory behind; the old
# chain still verifies, and restores (pg_scribe --restore and psql alone)
# equal to a snapshot of the source taken before the lost WAL (CREATE
# DATABASE snap TEMPLATE app); the README's way out (scribe.teardown(), then
# scribe.init() into a new directory) gives a chain that restores equal to
# the source (oracle).
# Figures: WAL written past the slot until it was lost, seconds from the
# CHECKPOINT to status reporting the loss.
set -euo pipefail
cd "$(dirname "$0")/../.."
source tests/lib/reliability.sh  # and cluster.sh, compare.sh, engine.sh

CLUSTER_EXTRA_CONF="max_worker_processes = 16
log_line_prefix = '%m [%p] %b: '
max_slot_wal_keep_size = '16MB'
wal_keep_size = 0
checkpoint_timeout = '1h'
max_wal_size = '1GB'"
start_throwaway_cluster slot_lost
backups=$work/backups
mkdir -p "$backups"
chown postgres: "$backups"
createdb app
q -d app -f tests/e2e/engine/schema.sql
q -d app -c "ALTER TABLE events REPLICA IDENTITY FULL"

status_field() { psql -X -At -d app -c "SELECT $1 FROM scribe.status WHERE database = 'app'"; }
slot_name() { status_field slot_name; }
slot_field() { psql -X -At -d app -c "SELECT $1 FROM pg_replication_slots WHERE slot_name = '$(slot_name)'"; }
lsn_le() { [ "$(psql -X -At -d app -c "SELECT '$1'::pg_lsn <= '$2'::pg_lsn")" = t ]; }

# quiesce: no writer, the worker caught up, everything sealed.
quiesce() {
  local target k
  writer_stop w
  target=$(psql -X -At -d app -c "SELECT pg_current_wal_flush_lsn()")
  for ((k = 0; k < 300; k++)); do
    lsn_le "$target" "$(slot_field confirmed_flush_lsn)" && break
    sleep 0.2
  done
  q -d app -c "SELECT * FROM scribe.rotate_diff()" >/dev/null
}

# lose_slot: WAL past the slot (writes, segment switches, checkpoints) until
# pg_replication_slots says lost.
lose_slot() {
  local i start status=""
  start=$(slot_field confirmed_flush_lsn)
  for ((i = 1; i <= 12; i++)); do
    q -d app -c "INSERT INTO orders (customer, note) VALUES ('after the slot $i', repeat('w', 1000))" \
      -c "SELECT pg_switch_wal()" >/dev/null
    if [ $((i % 2)) = 0 ]; then
      timeout 60 psql -X -q -d app -c "CHECKPOINT" || fail "CHECKPOINT did not return within 60 s"
      t_checkpoint=$(date +%s.%N)
      status=$(slot_field wal_status)
      [ "$status" = lost ] && break
    fi
  done
  if [ "$status" = lost ]; then
    ok "slot $(slot_name) lost after $i segment switches"
    figure "$1_wal_mb_until_lost" "$(psql -X -At -d app -c "SELECT round(pg_wal_lsn_diff(pg_current_wal_lsn(), '$start') / 1048576)")"
  else
    fail "slot $(slot_name) not lost (wal_status $status) after $i segment switches"
  fi
}

# check_lost LABEL OLD_DIR SNAP: everything that must hold once the slot of
# the chain in OLD_DIR is lost; SNAP is the source before the lost WAL.
check_lost() {
  local label=$1 dir=$2 snap=$3 k w out rc slots chains states t secs
  # status says so, within seconds
  for ((k = 0; k < 100; k++)); do
    w=$(status_field "array_to_string(warnings, ' | ')")
    grep -q 'lost' <<<"$w" && break
    sleep 0.1
  done
  secs=$(awk -v a="$t_checkpoint" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
  figure "${label}_seconds_to_status" "$secs"
  if grep -qi 'slot lost required WAL' <<<"$w" && grep -qiE 'new chain|teardown' <<<"$w"; then
    ok "($label) scribe.status warns: $w"
  else
    fail "($label) scribe.status warnings: '$w'"
  fi
  set +e
  "$PG_SCRIBE" --status -d app >"$work/status.out" 2>&1
  rc=$?
  set -e
  if [ "$rc" = 10 ] && grep -q 'WAL status: lost' "$work/status.out"; then ok "($label) pg_scribe --status exits 10, WAL status: lost"; else
    fail "($label) pg_scribe --status exits $rc:"
    sed 's/^/    /' "$work/status.out" >&2
  fi
  # Nothing pretends to be fine. Each call must fail with an SQLSTATE, say
  # that the slot lost WAL, and not send the user back to scribe.start().
  for call in "SELECT scribe.start()" "SELECT * FROM scribe.rotate_diff()"; do
    out=$(psql -X -q -v VERBOSITY=verbose -d app -c "$call" 2>&1 >/dev/null) && rc=0 || rc=$?
    if [ "$rc" != 0 ] && grep -Eq 'ERROR:  [0-9A-Z]{5}:' <<<"$out" && grep -Eqi 'lost|invalidated' <<<"$out" &&
      grep -Eqi 'HINT:.*(teardown|init|new chain)' <<<"$out" && ! grep -q 'HINT:.*scribe.start()' <<<"$out"; then
      ok "($label) $call fails clearly: $(grep ERROR <<<"$out" | head -1 | cut -c1-160)"
    else
      fail "($label) $call: rc $rc: $(grep -E 'ERROR|HINT' <<<"$out" | tr '\n' ' ' | cut -c1-400)"
    fi
  done
  states=""
  for ((k = 0; k < 6; k++)); do
    states="$states $(status_field state)"
    sleep 0.5
  done
  if grep -Eq 'streaming|idle' <<<"$states"; then fail "($label) scribe.status said streaming/idle with the slot lost:$states"; else
    ok "($label) scribe.status never says streaming/idle with the slot lost:$states"
  fi
  slots=$(slot_count)
  chains=$(ls -d "$dir"/chain-* | wc -l)
  out=$(psql -X -q -v VERBOSITY=verbose -d app -At -c "SELECT scribe.new_chain()" 2>&1) && rc=0 || rc=$?
  if [ "$rc" = 0 ]; then
    fail "($label) new_chain() succeeded on a lost slot ($out); the README's way out is teardown() + init()"
  elif [ "$(slot_count)" = "$slots" ] && [ "$(ls -d "$dir"/chain-* | wc -l)" = "$chains" ] &&
    grep -Eqi 'lost|invalidated' <<<"$out"; then
    ok "($label) new_chain() fails clearly, nothing left behind: $(grep ERROR <<<"$out" | head -1 | cut -c1-160)"
  else
    fail "($label) new_chain(): $(slot_count) slots (before $slots), $(ls -d "$dir"/chain-* | wc -l) chains (before $chains): $(grep -E 'ERROR|HINT' <<<"$out" | tr '\n' ' ' | cut -c1-300)"
  fi
  # The old chain is intact and restores to the source before the loss.
  if "$PG_SCRIBE" --verify --backup-dir "$dir" >"$work/verify.out" 2>&1; then ok "($label) the old chain verifies"; else
    fail "($label) pg_scribe --verify of the old chain:"
    tail -5 "$work/verify.out" >&2
  fi
  if "$PG_SCRIBE" --restore --create -d "${snap}_r" --backup-dir "$dir" >"$work/restore.out" 2>&1 &&
    compare_databases "$snap" "${snap}_r" "$work"; then
    ok "($label) pg_scribe --restore of the old chain equals the source before the lost WAL"
  else
    fail "($label) pg_scribe --restore of the old chain differs from the snapshot or failed:"
    tail -5 "$work/restore.out" >&2
  fi
  if restore_chain "$(ls -d "$dir"/chain-* | tail -1)" "${snap}_p" && compare_databases "$snap" "${snap}_p" "$work"; then
    ok "($label) psql alone replays the old chain to the source before the lost WAL"
  else
    fail "($label) the psql replay of the old chain differs from the snapshot or failed"
  fi
  dropdb "${snap}_r" 2>/dev/null || true
  dropdb "${snap}_p" 2>/dev/null || true
}

# way_out NEW_DIR: the README's way out.
way_out() {
  local label=$1 dir=$2 k state w
  if q -d app -c "SELECT scribe.teardown()" >/dev/null 2>&1 && q -d app -c "SELECT * FROM scribe.init('$dir')" >/dev/null; then
    ok "($label) scribe.teardown() + scribe.init('$dir') start a new backup"
  else
    fail "($label) scribe.teardown() + scribe.init() failed"
  fi
  wait_streaming app 60 || true
  state=$(status_field state)
  w=$(status_field "cardinality(warnings)")
  if [[ "$state" =~ ^(streaming|idle)$ ]] && [ "$w" = 0 ] && [ "$(slot_field wal_status)" = reserved ]; then
    ok "($label) the new backup is healthy: state $state, no warning, wal_status reserved"
  else
    fail "($label) after the way out: state $state, warnings $(status_field warnings), wal_status $(slot_field wal_status)"
  fi
}

echo "-- (1) the worker stopped by scribe.stop()"
q -d app -c "SELECT * FROM scribe.init('$backups/app1')" >/dev/null
writer_start app w
sleep 1
q -d app -c "SELECT * FROM scribe.rotate_diff()" >/dev/null
quiesce
q -d app -c "SELECT scribe.stop()" >/dev/null
q -d postgres -c "CREATE DATABASE snap1 TEMPLATE app"
writer_start app w
lose_slot stopped
check_lost stopped "$backups/app1" snap1
way_out stopped "$backups/app2"
sleep 1
writer_stop w
oracle app "$backups/app2" "app after (1)"

echo "-- (2) the worker paused at batch_synced, holding its slot"
q -d app -c "SELECT scribe.stop()" >/dev/null
q -d postgres -c "CREATE DATABASE snap2 TEMPLATE app"
q -d app -c "SELECT scribe.start()" >/dev/null
wait_streaming app 60
fault_arm batch_synced
q -d app -c "INSERT INTO orders (customer) VALUES ('the paused batch')"
pid=$(fault_wait batch_synced 60)
writer_start app w
lose_slot paused
if kill -0 "$pid" 2>/dev/null; then fail "the paused worker $pid still runs after its slot was invalidated"; else
  ok "the checkpoint that invalidated the slot terminated the paused worker $pid"
fi
fault_clear
check_lost paused "$backups/app2" snap2
way_out paused "$backups/app3"
sleep 1
writer_stop w
oracle app "$backups/app3" "app after (2)"
finish slot_lost
