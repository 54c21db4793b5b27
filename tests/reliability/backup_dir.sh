#!/usr/bin/env bash
# The backup directory taken away under a streaming worker, while a client
# commits small transactions and marked ones are added all along:
#   (a) made read-only (chmod a-w on the chain directory and active.sql),
#   (b) replaced: moved away, and an older copy of itself (taken with cp -a
#       after the first rotation) put in its place; in long mode also an
#       empty directory and the directory of another database's backup,
#   (c) removed (rm -rf).
# Checks for each: scribe.status reports an error (state error, last_error
# naming the cause) within seconds, without waiting for a rotation, and
# pg_scribe --status exits 10; a rotate_diff during the outage fails with a
# clear error and an SQLSTATE; no crash loop floods the log (worker exits and
# pg_scribe log lines are counted over the outage); the slot never passes
# what the files at the backup directory's path hold (every marked
# transaction committed before confirmed_flush_lsn is in a complete
# transaction of the chain's files); in (b) the directory put in its place
# is not written to (the worker must neither seal nor continue a stale copy:
# the slot is past what it holds). Recovery: for (a) and (b), restoring the permissions /
# moving the original back lets the worker carry on by itself, and the
# oracle proves nothing was lost or doubled; for (c) the files are gone:
# status must say so, scribe.new_chain() fails cleanly (no slot or
# directory left behind) or works, and the README's way out
# (scribe.teardown() + scribe.init()) gives a chain that restores equal to
# the source (oracle).
# Figures: pg_scribe log lines per minute and worker exits during each
# outage, seconds from the fix to caught up.
set -euo pipefail
cd "$(dirname "$0")/../.."
source tests/lib/reliability.sh  # and cluster.sh, compare.sh, engine.sh

# %b: the backend type, so that the worker's lines can be counted.
CLUSTER_EXTRA_CONF="max_worker_processes = 16
log_line_prefix = '%m [%p] %b: '"
start_throwaway_cluster backup_dir
if long_mode; then outage=60; else outage=15; fi

backups=$work/backups
mkdir -p "$backups"
chown postgres: "$backups"
backup=$backups/app
for db in app other; do
  createdb "$db"
  q -d "$db" -f tests/e2e/engine/schema.sql
  q -d "$db" -c "ALTER TABLE events REPLICA IDENTITY FULL"
done
q -d app -c "CREATE TABLE marks (id serial PRIMARY KEY, tag text NOT NULL)"
# Another database's backup (its files kept after teardown), for (b) in
# long mode.
q -d other -c "SELECT * FROM scribe.init('$backups/other')" >/dev/null
q -d other -c "INSERT INTO orders (customer) VALUES ('other')"
q -d other -c "SELECT * FROM scribe.rotate_diff()" >/dev/null
q -d other -c "SELECT scribe.teardown()" >/dev/null 2>&1
dir_sum() { (cd "$1" && find . -print0 | sort -z | xargs -0 ls -ld --time-style=+%s.%N | md5sum | cut -c1-32); }

q -d app -c "SELECT * FROM scribe.init('$backup')" >/dev/null
chain_dir=$(ls -d "$backup"/chain-* | head -1)
writer_start app w
sleep 1
q -d app -c "SELECT * FROM scribe.rotate_diff()" >/dev/null
ok "app streams into $backup, one diff sealed"
# An older copy of the backup directory, for (b).
q -d app -c "SELECT * FROM scribe.rotate_diff()" >/dev/null
cp -a "$backup" "$backups/app.old"

slot_lsn() { psql -X -At -d app -c "SELECT confirmed_flush_lsn FROM pg_replication_slots WHERE slot_name = (SELECT slot_name FROM scribe.status WHERE database = 'app')"; }
flush_lsn() { psql -X -At -d app -c "SELECT pg_current_wal_flush_lsn()"; }
lsn_le() { [ "$(psql -X -At -d app -c "SELECT '$1'::pg_lsn <= '$2'::pg_lsn")" = t ]; }
status_field() { psql -X -At -d app -c "SELECT $1 FROM scribe.status WHERE database = 'app'"; }
log_size() { stat -c %s "$(server_log)"; }

