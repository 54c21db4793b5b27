#!/usr/bin/env bash
# Disk full: the backup directory lives on a small tmpfs mounted by the test;
# a write load with big text values (cheap in the WAL, large as SQL) fills it
# until the worker hits ENOSPC, while a client keeps committing small
# transactions. Checks, while the disk is full: the slot does not move past
# what the files durably hold (every marked transaction whose commit is
# before confirmed_flush_lsn is in a complete transaction of active.sql) and
# stays still; scribe.status says state = error with a last_error naming the
# space problem, and pg_scribe --status exits 10; rotate_diff fails with a
# clear error and an SQLSTATE and leaves the stream intact; every sealed file
# verifies; the log is not flooded (the worker backs off exponentially:
# worker exits and pg_scribe log lines over the outage are counted). Then the
# file system is grown (mount -o remount,size=...): the worker carries on by
# itself, and the oracle proves nothing was lost or doubled.
# Figures: log lines per minute during the outage, worker restarts during it,
# seconds from space freed to caught up.
set -euo pipefail
cd "$(dirname "$0")/../.."
source tests/lib/reliability.sh  # and cluster.sh, compare.sh, engine.sh

# %b: the backend type, so that the worker's lines can be counted.
CLUSTER_EXTRA_CONF="max_worker_processes = 16
log_line_prefix = '%m [%p] %b: '"
start_throwaway_cluster disk_full
mnt=$work/small
mkdir -p "$mnt"
# The cluster holds files open on the mount: stop it before the umount.
cleanup() {
  set +e
  rm -f "$work"/writer.* 2>/dev/null
  as_pg "$PG_BINDIR/pg_ctl" -D "$work/cluster/data" -m immediate -w stop >/dev/null 2>&1
  if mountpoint -q "$mnt"; then umount "$mnt" 2>/dev/null || umount -l "$mnt"; fi
  cluster_stop "$work/cluster"
  rm -rf "$work"
}
trap cleanup EXIT
size_mb=4
mount -t tmpfs -o size=${size_mb}m tmpfs "$mnt"
chown postgres: "$mnt"
chmod 700 "$mnt"
backup=$mnt/app

if long_mode; then outage=300; else outage=30; fi

createdb app
q -d app -f tests/e2e/engine/schema.sql
q -d app -c "ALTER TABLE events REPLICA IDENTITY FULL"
q -d app -c "CREATE TABLE fill (id int PRIMARY KEY, tag text NOT NULL, big text NOT NULL)"
q -d app -At -c "SELECT chain_id FROM scribe.init('$backup')" >/dev/null
chain_dir=$(ls -d "$backup"/chain-* | head -1)
writer_start app w
sleep 1
q -d app -c "SELECT * FROM scribe.rotate_diff()" >/dev/null
ok "streaming into a ${size_mb} MB tmpfs, one diff sealed"

slot_lsn() { psql -X -At -d app -c "SELECT confirmed_flush_lsn FROM pg_replication_slots WHERE slot_name = 'pg_scribe'"; }
lsn_le() { [ "$(psql -X -At -d app -c "SELECT '$1'::pg_lsn <= '$2'::pg_lsn")" = t ]; }
status_field() { psql -X -At -d app -c "SELECT $1 FROM scribe.status WHERE database = 'app'"; }
log_size() { stat -c %s "$(server_log)"; }
# Log lines written since byte offset $1 (up to offset $2, default the end).
log_since() {
  local from=$1 to=${2:-$(log_size)}
  tail -c +"$((from + 1))" "$(server_log)" | head -c "$((to - from))"
}

echo "-- filling the file system"
log_start=$(log_size)
# Each row: a tag (the marker) and a value of 256 kB that TOAST compresses
# to almost nothing in the WAL but that is written in full as SQL. After each
# commit, the session's insert position bounds the commit record from above.
: >"$work/fill.lsn"
full=false
for ((i = 1; i <= 200; i++)); do
  after=$(q -d app -At -c "INSERT INTO fill VALUES ($i, 'fill-marker-$i-', repeat(md5('$i'), 8192))" \
    -c "SELECT pg_current_wal_insert_lsn()")
  echo "$i $after" >>"$work/fill.lsn"
  if [ $((i % 4)) = 0 ] && status_field last_error | grep -qi 'space'; then
    full=true
    break
  fi
done
# A few more transactions behind the one that does not fit.
for ((j = i + 1; j <= i + 3; j++)); do
  after=$(q -d app -At -c "INSERT INTO fill VALUES ($j, 'fill-marker-$j-', repeat(md5('$j'), 8192))" \
    -c "SELECT pg_current_wal_insert_lsn()")
  echo "$j $after" >>"$work/fill.lsn"
done
if $full; then ok "the worker hit ENOSPC after $i rows of 256 kB"; else fail "the worker never reported a full disk"; fi
t_full=$(date +%s)
df -k "$mnt" | tail -1

