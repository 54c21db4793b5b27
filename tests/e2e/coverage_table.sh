#!/usr/bin/env bash
# The README's coverage table names every command tag of the PostgreSQL it is
# built against (src/include/tcop/cmdtaglist.h of pg_config's server
# headers: the event trigger firing matrix, the commands on global objects,
# the utility commands), each with what pg_scribe does with it. Fails when a
# tag is missing, so a new PostgreSQL version's commands must be decided on.
set -euo pipefail
cd "$(dirname "$0")/../.."
source tests/lib/assert.sh
header=$(${PG_CONFIG:-pg_config} --includedir-server)/tcop/cmdtaglist.h
[ -f "$header" ] || {
  echo "coverage_table: no $header (install the server's development headers)" >&2
  exit 1
}
# PG_CMDTAG(CMDTAG_..., "TAG", event_trigger_ok, table_rewrite_ok, rowcount)
mapfile -t tags < <(sed -n 's/^PG_CMDTAG([A-Z_]*, *"\([^"]*\)".*/\1/p' "$header" | grep -v '^???$' | sort -u)
[ ${#tags[@]} -gt 150 ] || {
  echo "coverage_table: read only ${#tags[@]} tags from $header" >&2
  exit 1
}
# The table's first column: one or more tags in backquotes, comma-separated.
table=$(sed -n '/^<!-- coverage table start -->$/,/^<!-- coverage table end -->$/p' README.md)
[ -n "$table" ] || {
  echo "coverage_table: README.md has no coverage table" >&2
  exit 1
}
mapfile -t listed < <(awk -F'|' '/^\| `/ {print $2}' <<<"$table" | grep -o '`[^`]*`' | tr -d '`' | sort -u)
# (Associative arrays, not grep -q on a pipe: under pipefail an early exit
# of grep fails the writer.)
declare -A in_header=() in_table=()
for tag in "${tags[@]}"; do in_header[$tag]=1; done
for tag in "${listed[@]}"; do in_table[$tag]=1; done
missing=() unknown=()
for tag in "${tags[@]}"; do [ -n "${in_table[$tag]:-}" ] || missing+=("$tag"); done
# A tag the table marks "(N+)" is one only PostgreSQL N and newer have.
major=$(${PG_CONFIG:-pg_config} --version | sed -E 's/^PostgreSQL ([0-9]+).*/\1/')
declare -A since=()
while read -r tag n; do since[$tag]=$n; done < <(grep -o -E '`[^`]*` \([0-9]+\+\)' <<<"$table" | sed -E 's/^`([^`]*)` \(([0-9]+)\+\)$/\1 \2/')
for tag in "${listed[@]}"; do
  [ -n "${in_header[$tag]:-}" ] || [ "${since[$tag]:-0}" -gt "$major" ] || unknown+=("$tag")
done
if [ ${#missing[@]} -eq 0 ]; then
  ok "every one of the ${#tags[@]} command tags of $header is in the README's coverage table"
else
  fail "command tags missing from the README's coverage table: ${missing[*]}"
fi
if [ ${#unknown[@]} -eq 0 ]; then
  ok "the table names no tag this PostgreSQL does not have"
else
  fail "the table names tags this PostgreSQL does not have: ${unknown[*]}"
fi
finish coverage_table
