# The checks of the shell tests (tests/e2e, tests/reliability) and their
# count: one definition each. Source it; tests/lib/e2e.sh and
# tests/lib/reliability.sh do.
#
#   q ARGS...            psql without psqlrc, quiet, stopping at the first
#                        error (add -At where a value is read)
#   ok TEXT / fail TEXT  count a check and print it ("ok   TEXT" on stdout,
#                        "FAIL TEXT" on stderr); tests/reliability/run.sh
#                        counts these lines
#   check CMD...         run CMD, a check that prints its own ok/FAIL line
#                        and returns its verdict, and count that verdict
#   expect_sqlstate CODE DB SQL [PATTERN]
#                        SQL run in DB fails with SQLSTATE CODE (and its
#                        message, detail or hint matches PATTERN, grep -E)
#   expect_exit CODE PATTERN ARGS...
#                        $PG_SCRIBE ARGS exits with CODE and its stdout or
#                        stderr matches PATTERN (grep -E); both are kept in
#                        $work/out and $work/err
#   finish [NAME]        prints "NAME: P passed, F failed" (NAME: the
#                        script's name by default); status 1 on any failure,
#                        so that a test ends with it

q() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }

passed=0 failed=0
ok() { echo "ok   $*"; passed=$((passed + 1)); }
fail() { echo "FAIL $*" >&2; failed=$((failed + 1)); }

check() {
  if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
}

expect_sqlstate() {
  local code=$1 db=$2 sql=$3 pattern=${4:-} out
  out=$(psql -X -q -v VERBOSITY=verbose -d "$db" -c "$sql" 2>&1 >/dev/null) && {
    fail "no error from: $sql"
    return
  }
  if grep -q "ERROR:  $code:" <<<"$out" && { [ -z "$pattern" ] || grep -Eq -- "$pattern" <<<"$out"; }; then
    ok "$code from: ${sql:0:100}"
  else
    fail "expected $code${pattern:+ and /$pattern/} from: $sql; got: $(head -3 <<<"$out")"
  fi
}

expect_exit() {
  local code=$1 pattern=$2 status=0
  shift 2
  "$PG_SCRIBE" "$@" >"$work/out" 2>"$work/err" || status=$?
  if [ "$status" = "$code" ] && grep -Eq -- "$pattern" "$work/err" "$work/out"; then
    ok "exit $code: pg_scribe ${*:1:6}"
  else
    fail "pg_scribe $*: expected exit $code and /$pattern/, got $status:"
    sed 's/^/    /' "$work/err" | head -20 >&2
  fi
}

finish() {
  echo "${1:-$(basename "$0" .sh)}: $passed passed, $failed failed"
  [ "$failed" = 0 ]
}
