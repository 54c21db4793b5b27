# Compare two databases by content, not by row counts. Source this file;
# needs psql/pg_dump on PATH and PGHOST/PGPORT/PGUSER set.
#
#   table_checksums DB        one line per user table: name|md5 of the md5s
#                             of its rows' text, sorted (duplicates count);
#                             row hashes, not row texts, so that a table
#                             over 1 GB of text (a text value's limit) is
#                             summed too
#   row_hashes DB             one line per row of every user table:
#                             name|md5 of its text, sorted: which rows one
#                             database has that another has not (comm)
#   normalized_dump DB [ARG...]
#                             pg_dump (schema and data, or as ARGs say:
#                             --schema-only), comments and sequence values
#                             removed, lines sorted
#   compare_databases A B DIR 0 if both are equal; otherwise prints what
#                             differs and returns 1 (DIR keeps the files)
#
# Tables and materialized views. Left out of the dump comparison: sequence values (logical decoding does not carry
# them; the backup engine records them when it seals a file) and pg_scribe's own extension, which base.sql omits so
# that a restore needs no pg_scribe.

# The settings under which a value's text is the same in every session.
checksum_settings="SET extra_float_digits = 3;
SET DateStyle = 'ISO, YMD';
SET IntervalStyle = 'postgres';
SET TimeZone = 'UTC';
SET bytea_output = 'hex';
SET lc_monetary = 'C';"

# ROW(t.*) and not t: a column named "t" would shadow the row alias.
table_checksums() {
  {
    echo "$checksum_settings"
    cat <<'SQL'
SELECT format('SELECT %L || ''|'' || md5(coalesce(string_agg(md5(ROW(t.*)::text), E''\n'' ORDER BY md5(ROW(t.*)::text) COLLATE "C"), '''')) FROM %I.%I t',
              n.nspname || '.' || c.relname, n.nspname, c.relname)
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind IN ('r', 'm') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_toast'
 ORDER BY n.nspname COLLATE "C", c.relname COLLATE "C" \gexec
SQL
  } | psql -X -q -At -v ON_ERROR_STOP=1 -d "$1"
}

row_hashes() {
  {
    echo "$checksum_settings"
    cat <<'SQL'
SELECT format('SELECT %L || ''|'' || md5(ROW(t.*)::text) FROM %I.%I t', n.nspname || '.' || c.relname, n.nspname, c.relname)
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind IN ('r', 'm') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_toast'
 ORDER BY n.nspname COLLATE "C", c.relname COLLATE "C" \gexec
SQL
  } | psql -X -q -At -v ON_ERROR_STOP=1 -d "$1" | LC_ALL=C sort
}

# normalized_dump DB [PG_DUMP_ARGS...]: extra arguments go to pg_dump
# (--schema-only, say). With COLUMN_ORDER_FREE=FILE (qualified table names
# as pg_dump writes them, one per line), the column lines of those tables'
# CREATE TABLE are compared without their order (a plain dump cannot keep
# the column order of some inheritance children: README, "Known limits").
normalized_dump() {
  # pg_dump 15.14+ brackets its script with \restrict / \unrestrict and a
  # random key, different on every run. The whole database, as base.sql has
  # it (bgworker/base.cpp): no --extension pattern, which would hide event
  # triggers, casts, servers, publications, large objects and more; only
  # scribe's own entries left out: the extension, its comment, and the
  # GRANTs/REVOKEs and security labels on its members (tests put nothing of
  # their own in schema scribe).
  pg_dump --no-sync "${@:2}" -d "$1" |
    awk -v list="${COLUMN_ORDER_FREE:-}" '
      BEGIN { if (list != "") while ((getline l < list) > 0) free[l] = 1 }
      /^CREATE TABLE .* \($/ { name = substr($0, 14); sub(/ \($/, "", name); in_free = name in free; print; next }
      in_free && /^\)/ { in_free = 0 }
      in_free { sub(/,$/, "") }
      { print }' |
    grep -v -E -e '^--' -e '^SELECT pg_catalog.setval' -e '^\\(un)?restrict ' \
      -e '^CREATE EXTENSION IF NOT EXISTS scribe WITH SCHEMA scribe;$' -e '^COMMENT ON EXTENSION scribe IS ' \
      -e '^(GRANT|REVOKE) .* ON (FUNCTION|PROCEDURE|TABLE|SEQUENCE|TYPE|DOMAIN) scribe\.' \
      -e '^SECURITY LABEL .* ON (FUNCTION|PROCEDURE|TABLE|VIEW|SEQUENCE|TYPE|DOMAIN|EVENT TRIGGER) scribe' -e '^$' |
    LC_ALL=C sort
}

compare_databases() {
  local a=$1 b=$2 dir=$3 status=0
  # A failed checksum query (psql stops at the first error) must not leave
  # two equally truncated lists that compare equal.
  table_checksums "$a" >"$dir/$a.sums" || { echo "table checksums of $a failed" >&2; status=1; }
  table_checksums "$b" >"$dir/$b.sums" || { echo "table checksums of $b failed" >&2; status=1; }
  normalized_dump "$a" >"$dir/$a.dump"
  normalized_dump "$b" >"$dir/$b.dump"
  if ! diff "$dir/$a.sums" "$dir/$b.sums" >"$dir/sums.diff"; then
    echo "tables whose content differs ($a < > $b):" >&2
    cat "$dir/sums.diff" >&2
    status=1
  fi
  if ! diff "$dir/$a.dump" "$dir/$b.dump" >"$dir/dump.diff"; then
    echo "pg_dump output differs ($a < > $b), first lines:" >&2
    head -20 "$dir/dump.diff" | cut -c1-200 >&2
    status=1
  fi
  return $status
}

# same_as_state DB K WHAT: DB equals the source as recorded at moment K
# ($work/state.K.sums from table_checksums, $work/state.K.dump from
# normalized_dump); counted with ok/fail (tests/lib/assert.sh).
same_as_state() {
  local db=$1 k=$2 what=$3
  table_checksums "$db" >"$work/$db.sums"
  normalized_dump "$db" >"$work/$db.dump"
  if diff -q "$work/state.$k.sums" "$work/$db.sums" >/dev/null && diff -q "$work/state.$k.dump" "$work/$db.dump" >/dev/null; then
    ok "$what equals the source at moment $k"
  else
    fail "$what differs from the source at moment $k"
    diff "$work/state.$k.sums" "$work/$db.sums" | head -5 >&2 || true
    diff "$work/state.$k.dump" "$work/$db.dump" | head -5 >&2 || true
  fi
}
