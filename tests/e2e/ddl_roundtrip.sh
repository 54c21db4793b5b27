#!/usr/bin/env bash
# DDL round trip: a scripted schema evolution (tests/e2e/ddl/evolution.sql,
# over 50 DDL statements mixed with DML) runs on src with the scribe
# extension capturing DDL; wal2sql's stream is replayed with psql alone
# into dst, which started identical. Then pg_dump --schema-only of both
# must be identical (plain diff) and so must every table's content.
set -euo pipefail
cd "$(dirname "$0")/../.."
source tests/lib/e2e.sh
source tests/lib/ddl_replay.sh
start_throwaway_cluster ddl

createdb src
q -d src -c "CREATE EXTENSION scribe"
createdb -T src dst
q -d src -At -c "SELECT 'slot ' || lsn FROM pg_create_logical_replication_slot('ddl', 'wal2sql')" >/dev/null
q -d src -f tests/e2e/ddl/evolution.sql >"$work/evolution.log" 2>&1 ||
  { cat "$work/evolution.log" >&2; exit 1; }
ddl_count=$(grep -c -E '^(CREATE|ALTER|DROP|COMMENT|GRANT|REVOKE|REFRESH)|\\; (CREATE|ALTER)' tests/e2e/ddl/evolution.sql)
q -d src -At -c "SELECT data FROM pg_logical_slot_get_changes('ddl', NULL, NULL)" >"$work/stream.sql"
replayed=$(grep -c '^SET ROLE ' "$work/stream.sql" || true)
echo "evolution: $ddl_count DDL lines in the script, $replayed captured statements in the stream"

check replay_ok

check schema_identical

check content_identical

enough_ddl() {
  if [ "$replayed" -ge 50 ]; then
    echo "ok   at least 50 DDL statements were captured and replayed ($replayed)"
  else
    echo "FAIL only $replayed DDL statements captured" >&2
    return 1
  fi
}
check enough_ddl

no_temporary_objects() {
  if grep -q -i 'scratch' "$work/stream.sql"; then
    echo "FAIL a temporary table reached the stream" >&2
    return 1
  fi
  echo "ok   temporary objects stay out of the stream"
}
check no_temporary_objects

# A database without the extension: no capture there (and no cost but the
# hook's bookkeeping).
only_where_installed() {
  createdb plain
  q -d plain -c "SELECT 'slot' FROM pg_create_logical_replication_slot('plain', 'wal2sql')" >/dev/null
  q -d plain -c "CREATE TABLE not_captured (id int); INSERT INTO not_captured VALUES (1)"
  q -d plain -At -c "SELECT data FROM pg_logical_slot_get_changes('plain', NULL, NULL)" >"$work/plain.sql"
  if grep -q 'CREATE TABLE' "$work/plain.sql" || ! grep -q 'INSERT INTO public.not_captured' "$work/plain.sql"; then
    echo "FAIL a database without the extension had its DDL captured (or lost its DML)" >&2
    return 1
  fi
  echo "ok   DDL is captured only in databases with the extension"
}
check only_where_installed

finish ddl_roundtrip
