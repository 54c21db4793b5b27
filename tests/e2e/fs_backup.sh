#!/usr/bin/env bash
# File-system backups held open across sessions (issue 8): a real backup
# (WAL archived to a directory, scribe.fs_backup_start in one session, the
# data directory copied with tar while a client writes, pg_scribe
# --fs-backup-stop from another session and another database, backup_label
# written into the copy), then the copy started twice: once recovering from
# the archive, compared with the source by pg_dump output and per-table
# checksums, and once with nothing but the WAL files the backup listed.
# Then the ways a backup ends badly: timeout (argument and setting), stop
# without start, duplicate labels, the starting session killed, the worker
# terminated, a fast restart, an immediate restart and a crash of the
# worker; privileges; clearing; the client's options and exit codes.
set -euo pipefail
cd "$(dirname "$0")/../.."
source tests/lib/e2e.sh

archive=$(mktemp -d /tmp/pg_scribe_fs_archive.XXXXXX)
chmod 755 "$archive"
chown postgres: "$archive" 2>/dev/null || true
CLUSTER_EXTRA_CONF="archive_mode = on
archive_command = 'cp %p $archive/%f'
log_min_messages = warning"
start_throwaway_cluster fs_backup
copies=()
cleanup() {
  local d
  set +e
  rm -f "$work"/writer.*
  for d in "${copies[@]}"; do cluster_stop "$d"; done
  cluster_stop "$work/cluster"
  rm -rf "$work" "$archive"
}
trap cleanup EXIT
data=$work/cluster/data

# new_copy_dir DIR: DIR for a copied cluster, DIR/data empty, owned by the
# postgres OS user.
new_copy_dir() {
  mkdir -p "$1"
  chmod 755 "$1"
  chown postgres: "$1" 2>/dev/null || true
  as_pg mkdir -m 700 "$1/data"
}
state_of() { psql -X -At -d app -c "SELECT state FROM scribe.fs_backups WHERE label = '$1' ORDER BY started_at DESC LIMIT 1"; }
error_of() { psql -X -At -d app -c "SELECT error FROM scribe.fs_backups WHERE label = '$1' ORDER BY started_at DESC LIMIT 1"; }
worker_of() { psql -X -At -d app -c "SELECT worker_pid FROM scribe.fs_backups WHERE label = '$1' AND worker_pid IS NOT NULL"; }
workers_left() {
  psql -X -At -d postgres -c "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'pg_scribe file-system backup'"
}
wait_ready() {
  local i
  for ((i = 0; i < 150; i++)); do
    psql -X -At -d postgres -c "SELECT 1" >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  return 1
}
# A worker exits just after it has recorded the outcome: give it a moment.
wait_no_workers() {
  local i
  for ((i = 0; i < 50; i++)); do
    [ "$(workers_left)" = 0 ] && return 0
    sleep 0.1
  done
  return 1
}
# expect_state LABEL STATE PATTERN WHAT: the view shows the backup in STATE
# (within 10 s), its error matching PATTERN.
expect_state() {
  local label=$1 want=$2 pattern=$3 what=$4 state error i
  for ((i = 0; i < 100; i++)); do
    [ "$(state_of "$label")" = "$want" ] && break
    sleep 0.1
  done
  state=$(state_of "$label")
  error=$(error_of "$label")
  if [ "$state" = "$want" ] && grep -Eq -- "$pattern" <<<"$error"; then
    ok "$what: $label is $state ($error)"
  else
    fail "$what: $label is '$state' ('$error'), expected $want /$pattern/"
  fi
}

createdb app
q -d app -f tests/e2e/engine/schema.sql
q -d postgres -c "CREATE EXTENSION scribe"

