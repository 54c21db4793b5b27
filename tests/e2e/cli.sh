#!/usr/bin/env bash
# The pg_scribe client end to end (issue 5): every action and exit code,
# point-in-time restores compared with the source as it was at each moment,
# a full restore compared with the source, corrupted / truncated / missing
# files refused by --restore and --verify, --include-active with a torn
# tail, and a backup file carrying a psql meta-command refused.
set -euo pipefail
cd "$(dirname "$0")/../.."
source tests/lib/e2e.sh
CLUSTER_EXTRA_CONF="max_worker_processes = 16
log_min_messages = warning"
start_throwaway_cluster cli
make_backups_dir
createdb app
q -d app -f tests/e2e/cli/schema.sql

echo "-- arguments"
expect_exit 0 'Usage:' --help
# --version is the extension's version (scribe.control), as the package's.
control_version=$(sed -n "s/^default_version = '\(.*\)'$/\1/p" scribe.control)
expect_exit 0 "^pg_scribe $control_version\$" --version
expect_exit 5 'no action specified' -d app
expect_exit 5 'cannot combine --init with --restore' --init --restore --backup-dir "$backups/x"
expect_exit 5 'unrecognized option "--bogus"' --status --bogus
expect_exit 5 'invalid option' --status -Z
expect_exit 5 '--restore requires --backup-dir' --restore -d x
expect_exit 5 '--init requires --backup-dir' --init -d app
expect_exit 5 'requires the target database' --restore --backup-dir "$backups/x"
expect_exit 5 '--up-to cannot be used with --verify' --verify --backup-dir "$backups/x" --up-to 0/1
expect_exit 5 'requires an argument' --restore --backup-dir
expect_exit 2 'could not connect' --status -h 127.0.0.1 -p 1 -d app -w
for option in $("$PG_SCRIBE" --help | grep -oE -- '--[a-z][a-z-]+' | sort -u); do
  grep -q -- "$option" README.md || fail "README does not document $option"
done
ok "README documents every option of --help"

echo "-- init and the thin actions"
q -d app -c "CREATE TABLE loose (a int, b text)"
expect_exit 5 'without a usable replica identity' --init -d app --backup-dir "$backups/app"
[ "$(slot_count)" = 0 ] && [ ! -e "$backups/app" ] && ok "failed validation left no slot and no directory" ||
  fail "failed validation left something behind"
expect_exit 1 'extension "scribe" is not installed' --rotate-diff -d app
q -d app -c "ALTER TABLE loose REPLICA IDENTITY FULL" -c "INSERT INTO loose VALUES (1, 'one')"
expect_exit 0 'Initial chain created' --init -d app --backup-dir "$backups/app" --slot app_slot --compress zstd
expect_exit 5 'already' --init -d app --backup-dir "$backups/app2"
wait_streaming app
expect_exit 0 'Replication Slot: app_slot' --status -d app --backup-dir "$backups/app"
expect_exit 5 'is backed up to' --rotate-diff -d app --backup-dir "$backups/elsewhere"
expect_exit 3 'streams from slot "app_slot"' --start -d app --slot other_slot
expect_exit 0 'Stopped streaming' --stop -d app
expect_exit 10 'WARNING: stopped' --status -d app
expect_exit 0 'Started streaming' --start --backup-dir "$backups/app"   # database from scribe.json
wait_streaming app

echo "-- a load with recorded moments"
# Each step commits, then the moment is recorded with the source's state:
# a restore --up-to that moment must give exactly that state.
moments=()
for k in 1 2 3 4 5 6; do
  q -d app -v k=$k -f tests/e2e/cli/batch.sql
  if [ $k = 3 ]; then
    q -d app -c "ALTER TABLE accounts ADD COLUMN extra text DEFAULT 'x'" \
      -c "CREATE INDEX CONCURRENTLY accounts_owner ON accounts (owner)"
  fi
  sleep 0.3
  moment=$(psql -X -At -d app -c "SELECT clock_timestamp()")
  lsn=$(psql -X -At -d app -c "SELECT pg_current_wal_lsn()")
  moments+=("$moment")
  echo "$lsn" >"$work/lsn.$k"
  table_checksums app >"$work/state.$k.sums"
  normalized_dump app >"$work/state.$k.dump"
  sleep 0.3
  # Moments fall in different diffs, and two in the same one.
  case $k in 1 | 2 | 4) "$PG_SCRIBE" --rotate-diff -d app >/dev/null 2>&1 || fail "rotate after step $k" ;; esac
