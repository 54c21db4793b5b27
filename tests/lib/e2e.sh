# The frame of an end-to-end test of tests/e2e/. Source it from the
# repository's root; it sources cluster.sh, compare.sh, engine.sh and
# assert.sh (q, ok/fail, check, expect_sqlstate, expect_exit; the test ends
# with finish NAME).
#
#   make_backups_dir   $backups under the throwaway cluster's $work,
#                      writable by the postgres OS user
#   PG_SCRIBE          the pg_scribe client next to the server's binaries
e2e_lib=$(dirname "${BASH_SOURCE[0]}")
source "$e2e_lib/cluster.sh"
source "$e2e_lib/compare.sh"
source "$e2e_lib/engine.sh"
source "$e2e_lib/assert.sh"
PG_SCRIBE=${PG_SCRIBE:-$PG_BINDIR/pg_scribe}
make_backups_dir() {
  backups=$work/backups
  mkdir -p "$backups"
  chown postgres: "$backups" 2>/dev/null || true
}
