#!/usr/bin/env bash
# Concurrent and interrupted calls of the SQL API, under a write load.
# Injects: rotate_diff from 8 sessions at once; a rotate_diff cancelled by
# statement_timeout while the worker seals (seal_before_rename), then
# another; rotate_diff while a new_chain is held at base_slot_created;
# scribe.stop() while the worker is paused in a rotation (seal_before_rename,
# then seal_renamed), then scribe.start(); two new_chain calls at once (the
# first held at base_slot_created); scribe.stop() while a new_chain is held
# (in the backend at base_slot_created, in the worker at
# switch_chain_sealed); new_chain cancelled (pg_cancel_backend) while it
# waits for the worker (paused at switch_chain_sealed: request taken; at
# batch_written: not yet); new_chain's session terminated
# (pg_terminate_backend) at base_slot_created.
# Checks: every call either succeeds or fails with a clear SQLSTATE (not
# XX000) and none hangs (each call is bounded by timeout, the script by a
# watchdog); the calls that meet a running one wait for it on the API's
# advisory lock (pg_locks) and then act on the state it left (a rotation
# after a new_chain seals a diff of the new chain); a rotate_diff seals
# what was committed before it, even after a cancelled one; after a
# cancelled or terminated new_chain the backup streams on in a chain that
# is in place, with its slot and no other, no newer chain directory, and a
# commit made afterwards reaches the next sealed diff; the sealed diffs
# neither overlap nor leave gaps (their LSN ranges follow each other,
# pg_scribe --verify); the first chain followed by the diffs of every later
# chain replays to the source; and the oracle (also right after the
# terminated new_chain).
set -euo pipefail
cd "$(dirname "$0")/../.."
source tests/lib/reliability.sh  # and cluster.sh, compare.sh, engine.sh

CLUSTER_EXTRA_CONF="max_worker_processes = 16
log_min_messages = warning"
start_throwaway_cluster concurrency
# Nothing may hang for ever: each call below is bounded by timeout, and past
# this budget the whole script is ended (its EXIT trap stops the cluster,
# which ends any client still waiting).
budget=900
watchdog concurrency "$budget"
backups=$work/backups
mkdir -p "$backups"
chown postgres: "$backups"
createdb app
q -d app -f tests/e2e/engine/schema.sql
q -d app -c "ALTER TABLE events REPLICA IDENTITY FULL"
writer_start app w1
q -d app -c "SELECT * FROM scribe.init('$backups/app')" >/dev/null
wait_streaming app 60
call_timeout=180

# call NAME SQL: runs SQL in the background in its own session, bounded;
# its output goes to $work/call.NAME, its pid to $work/call.NAME.pid.
call() {
  PGAPPNAME="call.$1" timeout "$call_timeout" psql -X -q -At -v ON_ERROR_STOP=1 -v VERBOSITY=verbose -d app -c "$2" \
    >"$work/call.$1" 2>&1 &
  echo $! >"$work/call.$1.pid"
}

# fault_wait (tests/lib/reliability.sh) skips a process that paused at the
# same point before and resumed (a worker pauses at seal_before_rename in
# several sections here): arm/paused count only the log written since arm.
arm() {
  arm_offset=$(stat -c %s "$(server_log)")
  fault_arm "$1"
}
paused() {
  local point=$1 seconds=${2:-60} i pid recent
  for ((i = 0; i < seconds * 10; i++)); do
    recent=$(tail -c +$((arm_offset + 1)) "$(server_log)")
    pid=$(grep -o "paused at fault point \"$point\" (pid [0-9]*" <<<"$recent" | tail -1 | grep -o '[0-9]*$' || true)
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null &&
      ! grep -q "resumed at fault point \"$point\" (pid $pid)" <<<"$recent"; then
      echo "$pid"
      return 0
    fi
    sleep 0.1
  done
  echo "no process paused at fault point $point within ${seconds}s" >&2
  return 1
}

