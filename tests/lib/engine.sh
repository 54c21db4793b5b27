# Helpers for the backup engine's end-to-end tests. Source after cluster.sh
# and compare.sh.
#
#   restore_chain CHAIN_DIR DB [N]  restore with psql alone into a new DB:
#                                   globals, base, then the first N sealed
#                                   diffs (default all) in name order
#   writer_start DB NAME            a client that commits small transactions
#                                   until writer_stop; it reconnects after
#                                   crashes and restarts
#   writer_stop NAME
#   wait_streaming DB [SECONDS]     until scribe.status says streaming/idle
#   slot_count                      replication slots in the cluster

# Backup files belong to the postgres OS user (0600): read them as it.
decompress_to_stdout() {
  case "$1" in
    *.zst) as_pg zstd -q -dc "$1" ;;
    *.lz4) as_pg lz4 -q -dc "$1" ;;
    *.gz) as_pg gzip -dc "$1" ;;
    *) as_pg cat "$1" ;;
  esac
}

restore_chain() {
  local chain=$1 db=$2 limit=${3:-}
  createdb -T template0 "$db"
  # Roles that exist already are errors here, on purpose not fatal.
  decompress_to_stdout "$chain/globals.sql" | psql -X -q -d "$db" >/dev/null 2>&1 || true
  decompress_to_stdout "$(ls "$chain"/base.sql* | head -1)" |
    psql -X -q -v ON_ERROR_STOP=1 -d "$db" >/dev/null || { echo "base.sql of $chain failed" >&2; return 1; }
  apply_diffs "$chain" "$db" "$limit"
}

# apply_diffs CHAIN_DIR DB [N]: the first N (default all) sealed diffs of the
# chain, in name order, on top of DB.
apply_diffs() {
  local chain=$1 db=$2 limit=${3:-} n=0 f
  for f in $(ls "$chain" | grep -E '^diff-[0-9TZ]+\.sql' | sort); do
    if [ -n "$limit" ] && [ "$n" -ge "$limit" ]; then break; fi
    decompress_to_stdout "$chain/$f" | psql -X -q -v ON_ERROR_STOP=1 -d "$db" >/dev/null ||
      { echo "$f of $chain failed" >&2; return 1; }
    n=$((n + 1))
  done
}

writer_start() {
  local db=$1 name=$2
  touch "$work/writer.$name"
  (
    i=0
    while [ -e "$work/writer.$name" ]; do
      i=$((i + 1))
      psql -X -q -d "$db" >/dev/null 2>&1 <<SQL || sleep 0.2
BEGIN;
INSERT INTO orders (customer, note, amount) VALUES ('c$i', E'quote '' backslash \\\\ $i', $i * 1.5);
UPDATE accounts SET balance = balance + 1, touched = now() WHERE id = 1 + $i % 50;
DELETE FROM orders WHERE id IN (SELECT id FROM orders ORDER BY id LIMIT 1) AND $i % 3 = 0;
INSERT INTO events (payload) VALUES ('{"n": $i}');
COMMIT;
UPDATE events SET payload = payload || '{"seen": true}' WHERE ctid = (SELECT ctid FROM events ORDER BY random() LIMIT 1);
SQL
    done
  ) &
  echo $! >"$work/writer.$name.pid"
}

writer_stop() {
  rm -f "$work/writer.$1"
  wait "$(cat "$work/writer.$1.pid")" 2>/dev/null || true
}

wait_streaming() {
  local db=$1 seconds=${2:-60} i
  for ((i = 0; i < seconds * 5; i++)); do
    case "$(psql -X -At -d "$db" -c "SELECT state FROM scribe.status WHERE database = current_database()" 2>/dev/null)" in
      streaming | idle) return 0 ;;
    esac
    sleep 0.2
  done
  echo "worker of $db did not come back to streaming" >&2
  psql -X -d "$db" -c "SELECT state, last_error FROM scribe.status" >&2 || true
  return 1
}

slot_count() { psql -X -At -d postgres -c "SELECT count(*) FROM pg_replication_slots"; }
