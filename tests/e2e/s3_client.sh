#!/bin/bash
# The S3 client (src/core/s3.cpp) against a real S3 API server: s3rver on a
# loopback port, and tests/s3/flaky_proxy.js in front of it answering 503s,
# cutting a download half-way, or refusing every request (403). Runs the
# S3Live GoogleTest cases of the newest build/cmake*/core_tests (built when
# there is none).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
source "$ROOT/tests/lib/s3.sh"
WORK=$(mktemp -d /tmp/scribe-s3-client.XXXXXX)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  s3_stop "$WORK"
  rm -rf "$WORK"
}
trap cleanup EXIT

s3_start "$WORK"
# A secret no server checks: it must never show in the server's log.
export SCRIBE_TEST_S3_SECRET=never-logged-$RANDOM$RANDOM
export SCRIBE_TEST_S3_ENDPOINT=$S3_ENDPOINT SCRIBE_TEST_S3_REPO=s3://$S3_BUCKET/client
FLAKY_PORT=$((S3_PORT + 1)) DENY_PORT=$((S3_PORT + 2))
FAIL_FIRST=3 CUT_GET=1 node "$ROOT/tests/s3/flaky_proxy.js" "$FLAKY_PORT" "$S3_PORT" & PIDS+=($!)
DENY=1 node "$ROOT/tests/s3/flaky_proxy.js" "$DENY_PORT" "$S3_PORT" & PIDS+=($!)
s3_wait_port "$FLAKY_PORT"
s3_wait_port "$DENY_PORT"
export SCRIBE_TEST_S3_FLAKY_ENDPOINT=http://127.0.0.1:$FLAKY_PORT
export SCRIBE_TEST_S3_DENY_ENDPOINT=http://127.0.0.1:$DENY_PORT

CORE_TESTS=${SCRIBE_CORE_TESTS:-$(ls -t "$ROOT"/build/cmake*/core_tests 2>/dev/null | head -1 || true)}
if [ -z "$CORE_TESTS" ]; then
  cmake -S "$ROOT" -B "$ROOT/build/cmake" -DPG_CONFIG="${PG_CONFIG:-${PG_BINDIR:+$PG_BINDIR/}pg_config}" >/dev/null
  cmake --build "$ROOT/build/cmake" -j2 >/dev/null
  CORE_TESTS=$ROOT/build/cmake/core_tests
fi
"$CORE_TESTS" --gtest_filter='S3*' 2>&1 | tee "$WORK/gtest.log" | tail -40
if grep -q SKIPPED "$WORK/gtest.log"; then echo "FAIL: live S3 tests were skipped"; exit 1; fi
if grep -q "$SCRIBE_TEST_S3_SECRET" "$S3_LOG"; then echo "FAIL: the secret key is in the server log"; exit 1; fi
echo "s3_client: ok"
