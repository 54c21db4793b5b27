# The frame of an end-to-end test of tests/e2e/. Source it from the
# repository's root; it sources cluster.sh, compare.sh and engine.sh.
#
#   q ARGS...          psql that stops at the first error
#   ok/fail TEXT       count a check and print it; the test ends with
#                      echo "NAME: $passed passed, $failed failed"
#   make_backups_dir   $backups under the throwaway cluster's $work,
#                      writable by the postgres OS user
#   PG_SCRIBE          the pg_scribe client next to the server's binaries
source tests/lib/cluster.sh
source tests/lib/compare.sh
source tests/lib/engine.sh
PG_SCRIBE=${PG_SCRIBE:-$PG_BINDIR/pg_scribe}
q() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }
passed=0 failed=0
ok() { echo "ok   $*"; passed=$((passed + 1)); }
fail() { echo "FAIL $*" >&2; failed=$((failed + 1)); }
make_backups_dir() {
  backups=$work/backups
  mkdir -p "$backups"
  chown postgres: "$backups" 2>/dev/null || true
}
