#!/usr/bin/env bash
# A LATIN1 database streamed two ways: through the SQL functions (whose
# result the server converts to the client's encoding, UTF8 here) and
# through pg_recvlogical (the database's bytes, unconverted). Each stream
# must declare the encoding its bytes are in, so both replay to identical
# content.
set -euo pipefail
cd "$(dirname "$0")/../.."
source tests/lib/e2e.sh
start_throwaway_cluster encoding
export PGCLIENTENCODING=UTF8

createdb -E LATIN1 -T template0 --locale=C src
q -d src -c "CREATE TABLE t (id int PRIMARY KEY, v text, w varchar(300))"
createdb -T src dst_sql
createdb -T src dst_walsender
q -d src -c "SELECT 'slot' FROM pg_create_logical_replication_slot('enc', 'wal2sql')" >/dev/null
# Every LATIN1 character above ASCII, one row each, plus a mixed string.
q -d src <<'SQL'
INSERT INTO t SELECT c, chr(c) || ' café', repeat(chr(c), 3) FROM generate_series(160, 255) c;
INSERT INTO t VALUES (1, 'Ærøskøbing ½ ÿ ß', 'naïve façade');
UPDATE t SET v = v || ' ¶' WHERE id % 2 = 0;
SQL
end_lsn=$(q -d src -At -c "SELECT pg_current_wal_lsn()")
q -d src -At -c "SELECT data FROM pg_logical_slot_peek_changes('enc', NULL, NULL)" >"$work/sql_api.sql"
pg_recvlogical -d src --slot enc --start --endpos="$end_lsn" --no-loop -f "$work/walsender.sql"

# stream_replays NAME FILE ENCODING: FILE declares ENCODING and replays
# into dst_NAME to the source's content.
stream_replays() {
  local name=$1 file=$2 encoding=$3
  if ! grep -q "^SET client_encoding = '$encoding';$" "$file"; then
    fail "$name: stream does not declare $encoding"
    return
  fi
  q -d "dst_$name" -f "$file" >/dev/null
  if compare_databases src "dst_$name" "$work"; then
    ok "$name: declares $encoding, replays identical"
  else
    fail "$name: replayed content differs"
  fi
}
stream_replays sql "$work/sql_api.sql" UTF8
stream_replays walsender "$work/walsender.sql" LATIN1
finish non_utf8_database