echo "-- a file-system backup while a client writes (${SECONDS}s)"
writer_start app w1
sleep 1
# This psql session ends as soon as the backup is in progress.
start_lsn=$(q -d app -At -c "SELECT scribe.fs_backup_start('nightly', fast => true)")
[ "$(state_of nightly)" = running ] && [ -n "$(worker_of nightly)" ] &&
  ok "fs_backup_start returned $start_lsn; the backup stays running after its session ended" ||
  fail "nightly is not running after its session ended: $(state_of nightly)"
copy=$work/copy
copies+=("$copy")
new_copy_dir "$copy"
# WAL switches during the backup: it needs several segments.
q -d app -c "SELECT pg_switch_wal()" >/dev/null
sleep 0.5
# As the documentation of low-level backups says: no postmaster.pid,
# postmaster.opts, WAL (pg_wal only as an empty directory), slots or
# temporary statistics. Files change while tar reads them (status 1).
status=0
as_pg tar -C "$data" -cf "$copy/copy.tar" --exclude=./postmaster.pid --exclude=./postmaster.opts \
  --exclude='./pg_wal/*' --exclude='./pg_replslot/*' --exclude='./pg_stat_tmp/*' . 2>"$work/tar.err" || status=$?
if [ "$status" -le 1 ]; then ok "data directory copied with tar while the client wrote"; else
  fail "tar failed ($status): $(head -3 "$work/tar.err")"
fi
as_pg tar -C "$copy/data" -xf "$copy/copy.tar"
rm -f "$copy/copy.tar"
as_pg mkdir -p "$copy/data/pg_wal/archive_status"
q -d app -c "SELECT pg_switch_wal()" >/dev/null
sleep 0.5
# From another session, in another database, as the OS user that owns the
# copy: the client writes backup_label into it.
if runuser -u postgres -- "$PG_SCRIBE" --fs-backup-stop -d postgres --label nightly \
  --backup-label-file "$copy/data/backup_label" --tablespace-map-file "$copy/data/tablespace_map" \
  --wal-list-file "$copy/wal.list" >"$work/stop.out" 2>"$work/stop.err"; then
  ok "pg_scribe --fs-backup-stop from another session and database"
else
  fail "pg_scribe --fs-backup-stop: $(cat "$work/stop.err")"
fi
writer_stop w1
if grep -q '^LABEL: nightly$' "$work/stop.out" && cmp -s "$work/stop.out" "$copy/data/backup_label"; then
  ok "the backup_label printed on stdout is the one written into the copy"
else fail "backup_label output and file differ"; fi
[ ! -e "$copy/data/tablespace_map" ] && ok "no tablespace_map without tablespaces" || fail "a tablespace_map was written"
read -r stop_lsn first_seg last_seg < <(psql -X -At -F ' ' -d app -c \
  "SELECT stop_lsn, pg_walfile_name('$start_lsn'), pg_walfile_name(stop_lsn) FROM scribe.fs_backups WHERE label = 'nightly'")
segments=$(grep -v '\.' "$copy/wal.list")
if [ "$(state_of nightly)" = complete ] && [ "$(head -1 <<<"$segments")" = "$first_seg" ] &&
  [ "$(tail -1 <<<"$segments")" = "$last_seg" ] && grep -q "^$first_seg\.[0-9A-F]*\.backup$" "$copy/wal.list"; then
  ok "complete at $stop_lsn; WAL list $first_seg .. $last_seg ($(wc -l <<<"$segments") segments) and the history file"
else
  fail "state $(state_of nightly), WAL list: $(tr '\n' ' ' <"$copy/wal.list"), expected $first_seg .. $last_seg"
fi
missing=0
while read -r f; do [ -f "$archive/$f" ] || missing=1; done <"$copy/wal.list"
[ "$missing" = 0 ] && ok "every listed WAL file was archived when fs_backup_stop returned" ||
  fail "listed WAL files missing from the archive"

# The source's final state, its last WAL archived.
switch=$(q -d app -At -c "SELECT pg_walfile_name(pg_switch_wal())")
for _ in $(seq 1 100); do [ -f "$archive/$switch" ] && break; sleep 0.1; done
copy2=$work/copy2
copies+=("$copy2")
mkdir -p "$copy2" && chmod 755 "$copy2" && chown postgres: "$copy2"
as_pg cp -a "$copy/data" "$copy2/data"

