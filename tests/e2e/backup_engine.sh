#!/usr/bin/env bash
# The backup engine end to end (issue 4): scribe.init while clients write,
# rotations (by hand and by a pg_cron job), a new chain, kill -9 of the
# worker and an immediate shutdown under load, two databases backed up at
# once; then each chain is restored with psql alone and compared with the
# source by pg_dump output and per-table checksums. Plus every error path
# of init and the calls made in the wrong order, each leaving no slot, file
# or worker behind.
set -euo pipefail
cd "$(dirname "$0")/../.."
source tests/lib/e2e.sh
# pg_cron is Debian's package for its PostgreSQL 15; a server built from
# source has none: the job's part is skipped there.
have_cron=0
[ -f "$("$PG_BINDIR/pg_config" --pkglibdir)/pg_cron.so" ] && have_cron=1
CLUSTER_EXTRA_CONF="max_worker_processes = 24
log_min_messages = warning"
if [ "$have_cron" = 1 ]; then
  CLUSTER_EXTRA_CONF+="
shared_preload_libraries = 'scribe, pg_cron'
cron.database_name = 'postgres'
cron.use_background_workers = on"
fi
start_throwaway_cluster engine
make_backups_dir
if [ "$have_cron" = 1 ]; then q -d postgres -c "CREATE EXTENSION pg_cron"; fi
for db in app other; do
  createdb "$db"
  q -d "$db" -f tests/e2e/engine/schema.sql
done

nothing_left() {
  local what=$1
  local slots files rows
  slots=$(slot_count)
  files=$(find "$backups" -mindepth 1 | wc -l)
  rows=$(psql -X -At -d app -c "SELECT count(*) FROM scribe.status")
  if [ "$slots" = 0 ] && [ "$files" = 0 ] && [ "$rows" = 0 ]; then
    ok "nothing left behind after $what"
  else
    fail "after $what: $slots slots, $files files, $rows status rows"
  fi
}

echo "-- error paths"
expect_sqlstate 55000 app "SELECT * FROM scribe.rotate_diff()"
expect_sqlstate 55000 app "SELECT scribe.new_chain()"
expect_sqlstate 55000 app "SELECT scribe.teardown()"
expect_sqlstate 22004 app "SELECT * FROM scribe.init(NULL)"
expect_sqlstate 22023 app "SELECT * FROM scribe.init('relative/dir')"
expect_sqlstate 22023 app "SELECT * FROM scribe.init('$backups/../backups/app')"
expect_sqlstate 22023 app "SELECT * FROM scribe.init('$work/cluster/data/backup')"
expect_sqlstate 22023 app "SELECT * FROM scribe.init('$backups/app', compression => 'zstd:99')"
expect_sqlstate 22023 app "SELECT * FROM scribe.init('$backups/app', compression => 'foo')"
expect_sqlstate 42602 app "SELECT * FROM scribe.init('$backups/app', slot_name => 'Bad-Name')"
# events has no primary key: with scribe.auto_replica_identity off, refused
# with the fix in the hint (on, init gives it REPLICA IDENTITY FULL:
# tests/e2e/replay_never_fails.sh).
out=$(PGOPTIONS='-c scribe.auto_replica_identity=off' psql -X -q -d app -c "SELECT * FROM scribe.init('$backups/app')" 2>&1 || true)
if grep -q 'ALTER TABLE public.events REPLICA IDENTITY FULL;' <<<"$out"; then
  ok "init lists each table without replica identity with the command that fixes it"
else
  fail "init did not name public.events: $out"
fi
expect_sqlstate 25001 app "BEGIN; SELECT * FROM scribe.init('$backups/app', force => true)"
psql -X -q -d postgres -c "CREATE ROLE plain LOGIN"
expect_sqlstate 42501 app "SET ROLE plain; SELECT * FROM scribe.init('$backups/app')"
mkdir -p "$backups/full" && touch "$backups/full/x" && chown -R postgres: "$backups/full"
expect_sqlstate 55000 app "SELECT * FROM scribe.init('$backups/full')"
rm -rf "$backups/full"
nothing_left "the refused calls"
# A failure after the slot exists (the base dump does not fit on a tiny
# file system): slot and files are undone.
small=$work/small
mkdir -p "$small"
if mount -t tmpfs -o size=64k tmpfs "$small" 2>/dev/null; then
  chown postgres: "$small"
  q -d app -c "INSERT INTO orders (customer, note, amount) SELECT 'bulk', repeat('x', 1000), g FROM generate_series(1, 300) g"
  expect_sqlstate 53100 app "SELECT * FROM scribe.init('$small/app', force => true)"
  left=$(find "$small" -mindepth 1 | wc -l)
  if [ "$(slot_count)" = 0 ] && [ "$left" = 0 ]; then ok "disk full during the base dump: slot dropped, files removed"; else
    fail "disk full during init left $(slot_count) slots and $left files"; fi
  umount "$small"