echo "-- while the disk is full"
# The slot must not pass what active.sql durably holds: every marked
# transaction committed before confirmed_flush_lsn is in a complete
# transaction of the file (what follows its last COMMIT is a torn tail).
check_durable() {
  local c missing=0 n=0 held
  c=$(slot_lsn)
  held=$(as_pg cat "$chain_dir/active.sql" | awk '/^COMMIT;$/ { print buf; buf = ""; next } { buf = buf $0 "\n" }' |
    grep -o 'fill-marker-[0-9]*-' | sort -u)
  while read -r id lsn; do
    if lsn_le "$lsn" "$c"; then
      n=$((n + 1))
      grep -qx "fill-marker-$id-" <<<"$held" || { missing=$((missing + 1)); echo "marker $id (commit before $lsn) not in active.sql, slot at $c" >&2; }
    fi
  done <"$work/fill.lsn"
  if [ "$missing" = 0 ]; then ok "$1: slot at $c; the $n marked transactions before it are all in active.sql"; else
    fail "$1: the slot ($c) passed $missing transactions that active.sql does not hold"; fi
}
sleep 2
check_durable "disk full"
c_full=$(slot_lsn)
if lsn_le "$(psql -X -At -d app -c 'SELECT pg_current_wal_flush_lsn()')" "$c_full"; then
  fail "the slot ($c_full) is at the flushed WAL although the disk is full"
else
  ok "the slot ($c_full) stays behind the flushed WAL while the disk is full"
fi

state=""
for ((k = 0; k < 100; k++)); do
  state=$(status_field state)
  [ "$state" = error ] && break
  sleep 0.2
done
err=$(status_field last_error)
if [ "$state" = error ] && grep -qi 'no space left on device' <<<"$err"; then
  ok "scribe.status: state error, last_error: $err"
else
  fail "scribe.status: state '$state', last_error '$err'"
fi
set +e
"$PG_SCRIBE" --status -d app >"$work/status.out" 2>&1
rc=$?
set -e
if [ "$rc" = 10 ]; then ok "pg_scribe --status exits 10 while the disk is full"; else
  fail "pg_scribe --status exits $rc while the disk is full (state $state):"
  cat "$work/status.out" >&2
fi

# rotate_diff while full: a clear error with an SQLSTATE, nothing sealed.
diffs_before=$(as_pg ls "$chain_dir" | grep -c '^diff-' || true)
out=$(psql -X -q -v VERBOSITY=verbose -d app -c "SELECT * FROM scribe.rotate_diff()" 2>&1 >/dev/null) && rot_rc=0 || rot_rc=$?
if [ "$rot_rc" != 0 ] && grep -Eq 'ERROR:  (53100|55000):' <<<"$out" &&
  grep -qiE 'space|recovering from an error' <<<"$out"; then
  ok "rotate_diff while full fails: $(grep ERROR <<<"$out" | head -1)"
else
  fail "rotate_diff while full: rc $rot_rc: $out"
fi
diffs_after=$(as_pg ls "$chain_dir" | grep -c '^diff-' || true)
if [ "$diffs_after" = "$diffs_before" ] && as_pg head -1 "$chain_dir/active.sql" | grep -q '^-- pg_scribe diff chain=' &&
  ! as_pg grep -q '^-- pg_scribe sealed' "$chain_dir/active.sql"; then
  ok "the failed rotation left active.sql streaming (no trailer, no new diff)"
else
  fail "the failed rotation changed the chain: $diffs_before -> $diffs_after diffs"
fi
if "$PG_SCRIBE" --verify --backup-dir "$backup" >"$work/verify.out" 2>&1; then
  ok "every sealed file verifies while the disk is full"
else
  fail "pg_scribe --verify while the disk is full:"
  cat "$work/verify.out" >&2
fi

# Keep the disk full for the outage, watching the slot.
moved=0
while [ $(($(date +%s) - t_full)) -lt "$outage" ]; do
  sleep 2
  c=$(slot_lsn)
  [ "$c" = "$c_full" ] || { moved=$((moved + 1)); echo "slot moved to $c" >&2; }
done
if [ "$moved" = 0 ]; then ok "the slot stayed at $c_full for the ${outage} s of the outage"; else
  fail "the slot moved $moved times while the disk was full"; fi
check_durable "end of the outage"
log_end=$(log_size)
t_free=$(date +%s)
span=$((t_free - t_full))
log_since "$log_start" "$log_end" >"$work/outage.log"
lines=$(grep -cE 'pg_scribe' "$work/outage.log" || true)
exits=$(grep -cE 'background worker "pg_scribe worker" \(PID [0-9]+\) exited' "$work/outage.log" || true)
per_min=$(awk -v l="$lines" -v s="$span" 'BEGIN { printf "%.1f", l * 60 / s }')
figure outage_seconds "$span"
figure outage_log_lines_per_min "$per_min"
figure outage_worker_restarts "$exits"
# Backing off 1, 2, 4 ... 60 s: about log2(outage) restarts, then one a minute.
allowed=$((8 + span / 60))
if [ "$exits" -le "$allowed" ]; then ok "no crash loop: $exits worker exits, $lines pg_scribe log lines in ${span} s"; else
  fail "crash loop: $exits worker exits ($lines pg_scribe log lines) in ${span} s; backing off allows about $allowed"
  grep -E 'pg_scribe' "$work/outage.log" | tail -8 >&2
fi

echo "-- space freed"
target=$(psql -X -At -d app -c "SELECT pg_current_wal_flush_lsn()")
mount -o remount,size=64m "$mnt"
t0=$(date +%s.%N)
caught=false
for ((k = 0; k < 600; k++)); do
  c=$(slot_lsn)
  if lsn_le "$target" "$c"; then caught=true; break; fi
  sleep 0.2
done
t1=$(date +%s.%N)
recover=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
figure seconds_to_catch_up "$recover"
if $caught; then ok "the worker carried on by itself: caught up ${recover} s after space was freed"; else
  fail "no recovery within 120 s after space was freed"
  psql -X -d app -c "SELECT state, last_error FROM scribe.status" >&2
fi
wait_streaming app 60 && ok "state streaming/idle again" || fail "not streaming after recovery"

writer_stop w
oracle app "$backup"
finish disk_full
