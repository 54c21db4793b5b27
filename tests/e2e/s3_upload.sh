#!/usr/bin/env bash
# The object-store repository, upload side (issue 20): scribe.init(...,
# repository => 's3://bucket/prefix') against s3rver; writes, rotations, a
# new chain; every sealed file (a base large enough for a multipart upload)
# arrives in the store byte for byte, in order (owner file, then per chain
# base, globals, metadata, diffs, the manifest after them), each once. The
# store stopped: streaming and sealing go on, scribe.status counts what
# waits and shows the error; the store back: all of it arrives. A store
# refusing the credentials (a proxy answering 403, since s3rver checks no
# secret) is reported likewise. scribe.s3_remove_local removes what the
# store confirmed. The secret is in no log line, status column or error.
set -euo pipefail
cd "$(dirname "$0")/../.."
source tests/lib/e2e.sh
source tests/lib/s3.sh

s3dir=$(mktemp -d /tmp/pg_scribe_s3store.XXXXXX)
s3_start "$s3dir"
SECRET=sk-never-shown-$RANDOM$RANDOM$RANDOM
CLUSTER_EXTRA_CONF="scribe.s3_endpoint = '$S3_ENDPOINT'
scribe.s3_access_key_id = 'S3RVER'
scribe.s3_secret_access_key = '$SECRET'
scribe.s3_upload_interval = 200
scribe.s3_part_size = 5"
start_throwaway_cluster s3_upload
proxy_pid=
cleanup() {
  set +e
  rm -f "$work"/writer.*
  [ -n "$proxy_pid" ] && kill "$proxy_pid" 2>/dev/null
  cluster_stop "$work/cluster"
  s3_stop "$s3dir"
  rm -rf "$work" "$s3dir"
}
trap cleanup EXIT
make_backups_dir
repo_dir=$s3dir/data/$S3_BUCKET/db1
status() { psql -X -At -d src -c "SELECT $1 FROM scribe.status WHERE database = 'src'"; }

# Every sealed file of every chain is in the store with the same bytes.
store_matches_local() {
  local chain f bad=0
  for chain in "$backups"/db/chain-*; do
    for f in $(ls "$chain"); do
      [ "$f" = active.sql ] && continue
      cmp -s "$chain/$f" "$repo_dir/$(basename "$chain")/$f._S3rver_object" || { echo "differs: $chain/$f" >&2; bad=1; }
    done
  done
  cmp -s "$backups/db/scribe.json" "$repo_dir/scribe.json._S3rver_object" || bad=1
  return $bad
}

# wait_uploaded: until nothing waits, the last pass had no error, and the
# store has every sealed file (a pass may have counted before a rotation).
wait_uploaded() {
  local i
  for i in $(seq 1 300); do
    [ "$(status "upload_files_waiting = 0 AND upload_last_error IS NULL")" = t ] && store_matches_local 2>/dev/null && return 0
    sleep 0.2
  done
  psql -X -d src -c "SELECT upload_files_waiting, upload_bytes_waiting, upload_last_error, warnings FROM scribe.status" >&2
  return 1
}

q -d postgres -c "CREATE DATABASE src"
q -d src <<'SQL'
CREATE EXTENSION scribe;
CREATE TABLE orders (id bigserial PRIMARY KEY, customer text, note text, amount numeric);
CREATE TABLE accounts (id int PRIMARY KEY, balance bigint, touched timestamptz);
INSERT INTO accounts SELECT g, 0, now() FROM generate_series(1, 50) g;
CREATE TABLE events (id bigserial PRIMARY KEY, payload jsonb);
-- A base over scribe.s3_part_size: uploaded in parts.
CREATE TABLE bulk AS SELECT g, md5(g::text) || md5((g + 1)::text) AS t FROM generate_series(1, 120000) g;
SQL

if q -d src -c "SELECT scribe.init('$backups/bad', repository => 'https://example.com/x')" 2>"$work/err"; then
  fail "init refuses a repository that is not s3://"
elif grep -q "is not an s3:// URL" "$work/err"; then ok "init refuses a repository that is not s3://"
else fail "init: $(cat "$work/err")"; fi

