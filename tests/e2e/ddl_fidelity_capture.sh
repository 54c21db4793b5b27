#!/usr/bin/env bash
# Issue 15, classes 5, 6, 7a and 8 (tests/e2e/ddl/fidelity_capture.sql):
# DDL on temporary objects, EXPLAIN ANALYZE CREATE TABLE AS, CLUSTER USING,
# partition bounds written as expressions and statements on large objects
# run on src while DDL is captured; wal2sql's stream replays with psql
# alone (ON_ERROR_STOP) into dst, which started identical, and both then
# have the same schema (pg_dump --schema-only), the same table contents,
# the same clustered index and the same large objects (contents and
# metadata) but the one dst lacked from the start.
set -euo pipefail
cd "$(dirname "$0")/../.."
source tests/lib/e2e.sh
source tests/lib/ddl_replay.sh
start_throwaway_cluster ddl_fidelity

createdb src
q -d src -c "CREATE EXTENSION scribe" -c "SELECT lo_create(4710), lo_create(4711)" >/dev/null
createdb -T src dst
q -d dst -c "SELECT lo_unlink(4710)" >/dev/null
q -d src -At -c "SELECT 'slot' FROM pg_create_logical_replication_slot('ddl', 'wal2sql')" >/dev/null
q -d src -f tests/e2e/ddl/fidelity_capture.sql >"$work/script.log" 2>&1 ||
  { cat "$work/script.log" >&2; exit 1; }
q -d src -At -c "SELECT data FROM pg_logical_slot_get_changes('ddl', NULL, NULL)" >"$work/stream.sql"
# The replay comes later than the source's statements.
sleep 0.1

check replay_ok

check schema_identical

check content_identical

large_objects_as_far_as_present() {
  local query="SELECT oid, lomowner, lomacl, pg_catalog.obj_description(oid, 'pg_largeobject'), md5(lo_get(oid))
                 FROM pg_largeobject_metadata WHERE oid <> 4710 ORDER BY oid"
  if [ "$(q -d src -At -c "$query")" = "$(q -d dst -At -c "$query")" ] &&
     grep -q 'statement skipped: a large object it names is not in this database' "$work/replay.log"; then
    echo "ok   large objects created, written, granted on, unlinked replay; a statement on one dst lacks is skipped with a warning"
  else
    echo "FAIL large objects did not replay as expected" >&2
    diff <(q -d src -At -c "$query") <(q -d dst -At -c "$query") >&2 || true
    return 1
  fi
}
check large_objects_as_far_as_present

no_temporary_objects() {
  if grep -q -i 'scratch' "$work/stream.sql"; then
    echo "FAIL a temporary object reached the stream:" >&2
    grep -i 'scratch' "$work/stream.sql" | head -5 >&2
    return 1
  fi
  echo "ok   DDL on temporary objects stays out of the stream"
}
check no_temporary_objects

finish ddl_fidelity_capture
