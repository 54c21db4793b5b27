# Checks of a captured stream ($work/stream.sql) replayed with psql alone
# from database src into dst, for the DDL tests of tests/e2e/. Source it
# after tests/lib/e2e.sh; each check prints ok or FAIL and returns its
# verdict, for check CMD (tests/lib/assert.sh) to count.

replay_ok() {
  if q -d dst -f "$work/stream.sql" >"$work/replay.log" 2>&1; then
    echo "ok   the stream replays with psql -v ON_ERROR_STOP=1"
  else
    echo "FAIL the stream does not replay:" >&2
    tail -5 "$work/replay.log" >&2
    return 1
  fi
}

schema_identical() {
  # The \restrict key of pg_dump 15.14+ differs on every run.
  pg_dump --no-sync --schema-only -d src | grep -v -e '^\\restrict ' -e '^\\unrestrict ' >"$work/src.schema"
  pg_dump --no-sync --schema-only -d dst | grep -v -e '^\\restrict ' -e '^\\unrestrict ' >"$work/dst.schema"
  if diff "$work/src.schema" "$work/dst.schema" >"$work/schema.diff"; then
    echo "ok   pg_dump --schema-only of src and dst is identical ($(wc -l <"$work/src.schema") lines)"
  else
    echo "FAIL pg_dump --schema-only differs:" >&2
    head -30 "$work/schema.diff" >&2
    return 1
  fi
}

content_identical() {
  table_checksums src >"$work/src.sums"
  table_checksums dst >"$work/dst.sums"
  if diff "$work/src.sums" "$work/dst.sums" >"$work/sums.diff"; then
    echo "ok   every table's content is identical ($(wc -l <"$work/src.sums") tables)"
  else
    echo "FAIL table contents differ:" >&2
    cat "$work/sums.diff" >&2
    return 1
  fi
}