# start_copy DIR: start the copied cluster on its own port and socket,
# without archiving (it must not write into the source's archive).
start_copy() {
  local dir=$1 port=$((20000 + RANDOM % 20000))
  as_pg "$PG_BINDIR/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 120 \
    -o "-p $port -k $dir -c archive_mode=off" start >/dev/null || { tail -20 "$dir/server.log" >&2; return 1; }
  echo "$port"
}
cat >>"$copy/data/postgresql.conf" <<CONF
restore_command = 'cp $archive/%f %p'
CONF
as_pg touch "$copy/data/recovery.signal"
if port=$(start_copy "$copy"); then
  for _ in $(seq 1 300); do
    [ "$(PGHOST=$copy PGPORT=$port psql -X -At -d postgres -c 'SELECT pg_is_in_recovery()' 2>/dev/null)" = f ] && break
    sleep 0.2
  done
  table_checksums app >"$work/source.sums"
  normalized_dump app >"$work/source.dump"
  PGHOST=$copy PGPORT=$port table_checksums app >"$work/copy.sums"
  PGHOST=$copy PGPORT=$port normalized_dump app >"$work/copy.dump"
  if grep -q 'consistent recovery state reached' "$copy/server.log" && cmp -s "$work/source.sums" "$work/copy.sums" &&
    cmp -s "$work/source.dump" "$work/copy.dump" && [ -s "$work/source.sums" ]; then
    ok "the copy recovered from the archive equals the source (pg_dump and per-table checksums, $(wc -l <"$work/source.sums") tables)"
  else
    fail "restored copy differs from the source"
    diff "$work/source.sums" "$work/copy.sums" | head -5 >&2 || true
    grep -E 'FATAL|PANIC|consistent' "$copy/server.log" | head -5 >&2 || true
  fi
else
  fail "the copy with recovery.signal did not start"
fi

# The second copy gets only the WAL files of the list, and no archive: the
# list alone must bring it to a consistent state.
while read -r f; do
  case "$f" in *.backup) ;; *) as_pg cp "$archive/$f" "$copy2/data/pg_wal/$f" ;; esac
done <"$copy/wal.list"
if port2=$(start_copy "$copy2") && grep -q 'consistent recovery state reached' "$copy2/server.log" &&
  [ "$(PGHOST=$copy2 PGPORT=$port2 psql -X -At -d app -c 'SELECT count(*) > 200 FROM orders')" = t ]; then
  ok "the copy with only the listed WAL files (no archive) reaches consistency and starts"
else
  fail "the listed WAL files are not enough: $(grep -E 'FATAL|PANIC|LOG:  redo' "$copy2/server.log" | head -3)"
fi
for d in "$copy" "$copy2"; do as_pg "$PG_BINDIR/pg_ctl" -D "$d/data" -m immediate -w stop >/dev/null 2>&1 || true; done

echo "-- several backups at once, duplicates, stop twice, stop without start (${SECONDS}s)"
q -d app -At -c "SELECT scribe.fs_backup_start('one', true)" >/dev/null
q -d app -At -c "SELECT scribe.fs_backup_start('two', true, timeout => '10 min')" >/dev/null
expect_sqlstate 42710 app "SELECT scribe.fs_backup_start('one')" 'already running'
n=$(psql -X -At -d app -c "SELECT count(*) FROM scribe.fs_backups WHERE state = 'running' AND label IN ('one', 'two')")
[ "$n" = 2 ] && [ "$(workers_left)" = 2 ] && ok "two labelled backups run at once, each in its own worker" ||
  fail "$n running, $(workers_left) workers"