# outcome NAME: waits for the call and sets r: "ok" when it succeeded, the
# SQLSTATE when it failed with one, "hang" when the timeout killed it,
# "unclear" otherwise. A hang, XX000 or no SQLSTATE counts as a failure.
outcome() {
  local rc=0
  if [ ! -f "$work/call.$1.pid" ]; then
    fail "$1 was never called"
    r=notrun
    return
  fi
  wait "$(cat "$work/call.$1.pid")" || rc=$?
  if [ "$rc" = 0 ]; then r=ok; return; fi
  if [ "$rc" = 124 ]; then
    fail "$1 hung (no answer within ${call_timeout}s)"
    r=hang
    return
  fi
  r=$(sed -nE 's/^(ERROR|FATAL):  ([0-9A-Z]{5}):.*/\2/p' "$work/call.$1" | head -1)
  if [ -z "$r" ] || [ "$r" = XX000 ]; then
    fail "$1 failed without a clear SQLSTATE: $(head -2 "$work/call.$1" | paste -sd ' ')"
    r=unclear
  fi
}

# waiting_on_api_lock N: polls until N sessions of app wait on an advisory
# lock (the API's lock); false after 60 s.
waiting_on_api_lock() {
  local i n
  for ((i = 0; i < 600; i++)); do
    n=$(psql -X -At -d app -c "SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database
                                WHERE l.locktype = 'advisory' AND NOT l.granted AND d.datname = 'app'")
    [ "$n" -ge "$1" ] && return 0
    sleep 0.1
  done
  echo "only $n sessions wait on the API lock, expected $1" >&2
  return 1
}

# waiting NAME: polls until the session of call NAME waits, for the worker's
# answer (wait event Extension) or for a lock; false after 60 s.
waiting() {
  local i
  for ((i = 0; i < 600; i++)); do
    [ -n "$(psql -X -At -d app -c "SELECT 1 FROM pg_stat_activity WHERE application_name = 'call.$1'
                                    AND wait_event_type IN ('Extension', 'Lock')")" ] && return 0
    sleep 0.1
  done
  echo "call $1 never waited" >&2
  return 1
}
backend_of() { psql -X -At -d app -c "SELECT pid FROM pg_stat_activity WHERE application_name = 'call.$1'"; }

# wait_ended NAME SECONDS: polls until call NAME has ended; false if not.
wait_ended() {
  local i
  for ((i = 0; i < $2 * 10; i++)); do
    still_running "$1" || return 0
    sleep 0.1
  done
  return 1
}

# repair_if_broken WHAT: when rotate_diff fails, the backup is broken:
# counted as a failure, then replaced by a new one in the same directory
# (teardown, init), so that the sections after it still test something.
repair_if_broken() {
  if timeout 120 psql -X -q -At -v ON_ERROR_STOP=1 -d app -c "SELECT * FROM scribe.rotate_diff()" >/dev/null 2>"$work/rot.err"; then
    ok "$1: rotate_diff works"
    return
  fi
  fail "$1: rotate_diff fails: $(head -1 "$work/rot.err")"
  echo "     starting the backup over (teardown, init) for the rest of the scenario"
  timeout 120 psql -X -q -d app -c "SELECT scribe.teardown()" >/dev/null 2>&1 || true
  rm -rf "$backups/app"
  timeout 300 psql -X -q -d app -c "SELECT * FROM scribe.init('$backups/app')" >/dev/null && wait_streaming app 60 ||
    fail "could not start the backup over"
}

still_running() { kill -0 "$(cat "$work/call.$1.pid")" 2>/dev/null; }

current_chain() { psql -X -At -d app -c "SELECT current_chain FROM scribe.status WHERE database = 'app'"; }

# Every sealed diff of every chain starts where the previous one ended.
check_contiguous() {
  local bad
  bad=$(psql -X -At -d app -c "
    SELECT string_agg(chain_id || '/' || file || ' starts at ' || start_lsn || ', previous ends at ' || prev, '; ')
      FROM (SELECT chain_id, file, start_lsn, lag(end_lsn) OVER (PARTITION BY chain_id ORDER BY file) AS prev
              FROM scribe.chains() WHERE kind = 'diff') d
     WHERE prev IS NOT NULL AND prev <> start_lsn")
  if [ -z "$bad" ]; then ok "$1: the sealed diffs follow each other (no gap, no overlap in their LSN ranges)"; else
    fail "$1: $bad"; fi
  if timeout 120 "$PG_SCRIBE" --verify --backup-dir "$backups/app" >"$work/verify.out" 2>&1; then
    ok "$1: pg_scribe --verify passes"
  else
    fail "$1: pg_scribe --verify:"
    tail -5 "$work/verify.out" >&2
  fi
}

echo "-- rotate_diff from 8 sessions at once"
sleep 1
for i in $(seq 1 8); do call "rot$i" "SELECT diff_file FROM scribe.rotate_diff()"; done
succeeded=0 clear=0
for i in $(seq 1 8); do
  outcome "rot$i"
  case "$r" in
    ok) succeeded=$((succeeded + 1)) ;;
    hang | unclear) ;;
    *) clear=$((clear + 1)); echo "     rot$i: SQLSTATE $r: $(grep -m1 ERROR "$work/call.rot$i")" ;;
  esac
