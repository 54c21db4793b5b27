#!/usr/bin/env bash
# The object-store repository, read side (issue 20): a backup uploaded to
# s3rver with scribe.s3_remove_local on (so nothing can come from the
# backup directory), zstd-compressed; pg_scribe --restore --repo s3://...
# at three moments (--up-to) and to the end, one with --jobs 2 (ranged and
# streamed reads), each equal to the source at that moment (pg_dump and
# per-table content); --status --repo lists the chains; --verify --repo
# passes, then catches an object altered in the store, and a restore
# refuses it.
set -euo pipefail
cd "$(dirname "$0")/../.."
source tests/lib/e2e.sh
source tests/lib/s3.sh

s3dir=$(mktemp -d /tmp/pg_scribe_s3store.XXXXXX)
s3_start "$s3dir"
CLUSTER_EXTRA_CONF="scribe.s3_endpoint = '$S3_ENDPOINT'
scribe.s3_access_key_id = 'S3RVER'
scribe.s3_secret_access_key = 'S3RVER'
scribe.s3_upload_interval = 200
scribe.s3_remove_local = on"
start_throwaway_cluster s3_restore
cleanup() {
  set +e
  cluster_stop "$work/cluster"
  s3_stop "$s3dir"
  rm -rf "$work" "$s3dir"
}
trap cleanup EXIT
make_backups_dir
REPO=s3://$S3_BUCKET/app

wait_uploaded() {
  local i
  for i in $(seq 1 300); do
    [ "$(psql -X -At -d app -c "SELECT upload_files_waiting = 0 AND upload_last_error IS NULL FROM scribe.status")" = t ] &&
      [ -z "$(ls "$backups"/app/chain-*/ | grep '^diff-')" ] && return 0
    sleep 0.2
  done
  return 1
}

createdb app
q -d app -f tests/e2e/cli/schema.sql >/dev/null
q -d app -c "CREATE EXTENSION scribe" -c "SELECT scribe.init('$backups/app', compression => 'zstd', repository => '$REPO')" >/dev/null

moments=()
for k in 1 2 3 4; do
  q -d app -v k=$k -f tests/e2e/cli/batch.sql >/dev/null
  [ $k = 2 ] && q -d app -c "ALTER TABLE accounts ADD COLUMN extra text DEFAULT 'x'"
  sleep 0.3
  moments+=("$(psql -X -At -d app -c "SELECT clock_timestamp()")")
  table_checksums app >"$work/state.$k.sums"
  normalized_dump app >"$work/state.$k.dump"
  sleep 0.3
  q -d app -c "SELECT scribe.rotate_diff()" >/dev/null
done
if wait_uploaded; then ok "all sealed files uploaded and removed from the backup directory"
else fail "uploads did not finish"; fi

echo "-- restores from the bucket"
for k in 1 2 3; do
  jobs=1
  [ $k = 3 ] && jobs=2
  expect_exit 0 'Stopped at the target' --restore --repo "$REPO" -d "pit_$k" --create --jobs $jobs --up-to "${moments[$((k - 1))]}"
  same_as_state "pit_$k" $k "restore --repo --up-to moment $k (--jobs $jobs)"
done
requests_before=$(grep -cE ' [0-9]+ms ' "$S3_LOG" || true)
expect_exit 0 'Restore complete' --restore --repo "$REPO" -d whole --create
requests=$(($(grep -cE ' [0-9]+ms ' "$S3_LOG" || true) - requests_before))
chain_bytes=$(cat "$s3dir"/data/"$S3_BUCKET"/app/chain-*/*._S3rver_object | wc -c)
diffs=$(ls "$s3dir"/data/"$S3_BUCKET"/app/chain-*/ | grep -c '^diff-.*_S3rver_object$')
echo "measured: a whole restore of one chain ($diffs diffs, $chain_bytes bytes stored) made $requests requests"
same_as_state whole 4 "restore --repo to the last sealed diff"
expect_exit 0 "chain-" --status --repo "$REPO"

echo "-- verify from the bucket"
expect_exit 0 'OK|ok|passed' --verify --repo "$REPO"
# Alter one diff in the store (same size, one byte changed), as a damaged
# or tampered object would be.
object=$(ls "$s3dir"/data/"$S3_BUCKET"/app/chain-*/diff-*._S3rver_object | sort | sed -n 2p)
printf 'X' | dd of="$object" bs=1 seek=100 conv=notrunc status=none
expect_exit 4 "$(basename "${object%._S3rver_object}")" --verify --repo "$REPO"
status=0
"$PG_SCRIBE" --restore --repo "$REPO" -d refused --create >"$work/out" 2>&1 || status=$?
if [ $status != 0 ] && ! psql -X -At -d postgres -c "SELECT 1 FROM pg_database WHERE datname = 'refused'" | grep -q 1; then
  ok "restore refuses a chain with an altered object (exit $status)"
else fail "restore applied an altered object (exit $status)"; fi

# An object missing from the store (deleted by a lifecycle rule or by hand).
gone=$(ls "$s3dir"/data/"$S3_BUCKET"/app/chain-*/diff-*._S3rver_object | sort | sed -n 3p)
rm -f "${gone%._S3rver_object}"._S3rver_*
expect_exit 4 "$(basename "${gone%._S3rver_object}"): file is missing" --verify --repo "$REPO"

q -d app -c "SELECT scribe.teardown()" >/dev/null
echo "s3_restore: $passed passed, $failed failed"
[ "$failed" = 0 ]
