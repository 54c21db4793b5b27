#!/usr/bin/env bash
# Standbys and failover (issue 17). A primary with a backup and a streaming
# standby of it (pg_basebackup -R over the Unix socket, after scribe.init()):
#  - on every version, scribe.init(), start(), rotate_diff(), new_chain() and
#    teardown() on the hot standby are refused with SQLSTATE 25006;
#  - on 17+, the chain's slot is a failover slot that the standby
#    (sync_replication_slots) keeps: after writes, a rotation, more writes
#    with DDL, the primary's crash and the standby's promotion, the worker on
#    the new primary continues the same chain (no new base), and a restore
#    of it equals the new primary. On 15 and 16 that part says "skip".
set -euo pipefail
cd "$(dirname "$0")/../.."
source tests/lib/e2e.sh
major=$("$PG_BINDIR/pg_config" --version | sed -E 's/^PostgreSQL ([0-9]+).*/\1/')

CLUSTER_EXTRA_CONF="max_worker_processes = 16
log_min_messages = warning"
start_throwaway_cluster standby_failover
primary=$work/cluster
primary_port=$PGPORT
standby=$work/standby
standby_port=$((primary_port + 1))
# shellcheck disable=SC2064 # expand the directories now
# (|| true: a server the test stopped makes cluster_stop fail, and set -e
# would end the trap before the rest is removed.)
trap "cluster_stop '$standby' || true; cluster_stop '$primary' || true; rm -rf '$work'" EXIT
make_backups_dir
createdb src
q -d src >/dev/null <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION scribe;
CREATE TABLE accounts (id int PRIMARY KEY, owner text, balance numeric);
INSERT INTO accounts SELECT g, 'owner ' || g, g * 10 FROM generate_series(1, 50) g;
SQL
chain_id=$(q -d src -At -c "SELECT chain_id FROM scribe.init('$backups/src')")
wait_streaming src
slot=$(q -d src -At -c "SELECT slot_name FROM scribe.status WHERE database = current_database()")
q -d src -c "SELECT pg_create_physical_replication_slot('standby1')" >/dev/null

# The standby: a base backup taken after scribe.init() (it holds
# $PGDATA/pg_scribe: the configuration and the DDL key).
mkdir -p "$standby"
chmod 755 "$standby"
chown postgres: "$standby" 2>/dev/null || true
as_pg "$PG_BINDIR/pg_basebackup" -D "$standby/data" -R -X stream -S standby1 -h "$primary" -p "$primary_port" \
  -U postgres --no-sync -c fast >"$work/basebackup.log" 2>&1 || { cat "$work/basebackup.log" >&2; exit 1; }
sync_conf=""
[ "$major" -ge 17 ] && sync_conf="sync_replication_slots = on"
as_pg tee -a "$standby/data/postgresql.conf" >/dev/null <<CONF
port = $standby_port
unix_socket_directories = '$standby'
hot_standby_feedback = on
primary_slot_name = 'standby1'
$sync_conf
CONF
# After -R's line: slot synchronization needs a dbname in it.
as_pg tee -a "$standby/data/postgresql.auto.conf" >/dev/null <<CONF
primary_conninfo = 'host=''$primary'' port=$primary_port user=postgres dbname=src application_name=standby1'
CONF
as_pg "$PG_BINDIR/pg_ctl" -D "$standby/data" -l "$standby/server.log" -w -t 60 start >/dev/null ||
  { cat "$standby/server.log" >&2; exit 1; }
on_standby() { PGHOST=$standby PGPORT=$standby_port "$@"; }
[ "$(on_standby psql -X -At -d src -c 'SELECT pg_is_in_recovery()')" = t ] || { echo "no hot standby" >&2; exit 1; }