first=$(q -d app -At -c "SELECT stop_lsn FROM scribe.fs_backup_stop('one', wait_for_archive => false)")
again=$(psql -X -At -d app -c "SELECT stop_lsn FROM scribe.fs_backup_stop('one')" 2>"$work/notice")
if [ -n "$first" ] && [ "$first" = "$again" ] && grep -q 'was stopped already' "$work/notice"; then
  ok "a second stop returns the stored result again ($again) with a notice"
else fail "second stop of 'one': '$first' vs '$again'"; fi
q -d app -c "SELECT * FROM scribe.fs_backup_stop('two')" >/dev/null
[ "$(state_of two)" = complete ] && wait_no_workers && ok "both complete; their workers exited" ||
  fail "two: $(state_of two), $(workers_left) workers left"
q -d app -At -c "SELECT scribe.fs_backup_start('one', true)" >/dev/null
[ "$(state_of one)" = running ] && ok "a finished label can be used again" || fail "label 'one' not reusable"
q -d app -c "SELECT * FROM scribe.fs_backup_stop('one')" >/dev/null
mkdir -p "$work/ts" && chown postgres: "$work/ts"
q -d app -c "CREATE TABLESPACE fs_ts LOCATION '$work/ts'"
q -d app -At -c "SELECT scribe.fs_backup_start('with_tablespace', true)" >/dev/null
runuser -u postgres -- "$PG_SCRIBE" --fs-backup-stop -d app --label with_tablespace --no-wait-for-archive \
  --tablespace-map-file "$copy/tablespace_map" >/dev/null 2>&1 || true
ts_oid=$(psql -X -At -d app -c "SELECT oid FROM pg_tablespace WHERE spcname = 'fs_ts'")
if [ "$(cat "$copy/tablespace_map" 2>/dev/null)" = "$ts_oid $work/ts" ]; then
  ok "with a tablespace, --tablespace-map-file gets the map ($ts_oid $work/ts)"
else fail "tablespace_map: '$(cat "$copy/tablespace_map" 2>/dev/null)'"; fi
q -d app -c "DROP TABLESPACE fs_ts"
expect_sqlstate 55000 app "SELECT * FROM scribe.fs_backup_stop('never')" 'no file-system backup labelled "never"'
expect_sqlstate 22004 app "SELECT scribe.fs_backup_start(NULL)" 'must not be null'
expect_sqlstate 22023 app "SELECT scribe.fs_backup_start('')" 'must not be empty'
expect_sqlstate 22023 app "SELECT scribe.fs_backup_start(E'two\\nlines')" 'control characters'
expect_sqlstate 22023 app "SELECT scribe.fs_backup_start(repeat('x', 1024))" 'too long'
expect_sqlstate 22023 app "SELECT scribe.fs_backup_start('neg', timeout => '-1 s')" 'must not be negative'

echo "-- timeouts (${SECONDS}s)"
q -d app -At -c "SELECT scribe.fs_backup_start('short', true, timeout => '2 s')" >/dev/null
q -d app -c "ALTER SYSTEM SET scribe.fs_backup_timeout = '2s'" -c "SELECT pg_reload_conf()" >/dev/null
sleep 0.5
q -d app -At -c "SELECT scribe.fs_backup_start('by_setting', true)" >/dev/null
q -d app -At -c "SELECT scribe.fs_backup_start('forever', true, timeout => '0')" >/dev/null
sleep 3
expect_state short timed_out 'timeout of 2 s' "timeout argument"
expect_state by_setting timed_out 'timeout of 2 s' "scribe.fs_backup_timeout"
expect_state forever running '^$' "timeout 0 (none)"
expect_sqlstate 55000 app "SELECT * FROM scribe.fs_backup_stop('short')" 'timed out'
expect_exit 4 'timed out' --fs-backup-stop -d app --label by_setting
q -d app -c "ALTER SYSTEM RESET scribe.fs_backup_timeout" -c "SELECT pg_reload_conf()" >/dev/null
q -d app -c "SELECT * FROM scribe.fs_backup_stop('forever')" >/dev/null
wait_no_workers && ok "no worker left after the timeouts" || fail "$(workers_left) workers left"