done
figure concurrent_rotations_ok "$succeeded/8"
if [ $((succeeded + clear)) = 8 ] && [ "$succeeded" -ge 1 ]; then
  ok "8 concurrent rotate_diff: $succeeded sealed a diff, $clear failed with a clear SQLSTATE"
else
  fail "8 concurrent rotate_diff: $succeeded succeeded, $clear clear errors"
fi
distinct=$(cat "$work"/call.rot? | grep -E '/diff-' | sort -u | wc -l)
if [ "$distinct" = "$succeeded" ]; then ok "each successful rotation sealed its own diff ($distinct distinct files)"; else
  fail "$succeeded rotations returned $distinct distinct diff files"; fi
check_contiguous "after 8 concurrent rotations"

echo "-- a rotate_diff cancelled (statement_timeout) while the worker seals, then another"
# The cancelled call may fail at once (57014) or wait for the rotation the
# worker took; either way the next rotate_diff must seal what was committed
# before it, not return the first call's rotation, which began earlier.
arm seal_before_rename
call rotcancel "SET statement_timeout = '2s'; SELECT diff_file FROM scribe.rotate_diff()"
if paused seal_before_rename 60 >/dev/null; then
  if wait_ended rotcancel 15; then
    echo "     the cancelled rotate_diff returned while the worker was still sealing"
  else
    echo "     the cancelled rotate_diff waits for the rotation the worker took"
  fi
  marker="marker-after-cancel-$RANDOM"
  q -d app -c "INSERT INTO orders (customer, note, amount) VALUES ('$marker', 'committed before the second rotate_diff', 0)"
  call rotafter "SELECT diff_file FROM scribe.rotate_diff()"
  waiting rotafter || true
fi
fault_clear
outcome rotcancel
case "$r" in
  ok | 57014) ok "the rotate_diff cancelled by statement_timeout while the worker sealed: $r" ;;
  hang | unclear | notrun) ;;
  *) fail "the cancelled rotate_diff failed with $r" ;;
esac
outcome rotafter
if [ "$r" = ok ]; then
  sealed_with_marker=""
  dir=$(dirname "$(cat "$work/call.rotafter")")
  for f in $(ls "$dir" | grep -E '^diff-' | sort); do
    if decompress_to_stdout "$dir/$f" | grep -c -- "$marker" >/dev/null; then sealed_with_marker=$f; fi
  done
  if [ -n "$sealed_with_marker" ]; then
    ok "the next rotate_diff sealed the transaction committed before it ($sealed_with_marker)"
  else
    fail "rotate_diff returned $(basename "$(cat "$work/call.rotafter")") but the transaction committed before it is in no sealed diff (the cancelled call's rotation answered it)"
  fi