# mark PHASE: one marked transaction; after the commit the session's insert
# position bounds its commit record from above.
mark_no=0
mark() {
  mark_no=$((mark_no + 1))
  local after
  after=$(q -d app -At -c "INSERT INTO marks (tag) VALUES ('mark-$1-$mark_no-')" -c "SELECT pg_current_wal_insert_lsn()") || return 0
  echo "$mark_no $after" >>"$work/marks.$1"
}
# The marks held by the chain's files at the backup directory's path: sealed
# diffs, and active.sql up to its last COMMIT (after it, a torn tail).
held_marks() {
  local chain=$1 f
  {
    for f in "$chain"/diff-*.sql; do [ -f "$f" ] && cat "$f"; done
    [ -f "$chain/active.sql" ] && awk '/^COMMIT;$/ { print buf; buf = ""; next } { buf = buf $0 "\n" }' "$chain/active.sql"
  } 2>/dev/null | grep -o 'mark-[a-z]*-[0-9]*-' | sort -u || true
}
# check_durable PHASE: every mark of PHASE committed before the slot's
# confirmed_flush_lsn is in the files at the backup directory's path.
check_durable() {
  local phase=$1 c held missing=0 n=0
  c=$(slot_lsn)
  held=$(held_marks "$chain_dir")
  while read -r id lsn; do
    if lsn_le "$lsn" "$c"; then
      n=$((n + 1))
      grep -qx "mark-$phase-$id-" <<<"$held" || missing=$((missing + 1))
    fi
  done <"$work/marks.$phase"
  if [ "$missing" = 0 ]; then ok "($phase) the slot ($c) did not pass the files: the $n marks before it are in $chain_dir"; else
    fail "($phase) the slot ($c) passed $missing marked transactions that the files at $chain_dir do not hold"; fi
}

# outage PHASE CAUSE_REGEX: after the damage is done. Marks are added all
# along; status must report the error without a rotation; a rotation fails
# clearly; the log is counted.
outage() {
  local phase=$1 cause=$2 t_start log_start state="" err k rc out span lines exits per_min allowed
  t_start=$(date +%s)
  log_start=$(log_size)
  : >"$work/marks.$phase"
  for ((k = 0; k < 20; k++)); do
    mark "$phase"
    state=$(status_field state)
    [ "$state" = error ] && break
    sleep 0.5
  done
  if [ "$state" = error ]; then
    ok "($phase) scribe.status reports the error within $(($(date +%s) - t_start)) s, before any rotation"
  else
    fail "($phase) scribe.status still says '$state' $(($(date +%s) - t_start)) s after the damage (no rotation yet)"
  fi
  out=$(psql -X -q -v VERBOSITY=verbose -d app -c "SELECT * FROM scribe.rotate_diff()" 2>&1 >/dev/null) && rc=0 || rc=$?
  if [ "$rc" != 0 ] && grep -Eq 'ERROR:  [0-9A-Z]{5}:' <<<"$out"; then
    ok "($phase) rotate_diff fails: $(grep ERROR <<<"$out" | head -1 | cut -c1-200)"
  else
    fail "($phase) rotate_diff during the outage: rc $rc: $out"
  fi
  for ((k = 0; k < 50; k++)); do
    state=$(status_field state)
    [ "$state" = error ] && break
    mark "$phase"
    sleep 0.2
  done
  err=$(status_field last_error)
  if [ "$state" = error ] && grep -Eqi "$cause" <<<"$err"; then ok "($phase) scribe.status: state error, last_error: $err"; else
    fail "($phase) scribe.status: state '$state', last_error '$err' (expected /$cause/)"; fi
  set +e
  "$PG_SCRIBE" --status -d app >"$work/status.out" 2>&1
  rc=$?
  set -e
  if [ "$rc" = 10 ]; then ok "($phase) pg_scribe --status exits 10"; else
    fail "($phase) pg_scribe --status exits $rc (state $state):"
    sed 's/^/    /' "$work/status.out" >&2
  fi
  while [ $(($(date +%s) - t_start)) -lt "$outage" ]; do
    mark "$phase"
    sleep 1
  done
  check_durable "$phase"
  span=$(($(date +%s) - t_start))
  tail -c +"$((log_start + 1))" "$(server_log)" >"$work/outage.$phase.log"
  lines=$(grep -c 'pg_scribe' "$work/outage.$phase.log" || true)
  exits=$(grep -cE 'background worker "pg_scribe worker" \(PID [0-9]+\) exited' "$work/outage.$phase.log" || true)
  per_min=$(awk -v l="$lines" -v s="$span" 'BEGIN { printf "%.1f", l * 60 / s }')
  figure "${phase}_log_lines_per_min" "$per_min"
  figure "${phase}_worker_exits" "$exits"
  # Backing off 1, 2, 4 ... 60 s: about log2(outage) exits, then one a minute.
  allowed=$((6 + span / 60))
  if [ "$exits" -le "$allowed" ]; then ok "($phase) no crash loop: $exits worker exits, $lines pg_scribe log lines in ${span} s"; else
    fail "($phase) crash loop: $exits worker exits ($lines pg_scribe log lines) in ${span} s"
    grep 'pg_scribe' "$work/outage.$phase.log" | tail -6 >&2
  fi
}