# A start interrupted while it waits for a spread checkpoint (many dirty
# buffers, written slowly) leaves no backup behind.
q -d app -c "CREATE TABLE dirty AS SELECT g, repeat('x', 100) AS pad FROM generate_series(1, 50000) g"
expect_sqlstate 57014 app "SET statement_timeout = '1s'; SELECT scribe.fs_backup_start('interrupted')" 'statement timeout'
q -d app -c "CHECKPOINT" # hurries the spread checkpoint the worker waits for
expect_state interrupted failed 'canceled' "fs_backup_start interrupted"
q -d app -c "DROP TABLE dirty"

echo "-- the starting session killed, the worker terminated (${SECONDS}s)"
psql -X -q -d app -c "SELECT scribe.fs_backup_start('orphan', true)" -c "SELECT pg_sleep(60)" >/dev/null 2>&1 &
holder=$!
for _ in $(seq 1 50); do [ "$(state_of orphan)" = running ] && break; sleep 0.1; done
q -d postgres -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(60)%' AND pid <> pg_backend_pid()" >/dev/null
wait "$holder" 2>/dev/null || true
sleep 0.3
[ "$(state_of orphan)" = running ] && ok "a backup survives the termination of the session that started it" ||
  fail "orphan is $(state_of orphan)"
q -d app -c "SELECT * FROM scribe.fs_backup_stop('orphan')" >/dev/null && [ "$(state_of orphan)" = complete ] &&
  ok "and is stopped from another session" || fail "orphan not stopped"
q -d app -At -c "SELECT scribe.fs_backup_start('terminated', true)" >/dev/null
q -d app -c "SELECT pg_terminate_backend($(worker_of terminated))" >/dev/null
expect_state terminated failed 'terminated by a server shutdown or pg_terminate_backend' "pg_terminate_backend of the worker"
expect_sqlstate 55000 app "SELECT * FROM scribe.fs_backup_stop('terminated')" 'failed'

echo "-- privileges (${SECONDS}s)"
q -d postgres -c "CREATE ROLE plain LOGIN" -c "CREATE ROLE operator LOGIN IN ROLE pg_checkpoint"
q -d app -c "GRANT USAGE ON SCHEMA scribe TO plain, operator" \
  -c "GRANT EXECUTE ON FUNCTION scribe.fs_backup_start(text, boolean, interval), scribe.fs_backup_stop(text, boolean) TO plain, operator"
expect_sqlstate 42501 app "SET ROLE plain; SELECT scribe.fs_backup_start('p')" 'permission denied for scribe.fs_backup_start'
expect_sqlstate 42501 app "SET ROLE plain; SELECT * FROM scribe.fs_backup_stop('p')" 'permission denied for scribe.fs_backup_stop'
expect_sqlstate 42501 app "SET ROLE operator; SELECT scribe.fs_backup_clear()" 'permission denied for function fs_backup_clear'
if q -d app -At -c "SET ROLE operator; SELECT scribe.fs_backup_start('by_operator', true)" >/dev/null &&
  q -d app -c "SET ROLE operator; SELECT * FROM scribe.fs_backup_stop('by_operator')" >/dev/null; then
  ok "a member of pg_checkpoint granted EXECUTE starts and stops a backup"
else fail "pg_checkpoint member could not take a backup"; fi
q -d postgres -c "CREATE ROLE watcher LOGIN IN ROLE pg_monitor"
[ "$(psql -X -At -U watcher -d app -c "SELECT state FROM scribe.fs_backups WHERE label = 'by_operator'")" = complete ] &&
  ok "a pg_monitor member reads scribe.fs_backups" || fail "pg_monitor cannot read scribe.fs_backups"