else
  echo "skip disk-full init check: cannot mount a tmpfs here"
fi

for db in app other; do q -d "$db" -c "ALTER TABLE events REPLICA IDENTITY FULL"; done

echo "-- init under load, two databases"
writer_start app w1
writer_start other w2
sleep 1
q -d app -At -c "SELECT chain_id FROM scribe.init('$backups/app')" >"$work/app.chain1"
q -d other -At -c "SELECT chain_id FROM scribe.init('$backups/other', 'other_slot', 'zstd:3')" >/dev/null
ok "init of two databases while clients write"
expect_sqlstate 42710 app "SELECT * FROM scribe.init('$backups/app2')"
createdb spare
q -d spare -c "CREATE EXTENSION scribe"
expect_sqlstate 55000 spare "SELECT * FROM scribe.init('$backups/app')"
sleep 1
q -d app -c "SELECT * FROM scribe.rotate_diff()" >/dev/null
q -d other -c "SELECT * FROM scribe.rotate_diff()" >/dev/null

# pg_cron 1.4 (Debian bookworm) runs jobs at most once a minute: schedule
# now, check at the end that a run sealed a diff.
if [ "$have_cron" = 1 ]; then
  q -d postgres -c "SELECT cron.schedule_in_database('rotate-app', '* * * * *', 'SELECT * FROM scribe.rotate_diff()', 'app')" >/dev/null
fi

echo "-- concurrent rotations"
for i in 1 2 3; do psql -X -q -d app -c "SELECT * FROM scribe.rotate_diff()" >"$work/rot.$i" 2>&1 & done
wait_rotations=0
for job in $(jobs -p); do
  if [ "$job" != "$(cat "$work/writer.w1.pid")" ] && [ "$job" != "$(cat "$work/writer.w2.pid")" ]; then
    wait "$job" || wait_rotations=1
  fi
done
if [ "$wait_rotations" = 0 ]; then ok "three concurrent rotate_diff calls all succeed"; else fail "concurrent rotate_diff"; cat "$work"/rot.* >&2; fi

echo "-- kill -9 of the worker under load"
pid=$(psql -X -At -d app -c "SELECT worker_pid FROM scribe.status WHERE database = 'app'")
kill -9 "$pid"
sleep 2
if wait_streaming app 60 && wait_streaming other 60; then ok "workers stream again after kill -9"; else fail "no restart after kill -9"; fi
q -d app -c "SELECT * FROM scribe.rotate_diff()" >/dev/null

echo "-- new_chain under load"
old_chain=$(cat "$work/app.chain1")
new_chain=$(q -d app -At -c "SELECT scribe.new_chain('lz4')")
if [ -n "$new_chain" ] && [ "$new_chain" != "$old_chain" ]; then ok "new_chain $new_chain replaced $old_chain"; else fail "new_chain"; fi
q -d app -c "SELECT * FROM scribe.rotate_diff()" >/dev/null

echo "-- immediate shutdown under load"
as_pg pg_ctl -D "$work/cluster/data" -m immediate -w stop >/dev/null
sleep 1
as_pg pg_ctl -D "$work/cluster/data" -l "$work/cluster/server.log" -w -t 60 start >/dev/null
if wait_streaming app 60 && wait_streaming other 60; then ok "workers resume after an immediate shutdown"; else fail "no resume after restart"; fi
sleep 1
q -d app -c "SELECT * FROM scribe.rotate_diff()" >/dev/null
q -d other -c "SELECT * FROM scribe.rotate_diff()" >/dev/null

echo "-- rotate_diff from pg_cron"
cron_ok=0
if [ "$have_cron" = 0 ]; then
  echo "skip pg_cron is not installed for this server"
else
  for _ in $(seq 1 75); do
    n=$(psql -X -At -d postgres -c "SELECT count(*) FROM cron.job_run_details WHERE status = 'succeeded'")
    [ "$n" -ge 1 ] && { cron_ok=1; break; }
    sleep 1
  done
  q -d postgres -c "SELECT cron.unschedule('rotate-app')" >/dev/null
  if [ "$cron_ok" = 1 ]; then ok "a pg_cron job ran SELECT * FROM scribe.rotate_diff() successfully"; else
    fail "no successful pg_cron run"
    psql -X -d postgres -c "SELECT status, return_message FROM cron.job_run_details ORDER BY runid DESC LIMIT 3" >&2
  fi