else
  fail "the rotate_diff after a cancelled one: $r $(head -2 "$work/call.rotafter" | paste -sd ' ')"
fi
check_contiguous "after a cancelled rotation"

echo "-- rotate_diff while new_chain is held at base_slot_created"
chain0=$(current_chain)
arm base_slot_created
call nc1 "SELECT scribe.new_chain()"
if held=$(paused base_slot_created 60); then
  ok "new_chain paused at base_slot_created (backend $held)"
  for i in 1 2 3; do call "rotnc$i" "SELECT diff_file FROM scribe.rotate_diff()"; done
  if waiting_on_api_lock 3; then
    ok "rotate_diff during new_chain waits on the API lock (3 sessions waiting)"
  else
    fail "rotate_diff during new_chain does not wait on the API lock"
  fi
fi
fault_clear
outcome nc1
chain1=$(current_chain)
if [ "$r" = ok ] && [ "$(cat "$work/call.nc1")" = "$chain1" ] && [ "$chain1" != "$chain0" ]; then
  ok "new_chain finished once released: chain $chain1 follows $chain0"
else
  fail "new_chain under concurrent rotations: $r, $(head -2 "$work/call.nc1" | paste -sd ' ') (chain $chain0 -> $chain1)"
fi
for i in 1 2 3; do
  outcome "rotnc$i"
  if [ "$r" = ok ] && grep -q "/chain-$chain1/diff-" "$work/call.rotnc$i"; then
    ok "rotate_diff $i, serialised after new_chain, sealed a diff of the new chain"
  elif [ "$r" = ok ]; then
    fail "rotate_diff $i during new_chain sealed $(cat "$work/call.rotnc$i"), not a diff of chain $chain1"
  elif [ "$r" != hang ] && [ "$r" != unclear ]; then
    ok "rotate_diff $i during new_chain failed with SQLSTATE $r: $(grep -m1 ERROR "$work/call.rotnc$i")"
  fi
done
check_contiguous "after rotations during new_chain"

for point in seal_before_rename seal_renamed; do
  echo "-- scribe.stop() while the worker is paused at $point"
  arm "$point"
  call "rot_$point" "SELECT diff_file FROM scribe.rotate_diff()"
  if wpid=$(paused "$point" 60); then
    call "stop_$point" "SELECT scribe.stop()"
    if waiting_on_api_lock 1; then ok "stop() during a rotation waits on the API lock"; else
      fail "stop() during a rotation does not wait on the API lock"; fi
    if still_running "stop_$point"; then ok "stop() did not return while the worker was paused at $point"; else
      fail "stop() returned while the worker was paused at $point: $(cat "$work/call.stop_$point")"; fi
  fi
  fault_clear
  outcome "rot_$point"
  if [ "$r" = ok ] && grep -q '/diff-' "$work/call.rot_$point"; then ok "the paused rotation completed: $(basename "$(cat "$work/call.rot_$point")")"; else
    fail "the rotation paused at $point: $r $(head -2 "$work/call.rot_$point" | paste -sd ' ')"; fi
  outcome "stop_$point"
  if [ "$r" = ok ] && [ "$(cat "$work/call.stop_$point")" = t ]; then ok "stop() then stopped the running worker"; else
    fail "stop() after the rotation: $r $(head -2 "$work/call.stop_$point" | paste -sd ' ')"; fi
  state=$(psql -X -At -d app -c "SELECT state || '|' || coalesce(worker_pid::text, '') FROM scribe.status WHERE database = 'app'")
  if [ "$state" = "stopped|" ]; then ok "status: stopped, no worker"; else fail "status after stop(): $state"; fi
  if [ -n "$(psql -X -At -d app -c "SELECT 1 FROM pg_stat_activity WHERE pid = ${wpid:-0}")" ]; then
    fail "the worker $wpid is still alive after stop()"; fi
  expect_sqlstate 55000 app "SELECT * FROM scribe.rotate_diff()"
  sleep 1  # the writer goes on while the backup is stopped: the slot keeps it
  if timeout 120 psql -X -q -At -v ON_ERROR_STOP=1 -d app -c "SELECT scribe.start()" >/dev/null && wait_streaming app 60; then
    ok "start() streams again"
  else
    fail "start() after the stop during a rotation"
  fi
  check_contiguous "after stop() during a rotation at $point"