echo "-- the API on a hot standby"
for call in "scribe.init('$work/elsewhere')" "scribe.start()" "scribe.rotate_diff()" "scribe.new_chain()" \
  "scribe.teardown()"; do
  name=${call%%(*}
  out=$(on_standby psql -X -d src -v VERBOSITY=verbose -c "SELECT * FROM $call" 2>&1 || true)
  if grep -q "ERROR:  25006: $name() cannot run on a standby server" <<<"$out" &&
    grep -q "DETAIL:  The server is in recovery" <<<"$out" && grep -q "HINT:  Run it on the primary" <<<"$out"; then
    ok "$name() is refused on a standby (25006, with DETAIL and HINT)"
  else
    fail "$name() on a standby: $out"
  fi
done
[ ! -e "$work/elsewhere" ] && ok "the refused init() created nothing" || fail "the refused init() created $work/elsewhere"
[ "$(on_standby psql -X -At -d src -c "SELECT count(*) FROM pg_replication_slots WHERE slot_type = 'logical' AND NOT synced" 2>/dev/null || on_standby psql -X -At -d src -c "SELECT count(*) FROM pg_replication_slots WHERE slot_type = 'logical'")" = 0 ] &&
  ok "no logical slot of its own on the standby" || fail "a logical slot was created on the standby"

# restored_equal WHAT: pg_scribe --restore of the backup (its newest chain)
# and psql alone (the same chain) equal database src.
restored_equal() {
  local chain
  chain=$(ls -d "$backups"/src/chain-* | sort | tail -1)
  mkdir -p "$work/compare" "$work/compare_psql"
  if "$PG_SCRIBE" --restore --backup-dir "$backups/src" -d copy --create >"$work/restore.out" 2>&1; then
    ok "pg_scribe --restore restores $1"
  else
    fail "pg_scribe --restore failed: $(tail -5 "$work/restore.out")"
  fi
  if compare_databases src copy "$work/compare"; then
    ok "the restore equals the new primary"
  else
    fail "the restore differs from the new primary"
  fi
  restore_chain "$chain" copy_psql 2>"$work/psql.err" &&
    compare_databases src copy_psql "$work/compare_psql" && ok "psql alone restores it equal too" ||
    fail "psql alone: $(tail -3 "$work/psql.err")"
}

if [ "$major" -lt 17 ]; then
  echo "skip: failover slots need PostgreSQL 17 or newer (this is $major)"
  echo "-- without them: after a promotion the chain cannot continue, new_chain() starts a new one"
  q -d src -c "INSERT INTO accounts VALUES (1000, 'before the failover', 0)" >/dev/null
  as_pg "$PG_BINDIR/pg_ctl" -D "$primary/data" -m immediate -w stop >/dev/null
  as_pg "$PG_BINDIR/pg_ctl" -D "$standby/data" -w promote >/dev/null
  export PGHOST=$standby PGPORT=$standby_port
  status=""
  for ((i = 0; i < 100; i++)); do
    status=$(q -d src -At -c "SELECT last_error || ' / ' || array_to_string(warnings, '; ') FROM scribe.status WHERE database = current_database()")
    grep -q "is missing: chain $chain_id cannot continue" <<<"$status" && break
    sleep 0.2
  done
  grep -q "is missing: chain $chain_id cannot continue" <<<"$status" &&
    ok "scribe.status says the chain cannot continue: $(cut -c1-120 <<<"$status")" || fail "scribe.status: $status"
  out=$(q -d src -v VERBOSITY=verbose -c "SELECT * FROM scribe.rotate_diff()" 2>&1 || true)
  grep -q "HINT:  SELECT scribe.new_chain();" <<<"$out" && ok "rotate_diff() names new_chain() as the fix" ||
    fail "rotate_diff() on the promoted standby: $out"
  new_id=$(q -d src -At -c "SELECT scribe.new_chain()" 2>"$work/new_chain.err") || true
  if [ -n "$new_id" ] && [ "$new_id" != "$chain_id" ]; then
    ok "new_chain() starts chain $new_id with a new base"
  else
    fail "new_chain() on the promoted standby: $(cat "$work/new_chain.err")"
  fi
  wait_streaming src 60 && ok "the worker streams the new chain" || fail "no worker after new_chain()"
  q -d src >/dev/null <<'SQL'
UPDATE accounts SET balance = balance + 5 WHERE id % 4 = 0;
ALTER TABLE accounts ADD COLUMN closed boolean DEFAULT false;
INSERT INTO accounts VALUES (1001, 'after the failover', 1, true);
SQL
  q -d src -c "SELECT * FROM scribe.rotate_diff()" >/dev/null
  restored_equal "the new chain"
  finish standby_failover
  exit
fi

echo "-- failover: the chain continues on the promoted standby"
[ "$(q -d src -At -c "SELECT failover FROM pg_replication_slots WHERE slot_name = '$slot'")" = t ] &&
  ok "the chain's slot is a failover slot" || fail "the chain's slot is not a failover slot"
q -d src -c "ALTER SYSTEM SET synchronized_standby_slots = 'standby1'" -c "SELECT pg_reload_conf()" >/dev/null
q -d src >/dev/null <<'SQL'
UPDATE accounts SET balance = balance + 1 WHERE id % 3 = 0;
ALTER TABLE accounts ADD COLUMN opened date DEFAULT '2026-01-01';
CREATE TABLE moves (id serial PRIMARY KEY, account int REFERENCES accounts, amount numeric);
INSERT INTO moves (account, amount) SELECT 1 + g % 50, g FROM generate_series(1, 100) g;
SQL
q -d src -c "SELECT * FROM scribe.rotate_diff()" >/dev/null
synced=""
for ((i = 0; i < 150; i++)); do
  synced=$(on_standby psql -X -At -d src -c "SELECT synced AND NOT temporary FROM pg_replication_slots WHERE slot_name = '$slot'" 2>/dev/null || true)
  [ "$synced" = t ] && break
  sleep 0.2
done
if [ "$synced" = t ]; then
  ok "the standby has a synced copy of the slot"
else
  fail "the slot was not synced to the standby: $(grep -i slot "$standby/server.log" | tail -5)"
fi
# While the standby is away, the worker writes nothing it lacks.
written() { q -d src -At -c "SELECT written_lsn >= '$1' FROM scribe.status_rows() WHERE database = current_database()"; }
as_pg "$PG_BINDIR/pg_ctl" -D "$standby/data" -m fast -w stop >/dev/null
q -d src -c "INSERT INTO accounts VALUES (1000, 'while the standby is away', 0)" >/dev/null
held=$(q -d src -At -c "SELECT pg_current_wal_flush_lsn()")
sleep 2
[ "$(written "$held")" = f ] && ok "the worker holds back what the standby has not received" ||
  fail "the worker wrote past what the standby received"
as_pg "$PG_BINDIR/pg_ctl" -D "$standby/data" -l "$standby/server.log" -w -t 60 start >/dev/null
for ((i = 0; i < 100; i++)); do
  [ "$(written "$held")" = t ] && break
  sleep 0.2
done
[ "$(written "$held")" = t ] && ok "and goes on once the standby is back" || fail "the worker did not go on"
# Writes and DDL after the rotation, which the old primary's worker may or
# may not have written before the crash, and the slot copy may be behind.
q -d src >/dev/null <<'SQL'
DELETE FROM moves WHERE id % 7 = 0;
ALTER TABLE moves ADD COLUMN note text;
UPDATE moves SET note = 'before failover ' || id WHERE id % 5 = 0;
CREATE INDEX moves_account ON moves (account);
SQL
lsn=$(q -d src -At -c "SELECT pg_current_wal_flush_lsn()")
for ((i = 0; i < 150; i++)); do
  [ "$(on_standby psql -X -At -d src -c "SELECT pg_last_wal_replay_lsn() >= '$lsn'")" = t ] && break
  sleep 0.2
done
sleep 0.5  # the old primary's worker: let it write some of it, or all
# The old primary is fenced (stopped) before the promotion, as in any
# failover: two workers must never write one backup directory.
as_pg "$PG_BINDIR/pg_ctl" -D "$primary/data" -m immediate -w stop >/dev/null
as_pg "$PG_BINDIR/pg_ctl" -D "$standby/data" -w promote >/dev/null
export PGHOST=$standby PGPORT=$standby_port
wait_streaming src 60 && ok "the worker streams on the promoted standby" || fail "no worker on the promoted standby"
q -d src >/dev/null <<'SQL'
INSERT INTO moves (account, amount, note) SELECT 1 + g % 50, -g, 'after failover' FROM generate_series(1, 40) g;
ALTER TABLE accounts RENAME COLUMN owner TO holder;
UPDATE accounts SET holder = holder || ' (moved)' WHERE id < 5;
SQL
q -d src -c "SELECT * FROM scribe.rotate_diff()" >/dev/null
now_chain=$(q -d src -At -c "SELECT current_chain FROM scribe.status WHERE database = current_database()")
[ "$now_chain" = "$chain_id" ] && ok "the promoted standby continues chain $chain_id" ||
  fail "the chain changed: $chain_id -> $now_chain"
[ "$(ls -d "$backups"/src/chain-* | wc -l)" = 1 ] && ok "no new base" || fail "a new chain directory appeared"

restored_equal "the chain"

finish standby_failover