q -d src -c "SELECT chain_id FROM scribe.init('$backups/db', repository => 's3://$S3_BUCKET/db1')" >/dev/null
writer_start src w
sleep 1
q -d src -c "SELECT scribe.rotate_diff()" >/dev/null
sleep 1
q -d src -c "SELECT scribe.rotate_diff()" >/dev/null
q -d src -c "SELECT scribe.new_chain()" >/dev/null
sleep 1
q -d src -c "SELECT scribe.rotate_diff()" >/dev/null
if wait_uploaded; then ok "init to the bucket, rotations and a new chain: nothing waits"; else fail "init to the bucket, rotations and a new chain: nothing waits"; fi
if [ "$(ls -d "$backups"/db/chain-* | wc -l)" = 2 ] && store_matches_local; then
  ok "every sealed file of both chains is in the store, byte for byte"
else fail "the store does not match the backup directory"; fi
if [ "$(status repository)" = "s3://$S3_BUCKET/db1" ]; then ok "scribe.status shows the repository"; else fail "scribe.status shows the repository"; fi

# The store away: streaming and sealing go on; status says what waits.
s3_stop "$s3dir"
sleep 0.5
q -d src -c "SELECT scribe.rotate_diff()" >/dev/null && sleep 0.5 && q -d src -c "SELECT scribe.rotate_diff()" >/dev/null &&
  ok "rotations succeed while the store is down"
for i in $(seq 1 100); do [ "$(status "upload_files_waiting >= 3 AND upload_last_error IS NOT NULL")" = t ] && break; sleep 0.2; done
if [ "$(status "upload_files_waiting >= 3 AND upload_bytes_waiting > 0 AND upload_last_error IS NOT NULL")" = t ] &&
   status "array_to_string(warnings, ';')" | grep -q "upload to s3://$S3_BUCKET/db1 failing"; then
  ok "store down: status counts the files and bytes waiting and shows the error ($(status upload_files_waiting) files)"
else fail "store down: status does not show what waits: $(status "upload_files_waiting || ' ' || coalesce(upload_last_error, '-')")"; fi
case "$(status state)" in
  streaming | idle) ok "the worker streams on while the store is down" ;;
  *) fail "worker state while the store is down: $(status "state || ' ' || coalesce(last_error, '')")" ;;
esac
sleep 2  # a while, with retries and back-off
s3_restart "$s3dir"
if wait_uploaded && store_matches_local; then ok "store back: everything uploaded"; else fail "store back: everything uploaded"; fi

# Order and exactly once, from the server's log of stored objects.
grep -o 'Stored object "[^"]*"' "$S3_LOG" | sed 's/Stored object "//; s/"$//' >"$work/stored"
grep -v '/manifest.json$' "$work/stored" >"$work/stored.files"
if [ -z "$(sort "$work/stored.files" | uniq -d)" ]; then ok "each sealed file uploaded once ($(wc -l <"$work/stored.files") files)"
else fail "uploaded more than once: $(sort "$work/stored.files" | uniq -d | tr '\n' ' ')"; fi
# Per chain: base, globals, metadata, diffs in manifest order. Across
# chains the old chain's last diff, sealed when the new chain took over,
# may follow the new chain's base (it is sealed after that base exists).
order_ok=1
[ "$(head -1 "$work/stored.files")" = db1/scribe.json ] || order_ok=0
for chain in "$backups"/db/chain-*; do
  c=$(basename "$chain")
  {
    echo "db1/$c/$(ls "$chain" | grep '^base\.sql')"
    echo "db1/$c/globals.sql"
    echo "db1/$c/metadata.json"
    ls "$chain" | grep '^diff-' | sort | sed "s|^|db1/$c/|"
  } >"$work/expected.$c"
  grep "^db1/$c/" "$work/stored.files" >"$work/stored.$c" || true
  diff "$work/expected.$c" "$work/stored.$c" >>"$work/order.diff" || order_ok=0