# recovered PHASE [T0]: after the fix (made at T0, default now), the
# worker streams again by itself and the slot reaches the WAL flushed then.
recovered() {
  local phase=$1 t0=${2:-$(date +%s.%N)} target t1 k c secs
  target=$(flush_lsn)
  for ((k = 0; k < 450; k++)); do
    c=$(slot_lsn)
    if [ -n "$c" ] && lsn_le "$target" "$c" &&
      [[ "$(status_field state)" =~ ^(streaming|idle)$ ]]; then
      t1=$(date +%s.%N)
      secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
      figure "${phase}_seconds_to_recover" "$secs"
      ok "($phase) the worker streams and caught up ${secs} s after the fix"
      return 0
    fi
    sleep 0.2
  done
  fail "($phase) no recovery within 90 s of the fix"
  psql -X -d app -c "SELECT state, last_error FROM scribe.status" >&2
}

echo "-- (a) read-only chain directory and active.sql"
chmod a-w "$chain_dir" "$chain_dir/active.sql"
outage a 'permission denied'
# A new chain cannot be started either (the worker must seal the current
# one): a clear error with a real SQLSTATE, and no slot or chain left behind.
slots_before=$(slot_count)
out=$(psql -X -q -v VERBOSITY=verbose -d app -At -c "SELECT scribe.new_chain()" 2>&1) && rc=0 || rc=$?
if [ "$rc" != 0 ] && grep -Eq 'ERROR:  [0-9A-Z]{5}:' <<<"$out" && [ "$(slot_count)" = "$slots_before" ] &&
  [ "$(ls -d "$backup"/chain-* | wc -l)" = 1 ]; then
  ok "(a) new_chain() during the outage fails cleanly: $(grep ERROR <<<"$out" | head -1 | cut -c1-160)"
else
  fail "(a) new_chain() during the outage: rc $rc, $(slot_count) slots (before $slots_before), chains: $(ls "$backup" | tr '\n' ' '): $(grep -E 'ERROR|HINT' <<<"$out" | tr '\n' ' ' | cut -c1-300)"
fi
chmod u+w "$chain_dir" "$chain_dir/active.sql"
recovered a

# replaced PHASE DIR WHAT: the backup directory moved away, DIR put in its
# place, then the original moved back.
replaced() {
  local phase=$1 dir=$2 what=$3 before
  echo "-- ($phase) the directory replaced by $what"
  before=$(dir_sum "$dir")
  mv "$backup" "$backups/app.moved"
  mv "$dir" "$backup"
  outage "$phase" 'no such file|missing|no longer|removed|moved|replaced|older copy|another backup'
  mv "$backup" "$dir"
  mv "$backups/app.moved" "$backup"
  recovered "$phase"
  if [ "$(dir_sum "$dir")" = "$before" ]; then ok "($phase) $what, put in its place, was not written to"; else
    fail "($phase) $what changed while it stood in for app's backup directory"; fi
}
replaced b "$backups/app.old" "an older copy of itself"
if long_mode; then
  mkdir -m 700 "$backups/empty"
  chown postgres: "$backups/empty"
  replaced b2 "$backups/empty" "an empty directory"
  replaced b3 "$backups/other" "another database's backup"
fi
writer_stop w
oracle app "$backup" "app after (a) and (b)"
writer_start app w

echo "-- (c) the directory removed"
rm -rf "$backup"
outage c 'no such file|missing|no longer|removed'
# Nothing brings the files back. A new chain needs a place: new_chain()
# either works or fails cleanly.
slots_before=$(slot_count)
t0=$(date +%s.%N)
out=$(psql -X -q -v VERBOSITY=verbose -d app -At -c "SELECT scribe.new_chain()" 2>&1) && rc=0 || rc=$?
if [ "$rc" = 0 ]; then
  echo "new_chain() worked: $out"
  way_out="new_chain()"
else
  if [ "$(slot_count)" = "$slots_before" ] && ! ls -d "$backup"/chain-* >/dev/null 2>&1; then
    ok "(c) new_chain() with the files gone fails cleanly: $(grep ERROR <<<"$out" | head -1 | cut -c1-160)"
  else
    fail "(c) the failed new_chain() left $(slot_count) slots (before: $slots_before) or a chain directory behind"
  fi
  if q -d app -c "SELECT scribe.teardown()" >/dev/null 2>&1 && q -d app -c "SELECT * FROM scribe.init('$backup')" >/dev/null; then
    ok "(c) scribe.teardown() + scribe.init() into the same path start a new backup"
  else
    fail "(c) scribe.teardown() + scribe.init() failed"
  fi
  way_out="teardown() + init()"
fi
chain_dir=$(ls -d "$backup"/chain-* 2>/dev/null | tail -1 || true)
recovered c "$t0"
w=$(status_field "cardinality(warnings)")
[ "$w" = 0 ] && ok "(c) after $way_out: status has no warning" || fail "(c) after $way_out: warnings $(status_field warnings)"
writer_stop w
oracle app "$backup" "app after (c), new chain by $way_out"
finish backup_dir