done
expect_exit 0 'Rotated differential: diff-' --rotate-diff -d app


echo "-- point-in-time restores"
for k in 1 3 5; do
  expect_exit 0 'Stopped at the target' --restore --backup-dir "$backups/app" -d "pit_$k" --create --up-to "${moments[$((k - 1))]}"
  same_as_state "pit_$k" $k "restore --up-to '${moments[$((k - 1))]}'"
done
expect_exit 0 'Stopped at the target' --restore --backup-dir "$backups/app" -d pit_lsn --create --up-to "$(cat "$work/lsn.2")"
same_as_state pit_lsn 2 "restore --up-to LSN $(cat "$work/lsn.2")"
expect_exit 5 'invalid --up-to' --restore --backup-dir "$backups/app" -d nope --create --up-to "not a time"
expect_exit 5 'before chain' --restore --backup-dir "$backups/app" -d nope --create --up-to "2001-01-01 00:00:00+00"

echo "-- full restore"
expect_exit 0 'Restore complete' --restore --backup-dir "$backups/app" -d full --create
if compare_databases app full "$work"; then ok "full restore equals the source"; else fail "full restore differs"; fi
# Sequences: every one is at or beyond the data it feeds.
behind=$(psql -X -At -d full -c "SELECT (SELECT last_value FROM accounts_id_seq) >= (SELECT max(id) FROM accounts)
  AND (SELECT last_value FROM ticket_seq) >= (SELECT max(no) FROM tickets)")
[ "$behind" = t ] && ok "sequences are not behind their data" || fail "a sequence is behind its data"
leftover=$(psql -X -At -d full -c "SELECT count(*) FROM pg_class WHERE relname LIKE 'pg_scribe_restore_%'")
[ "$leftover" = 0 ] && ok "the restore's lookup indexes are gone" || fail "lookup indexes left: $leftover"
expect_exit 4 'already exists' --restore --backup-dir "$backups/app" -d full --create
expect_exit 4 'is not empty' --restore --backup-dir "$backups/app" -d full
createdb empty_target
expect_exit 0 'Restore complete' --restore --backup-dir "$backups/app" -d empty_target
expect_exit 0 'Verdict: every sealed file matches' --verify --backup-dir "$backups/app"
grep -q 'verifying' "$work/err" && fail "--verify drew progress without a terminal" || ok "no progress lines when stderr is not a terminal"
# On a terminal (script(1) gives one), progress is drawn in place.
script -qec "$PG_SCRIBE --verify --backup-dir $backups/app" /dev/null >"$work/tty" 2>&1 || true
grep -q 'verifying chain' "$work/tty" && ok "--verify shows progress on a terminal" || fail "no progress on a terminal: $(head -c 300 "$work/tty")"

echo "-- damaged backups"
chain=$(ls -d "$backups"/app/chain-* | head -1)
damaged=$work/damaged
copy_backup() { rm -rf "$damaged"; cp -a "$backups/app" "$damaged"; dchain=$damaged/$(basename "$chain"); }
copy_backup
victim=$(ls "$dchain" | grep '^diff-' | sed -n 2p)
python3 - "$dchain/$victim" <<'PY'
import sys
p = sys.argv[1]
b = bytearray(open(p, 'rb').read())
b[len(b) // 2] ^= 0x01
open(p, 'wb').write(b)
PY
expect_exit 4 "$victim.*checksum" --verify --backup-dir "$damaged"
expect_exit 4 "$victim" --restore --backup-dir "$damaged" -d nope --create
exists=$(psql -X -At -d postgres -c "SELECT count(*) FROM pg_database WHERE datname = 'nope'")
[ "$exists" = 0 ] && ok "a refused restore left no database (made, then dropped again)" || fail "a refused restore left the database"
copy_backup
truncate -s -100 "$dchain/$victim"
expect_exit 4 "$victim" --verify --backup-dir "$damaged"
expect_exit 4 "$victim" --restore --backup-dir "$damaged" -d nope --create
copy_backup
rm "$dchain/$victim"
expect_exit 4 "$victim.*missing" --verify --backup-dir "$damaged"
expect_exit 4 "$victim" --restore --backup-dir "$damaged" -d nope --create

echo "-- active.sql and a torn tail"
q -d app -v k=7 -f tests/e2e/cli/batch.sql
target_lsn=$(psql -X -At -d app -c "SELECT pg_current_wal_lsn()")
for i in $(seq 1 100); do
  done_=$(psql -X -At -d app -c "SELECT written_lsn >= '$target_lsn' FROM scribe.status_rows() WHERE database = current_database()")
  [ "$done_" = t ] && break
  sleep 0.2
done
copy_backup
printf -- '-- scribe xid=999999 lsn=FF/0 commit=2099-01-01T00:00:00Z\nBEGIN;\nINSERT INTO public.notes (k, body) VALUES (-1000, '"'"'torn'"'"');\nUPDATE ONLY public.accounts SET owner = '"'"'torn' >>"$dchain/active.sql"
expect_exit 0 'dropped the torn end of active.sql' --restore --backup-dir "$damaged" -d with_active --create --include-active
if compare_databases app with_active "$work"; then ok "--include-active restores everything committed"; else fail "--include-active differs from the source"; fi
expect_exit 0 'Restore complete' --restore --backup-dir "$damaged" -d without_active --create
# Without it, the restore ends at the last rotation: the source at moment 6.
same_as_state without_active 6 "without --include-active, the restore"

echo "-- a meta-command in a backup file"
copy_backup
printf '\\! touch %s/pwned\n' "$work" >>"$dchain/active.sql"
expect_exit 4 'meta-command' --restore --backup-dir "$damaged" -d meta --create --include-active
[ ! -e "$work/pwned" ] && ok "the meta-command was not run" || fail "the meta-command ran"
grep -q 'database "meta" is incomplete' "$work/err" && ok "a restore that stops part way says the target is incomplete" ||
  fail "no warning that database meta is incomplete"

echo "-- new chain, --chain-id, teardown"
old_chain=$(basename "$chain")
old_chain=${old_chain#chain-}
table_checksums app >"$work/state.8.sums"
normalized_dump app >"$work/state.8.dump"
expect_exit 0 'Started streaming to new chain' --new-chain -d app --compress lz4
q -d app -v k=8 -f tests/e2e/cli/batch.sql
expect_exit 0 'Rotated differential: diff-.*\.lz4' --rotate-diff -d app
expect_exit 0 'Restore complete' --restore --backup-dir "$backups/app" -d newest --create --no-globals
if compare_databases app newest "$work"; then ok "the new chain restores to the source"; else fail "the new chain differs"; fi
expect_exit 0 'Restore complete' --restore --backup-dir "$backups/app" -d oldchain --create --chain-id "chain-$old_chain"
same_as_state oldchain 8 "the old chain (--chain-id)"
expect_exit 4 'not found' --restore --backup-dir "$backups/app" -d nope --create --chain-id 20000101T000000Z
expect_exit 0 "chain $old_chain: .*OK" --verify --backup-dir "$backups/app"
expect_exit 0 'Stopped backing up' --teardown -d app
[ "$(slot_count)" = 0 ] && ok "teardown dropped the slot" || fail "teardown left a slot"
expect_exit 4 'is not backed up' --rotate-diff -d app

echo
finish cli