done
if [ $order_ok = 1 ]; then ok "uploaded in order: owner file first, then per chain base, globals, metadata, diffs"
else fail "upload order differs: $(cat "$work/order.diff")"; fi
manifest_after=1
while read -r key; do
  chain=${key%/*}
  [ "$chain" = db1 ] && continue  # the owner file belongs to no chain
  line=$(grep -nxF "$key" "$work/stored" | head -1 | cut -d: -f1)
  last_manifest=$(grep -nxF "$chain/manifest.json" "$work/stored" | tail -1 | cut -d: -f1 || true)
  [ -n "$last_manifest" ] && [ "$last_manifest" -gt "$line" ] || manifest_after=0
done <"$work/stored.files"
if [ $manifest_after = 1 ]; then ok "each chain's manifest uploaded after the files it lists"
else fail "a file was uploaded after its chain's last manifest"; fi
grep -q "multipart\|Stored object \"db1/chain-[^\"]*/base.sql\"" "$S3_LOG" && [ "$(stat -c %s "$(ls "$backups"/db/chain-*/base.sql | head -1)")" -gt $((5 << 20)) ] &&
  ok "a base over scribe.s3_part_size went up (multipart) and matches"

# Refused credentials: a proxy answering 403 to everything.
deny_port=$((S3_PORT + 1))
DENY=1 node tests/s3/flaky_proxy.js "$deny_port" "$S3_PORT" &
proxy_pid=$!
s3_wait_port "$deny_port"
q -d src -c "ALTER SYSTEM SET scribe.s3_endpoint = 'http://127.0.0.1:$deny_port'" -c "SELECT pg_reload_conf()" >/dev/null
sleep 0.5
q -d src -c "SELECT scribe.rotate_diff()" >/dev/null
for i in $(seq 1 100); do status upload_last_error | grep -q "HTTP 403" && break; sleep 0.2; done
if status upload_last_error | grep -q "refused .*HTTP 403"; then ok "refused credentials: status shows the 403 ($(status upload_last_error))"
else fail "refused credentials not shown: $(status upload_last_error)"; fi
q -d src -c "ALTER SYSTEM RESET scribe.s3_endpoint" -c "SELECT pg_reload_conf()" >/dev/null
if wait_uploaded && store_matches_local; then ok "credentials accepted again: the waiting file is uploaded"; else fail "credentials accepted again: the waiting file is uploaded"; fi

# scribe.s3_remove_local: what the store confirmed leaves the backup directory.
q -d src -c "ALTER SYSTEM SET scribe.s3_remove_local = on" -c "SELECT pg_reload_conf()" >/dev/null
q -d src -c "SELECT scribe.rotate_diff()" >/dev/null
wait_uploaded || fail "uploads did not complete"
sleep 0.5
left=$(ls "$backups"/db/chain-*/ | grep -cE '^(base\.sql|globals\.sql|diff-)' || true)
if [ "$left" = 0 ] && ls "$backups"/db/chain-*/manifest.json >/dev/null; then ok "s3_remove_local: bases, globals and diffs removed locally, manifests kept"
else fail "s3_remove_local left $left files"; fi
q -d src -c "SELECT scribe.rotate_diff()" >/dev/null
if wait_uploaded && [ "$(status state)" != error ]; then ok "rotations go on after local copies were removed"; else fail "rotations go on after local copies were removed"; fi
for chain in "$backups"/db/chain-*; do
  c=$(basename "$chain")
  for f in $(grep -o '"file": *"[^"]*"' "$chain/manifest.json" | sed 's/.*"\([^"]*\)"$/\1/'); do
    [ -f "$repo_dir/$c/$f._S3rver_object" ] || { fail "$c/$f listed in the manifest but not in the store"; }
  done
done
ok "every file the manifests list is in the store"
writer_stop w

# A server restart: the uploader starts with the server (registered at
# start because a backup has a repository) and goes on.
as_pg "$PG_BINDIR/pg_ctl" -D "$work/cluster/data" -l "$work/cluster/server.log" -w -m fast restart >/dev/null
wait_streaming src
q -d src -c "INSERT INTO orders (customer) VALUES ('after restart')" -c "SELECT scribe.rotate_diff()" >/dev/null
if wait_uploaded && [ -n "$(psql -X -At -d src -c "SELECT uploader_pid FROM scribe.upload_status()")" ]; then
  ok "after a server restart the uploader runs and uploads the next diff"
else fail "no uploads after a server restart"; fi

# Credentials: not in any log line, status column or setting a plain role sees.
if grep -rq "$SECRET" "$S3_LOG" "$work/cluster/server.log"; then fail "the secret key is in a log"; else ok "the secret key is in no log"; fi
if psql -X -At -d src -c "SELECT s::text FROM scribe.status s" | grep -q "$SECRET\|S3RVER"; then fail "credentials in scribe.status"
else ok "no credentials in scribe.status"; fi
q -d src -c "CREATE ROLE plain LOGIN"
if psql -X -At -U plain -d src -c "SHOW scribe.s3_secret_access_key" >/dev/null 2>&1; then fail "a plain role reads the secret key"
else ok "a plain role cannot read scribe.s3_secret_access_key"; fi
q -d src -c "SELECT scribe.teardown()" >/dev/null

echo "s3_upload: $passed passed, $failed failed"
[ "$failed" = 0 ]