done

echo "-- two new_chain calls at once"
chain_before=$(current_chain)
arm base_slot_created
call ncA "SELECT scribe.new_chain()"
call ncB "SELECT scribe.new_chain('zstd')"
if held=$(paused base_slot_created 60); then
  if waiting_on_api_lock 1; then ok "the second new_chain waits on the API lock while the first is held"; else
    fail "the second new_chain does not wait for the first"; fi
fi
fault_clear
outcome ncA
rA=$r
outcome ncB
rB=$r
chains_made=()
for c in ncA ncB; do
  r=$rA
  [ "$c" = ncB ] && r=$rB
  if [ "$r" = ok ]; then chains_made+=("$(cat "$work/call.$c")"); elif [ "$r" != hang ] && [ "$r" != unclear ]; then
    echo "     $c failed with SQLSTATE $r: $(grep -m1 ERROR "$work/call.$c")"; fi
done
if [ ${#chains_made[@]} -ge 1 ] && [ "$(printf '%s\n' "${chains_made[@]}" | sort -u | wc -l)" = ${#chains_made[@]} ]; then
  ok "two concurrent new_chain: ${#chains_made[@]} new chains (${chains_made[*]}), distinct"
else
  fail "two concurrent new_chain: $rA / $rB"
fi
newest=$(printf '%s\n' "${chains_made[@]}" | sort | tail -1)
if [ "$(current_chain)" = "$newest" ]; then ok "the newest of them ($newest) is the current chain"; else
  fail "current chain $(current_chain), expected $newest"; fi
wait_streaming app 60 || fail "not streaming after the concurrent new_chain"

for where in backend worker; do
  echo "-- scribe.stop() during new_chain (held in the $where)"
  if [ "$where" = backend ]; then point=base_slot_created; else point=switch_chain_sealed; fi
  chain_before=$(current_chain)
  arm "$point"
  call "ncs_$where" "SELECT scribe.new_chain()"
  if held=$(paused "$point" 60); then
    call "stopnc_$where" "SELECT scribe.stop()"
    if waiting_on_api_lock 1; then ok "stop() during new_chain waits on the API lock"; else
      fail "stop() during new_chain does not wait on the API lock"; fi
  fi
  fault_clear
  outcome "ncs_$where"
  made=$(cat "$work/call.ncs_$where")
  if [ "$r" = ok ] && [ -n "$made" ] && [ "$made" != "$chain_before" ]; then ok "new_chain completed: $made"; else
    fail "new_chain with a stop() waiting: $r $(head -2 "$work/call.ncs_$where" | paste -sd ' ')"; fi
  outcome "stopnc_$where"
  if [ "$r" = ok ]; then ok "stop() then stopped the worker"; else fail "stop() after new_chain: $r"; fi
  if timeout 120 psql -X -q -At -v ON_ERROR_STOP=1 -d app -c "SELECT scribe.start()" >/dev/null && wait_streaming app 60; then
    ok "start() streams the new chain again"
  else
    fail "start() after a stop during new_chain"
  fi
  if [ "$(current_chain)" = "$made" ]; then ok "the current chain is $made"; else fail "current chain $(current_chain), expected $made"; fi
done

for point in switch_chain_sealed batch_written; do
  echo "-- new_chain cancelled while it waits for the worker (worker paused at $point)"
  # switch_chain_sealed: the worker took the switch request and closed the
  # old chain; batch_written: it has not taken the request yet. Either the
  # call fails (57014) and the backup goes on in a whole chain, or the
  # switch completes; never a configuration naming a chain or slot the
  # call's own cleanup removed.
  chain_before=$(current_chain)
  arm "$point"
  [ "$point" = batch_written ] && { paused "$point" 60 >/dev/null || fail "the worker did not pause at $point"; }
  call "nccancel_$point" "SELECT scribe.new_chain()"
  [ "$point" = switch_chain_sealed ] && { paused "$point" 60 >/dev/null || fail "the worker did not pause at $point"; }
  if waiting "nccancel_$point"; then
    q -d app -At -c "SELECT pg_cancel_backend($(backend_of "nccancel_$point"))" >/dev/null
    # What the cancel makes the call do, it does now, while the worker is
    # still paused.
    if wait_ended "nccancel_$point" 10; then echo "     new_chain returned while the worker was paused"; else
      echo "     new_chain waits for the worker's answer"; fi
  else
    fail "new_chain never waited for the worker"
  fi
  fault_clear
  outcome "nccancel_$point"
  made=$(cat "$work/call.nccancel_$point")
  echo "     new_chain: $r $(grep -m1 ERROR "$work/call.nccancel_$point" || echo "$made")"
  if [ "$r" = ok ] || [ "$r" = 57014 ]; then ok "new_chain cancelled: $r"; else
    [ "$r" = hang ] || [ "$r" = unclear ] || fail "new_chain cancelled: unexpected $r"; fi
  if wait_streaming app 60; then ok "the backup streams after new_chain was cancelled (worker at $point)"; else
    fail "the backup does not stream after new_chain was cancelled (worker at $point)"
  fi
  now=$(current_chain)
  if [ "$r" != ok ] || [ "$now" = "$made" ]; then ok "the current chain ($now) agrees with the call's outcome ($r)"; else
    fail "new_chain returned $made but the current chain is $now"; fi
  slots=$(psql -X -At -d postgres -c "SELECT string_agg(slot_name, ',') FROM pg_replication_slots")
  expected_slot=$(psql -X -At -d app -c "SELECT slot_name FROM scribe.status WHERE database = 'app'")
  if [ -n "$slots" ] && [ "$slots" = "$expected_slot" ]; then ok "one slot, the configured chain's ($slots)"; else
    fail "slots: '$slots', the configured chain's: '$expected_slot'"; fi
  dir_ok=$(psql -X -At -d app -c "SELECT count(*) FROM scribe.chains() WHERE chain_id = '$now' AND kind = 'active'")
  if [ "$dir_ok" = 1 ]; then ok "the current chain $now is in place and streams into its active.sql"; else
    fail "the current chain $now has no active.sql in the backup directory"; fi
  newest=$(ls "$backups/app" | grep -E '^chain-' | sort | tail -1)
  if [ "$newest" = "chain-$now" ]; then ok "no chain directory newer than the current one"; else
    fail "$newest is newer than the current chain $now (pg_scribe --restore picks it by default)"; fi
  check_contiguous "after a cancelled new_chain (worker at $point)"
  repair_if_broken "after a cancelled new_chain (worker at $point)"
done

echo "-- new_chain's session terminated while it takes the base (at base_slot_created)"
# pg_terminate_backend ends the session with FATAL: no ERROR cleanup runs.
chain_before=$(current_chain)
arm base_slot_created
call ncterm "SELECT scribe.new_chain()"
if held=$(paused base_slot_created 60); then
  q -d app -At -c "SELECT pg_terminate_backend($held)" >/dev/null
  wait_ended ncterm 30 || fail "the terminated new_chain session did not end"
fi
fault_clear
outcome ncterm
echo "     new_chain: $r $(grep -m1 -E 'FATAL|ERROR' "$work/call.ncterm" || true)"
if wait_streaming app 60 && [ "$(current_chain)" = "$chain_before" ]; then
  ok "the backup streams on in chain $chain_before"
else
  fail "after the terminated new_chain: chain $(current_chain), state $(psql -X -At -d app -c "SELECT state FROM scribe.status")"
fi
slots=$(psql -X -At -d postgres -c "SELECT string_agg(slot_name, ',' ORDER BY slot_name) FROM pg_replication_slots")
expected_slot=$(psql -X -At -d app -c "SELECT slot_name FROM scribe.status WHERE database = 'app'")
figure slots_after_terminated_new_chain "$(tr ',' '\n' <<<"$slots" | grep -c . || true)"
if [ "$slots" = "$expected_slot" ]; then ok "no slot left by the terminated new_chain"; else
  fail "slots after the terminated new_chain: $slots (the backup's: $expected_slot): the other retains WAL"; fi
newest=$(ls "$backups/app" | grep -E '^chain-' | sort | tail -1)
if [ "$newest" = "chain-$chain_before" ]; then ok "no chain directory left by the terminated new_chain"; else
  fail "$newest, left by the terminated new_chain, is newer than the current chain $chain_before (pg_scribe --restore picks it by default)"; fi
# The worker must go on decoding past the point where the terminated call
# had held it (the new slot's start): a commit made now is in the next
# sealed diff.
marker="marker-after-terminate-$RANDOM"
q -d app -c "INSERT INTO orders (customer, note, amount) VALUES ('$marker', 'committed after the terminated new_chain', 0)"
if diff=$(timeout 120 psql -X -q -At -v ON_ERROR_STOP=1 -d app -c "SELECT diff_file FROM scribe.rotate_diff()") &&
  decompress_to_stdout "$diff" | grep -c -- "$marker" >/dev/null; then
  ok "a transaction committed after the terminated new_chain is in the next sealed diff"
else
  fail "a transaction committed after the terminated new_chain is not in the sealed diff ${diff:-} (the worker stays held at the new slot's start)"
  psql -X -At -d app -c "SELECT state, written_lsn FROM scribe.status_rows()" >&2 || true
fi
# What a user restoring now gets (with the load paused, to compare).
writer_stop w1
oracle app "$backups/app" "after a terminated new_chain"
writer_start app w1
repair_if_broken "after a terminated new_chain"
echo "-- the next new_chain"
if made=$(timeout 300 psql -X -q -At -v ON_ERROR_STOP=1 -d app -c "SELECT scribe.new_chain()") && wait_streaming app 60; then
  ok "the next new_chain works: $made"
else
  fail "new_chain after the terminated one"
fi

slots=$(psql -X -At -d postgres -c "SELECT string_agg(slot_name, ',') FROM pg_replication_slots")
expected_slot=$(psql -X -At -d app -c "SELECT slot_name FROM scribe.status WHERE database = 'app'")
if [ "$slots" = "$expected_slot" ]; then ok "only the current chain's slot is left ($slots)"; else
  fail "slots left: $slots (current: $expected_slot)"; fi

echo "-- stop the load, compare"
writer_stop w1
check_contiguous "at the end"
oracle app "$backups/app"
# The first chain, then the diffs of every later chain: the switches lose
# and double nothing.
chains=$(ls -d "$backups"/app/chain-* | sort)
first=$(head -1 <<<"$chains")
if restore_chain "$first" app_all; then
  for c in $(tail -n +2 <<<"$chains"); do apply_diffs "$c" app_all || break; done
fi
if compare_databases app app_all "$work"; then
  ok "the first chain plus the diffs of the $(($(wc -l <<<"$chains") - 1)) later chains equals the source"
else
  fail "the first chain plus every later chain's diffs differs from the source"
fi
figure chains "$(wc -l <<<"$chains")"
figure sealed_diffs "$(psql -X -At -d app -c "SELECT count(*) FROM scribe.chains() WHERE kind = 'diff'")"
finish concurrency