echo "-- the client (${SECONDS}s)"
expect_exit 5 '--fs-backup-start requires --label' --fs-backup-start -d app
expect_exit 5 'invalid --timeout value "soon"' --fs-backup-start -d app --label x --timeout soon
expect_exit 5 '--fast cannot be used with --fs-backup-stop' --fs-backup-stop -d app --label x --fast
expect_exit 5 '--backup-label-file cannot be used with --fs-backup-start' --fs-backup-start -d app --label x \
  --backup-label-file /tmp/x
expect_exit 5 '--label cannot be used with --status' --status -d app --label x
expect_exit 0 '^[0-9A-F]+/[0-9A-F]+$' --fs-backup-start -d app --label cli --fast --timeout 600
cli_lsn=$(cat "$work/out")
[ "$cli_lsn" = "$(psql -X -At -d app -c "SELECT start_lsn FROM scribe.fs_backups WHERE label = 'cli'")" ] &&
  ok "--fs-backup-start prints the start LSN" || fail "printed $cli_lsn"
expect_exit 5 'already running' --fs-backup-start -d app --label cli
expect_exit 0 'LABEL: cli' --fs-backup-stop -d app --label cli --no-wait-for-archive
expect_exit 4 'no file-system backup labelled' --fs-backup-stop -d app --label missing
expect_exit 1 'permission denied' --fs-backup-start -d app -U plain --label p

echo "-- clearing finished backups (${SECONDS}s)"
before=$(psql -X -At -d app -c "SELECT count(*) FROM scribe.fs_backups WHERE label = 'one'")
cleared=$(q -d app -At -c "SELECT scribe.fs_backup_clear('one')")
[ "$before" = 2 ] && [ "$cleared" = 2 ] && [ -z "$(state_of one)" ] && ok "fs_backup_clear('one') cleared its 2 entries" ||
  fail "clear('one'): before $before, cleared $cleared"
q -d app -At -c "SELECT scribe.fs_backup_start('keep', true)" >/dev/null
q -d app -At -c "SELECT scribe.fs_backup_clear()" >/dev/null
left=$(psql -X -At -d app -c "SELECT string_agg(label || ':' || state, ',') FROM scribe.fs_backups")
[ "$left" = "keep:running" ] && ok "fs_backup_clear() keeps only the backup in progress" || fail "left: $left"
q -d app -c "SELECT * FROM scribe.fs_backup_stop('keep')" >/dev/null

echo "-- restarts during a backup (${SECONDS}s)"
q -d app -At -c "SELECT scribe.fs_backup_start('fast_restart', true)" >/dev/null
as_pg pg_ctl -D "$data" -l "$work/cluster/server.log" -m fast -w restart >/dev/null
wait_ready
expect_state fast_restart failed 'terminated by a server shutdown' "fast restart"
q -d app -At -c "SELECT scribe.fs_backup_start('immediate', true)" >/dev/null
as_pg pg_ctl -D "$data" -m immediate -w stop >/dev/null
as_pg pg_ctl -D "$data" -l "$work/cluster/server.log" -w start >/dev/null
wait_ready
expect_state immediate failed 'server restarted while the backup was running' "immediate shutdown and start"
q -d app -At -c "SELECT scribe.fs_backup_start('crash', true)" >/dev/null
kill -9 "$(worker_of crash)"
sleep 1
wait_ready
expect_state crash failed 'server restarted while the backup was running' "kill -9 of the worker (crash restart)"
expect_sqlstate 55000 app "SELECT * FROM scribe.fs_backup_stop('crash')" 'failed'
expect_exit 4 'failed' --fs-backup-stop -d app --label immediate
q -d app -At -c "SELECT scribe.fs_backup_start('after', true)" >/dev/null
# (Without waiting for the archive: after a crash restart PostgreSQL 15's
# archiver only wakes up by itself, once a minute. Hence this part last.)
q -d app -c "SELECT * FROM scribe.fs_backup_stop('after', wait_for_archive => false)" >/dev/null
[ "$(state_of after)" = complete ] && ok "backups work again after the restarts" || fail "after: $(state_of after)"

finish "fs backup"