fi

echo "-- stop, restore, compare"
writer_stop w1
writer_stop w2
q -d app -c "SELECT * FROM scribe.rotate_diff()" >/dev/null
q -d other -c "SELECT * FROM scribe.rotate_diff()" >/dev/null
old_dir=$backups/app/chain-$old_chain
new_dir=$backups/app/chain-$new_chain
other_dir=$(ls -d "$backups"/other/chain-* | tail -1)

restore_chain "$new_dir" app_new
if compare_databases app app_new "$work"; then ok "new chain (lz4): base + diffs restored by psql equals the source"; else fail "new chain restore differs"; fi
restore_chain "$old_dir" app_old
apply_diffs "$new_dir" app_old
if compare_databases app app_old "$work"; then
  ok "old chain + the new chain's diffs equals the source: no gap, no overlap at the switch"
else fail "old chain + new diffs differ"; fi
restore_chain "$other_dir" other_restored
if compare_databases other other_restored "$work"; then ok "second database (zstd) restored equals its source"; else fail "other restore differs"; fi
seq_src=$(psql -X -At -d app -c "SELECT last_value FROM orders_id_seq")
seq_dst=$(psql -X -At -d app_new -c "SELECT last_value FROM orders_id_seq")
if [ "$seq_src" = "$seq_dst" ]; then ok "sequence values restored from the sealed diffs ($seq_src)"; else fail "sequence $seq_src vs $seq_dst"; fi

bad=0
while IFS='|' read -r chain file sha; do
  actual=$(as_pg sha256sum "$backups/app/chain-$chain/$file" | cut -d' ' -f1)
  [ "$actual" = "$sha" ] || { echo "checksum mismatch: $chain/$file" >&2; bad=1; }
done < <(psql -X -At -d app -c "SELECT chain_id, file, sha256 FROM scribe.chains() WHERE sha256 IS NOT NULL")
if [ "$bad" = 0 ]; then ok "every sealed file matches its manifest checksum"; else fail "manifest checksums"; fi
ndiffs=$(psql -X -At -d app -c "SELECT count(*) FROM scribe.chains() WHERE kind = 'diff'")
echo "     ($ndiffs sealed diffs in 2 chains of app)"

# A table created without a key gets REPLICA IDENTITY FULL (scribe.auto_replica_identity);
# with the setting off it stays without, and scribe.status says so.
q -d app -c "CREATE TABLE nokey (a int)"
if [ "$(psql -X -At -d app -c "SELECT relreplident FROM pg_class WHERE oid = 'nokey'::regclass")" = f ]; then
  ok "a table created without a key gets REPLICA IDENTITY FULL"
else fail "nokey has no REPLICA IDENTITY FULL"; fi
q -d app -c "SET scribe.auto_replica_identity = off" -c "CREATE TABLE nokey2 (a int)"
if psql -X -At -d app -c "SELECT array_to_string(warnings, ';') FROM scribe.status WHERE database = 'app'" |
  grep -q 'tables without usable replica identity'; then ok "scribe.status warns about a table created without a key"; else
  fail "no replica identity warning in scribe.status"; fi
q -d app -c "DROP TABLE nokey"

echo "-- who may read scribe.status"
q -d postgres -c "CREATE ROLE watcher LOGIN IN ROLE pg_monitor"
# (Reading is what is checked: the worker may be idle or still streaming
# the DDL just before.)
if [[ "$(psql -X -At -U watcher -d app -c "SELECT state FROM scribe.status WHERE database = 'app'")" =~ ^(idle|streaming)$ ]]; then
  ok "a pg_monitor member reads scribe.status"
else fail "pg_monitor member cannot read scribe.status"; fi
expect_sqlstate 42501 app "SET ROLE plain; SELECT * FROM scribe.status"
expect_sqlstate 42501 app "SET ROLE watcher; SELECT * FROM scribe.rotate_diff()"

echo "-- teardown"
expect_sqlstate 55006 app "DROP EXTENSION scribe"
q -d app -c "SELECT scribe.teardown()" >/dev/null 2>&1
if [ "$(psql -X -At -d postgres -c "SELECT count(*) FROM pg_replication_slots WHERE database = 'app'")" = 0 ] &&
  [ -d "$new_dir" ]; then ok "teardown drops the slot and keeps the files"; else fail "teardown"; fi
if q -d app -c "DROP EXTENSION scribe"; then ok "DROP EXTENSION works after teardown"; else fail "DROP EXTENSION after teardown"; fi
q -d other -c "SELECT scribe.teardown()" >/dev/null 2>&1

finish "backup engine"
