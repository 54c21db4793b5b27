#!/usr/bin/env bash
# Hostile names and values through the whole path (invariant 5): written on
# the source after scribe.init, decoded by the worker (wal2sql), sealed,
# restored with pg_scribe --restore and with psql alone.
#
# Injects: a source database whose name has quotes, spaces and $$; schemas,
# tables, columns, types, enum labels and a role whose names hold quotes,
# double quotes, backslashes, $$, $tag$, $wal2sql$, --, /*, */, ;, spaces,
# newlines, tabs, CR, upper case, reserved words, two-byte, astral and
# combining characters, 63-byte names and psql meta-commands (\! touch
# MARKER, \o, \w, \copy, \gexec); columns of text, varchar(n), char(n),
# bytea, json, jsonb, text[] (1 to 3 dimensions, other lower bounds),
# int[][], a composite, an enum, a domain, numeric (NaN, +-Infinity),
# float4/float8 (NaN, +-Infinity, -0, denormals), interval, timestamptz and
# date (+-infinity, BC), bit varying, inet, int4range, tstzrange, money
# (lc_monetary = C), xml (when the server has it) and uuid, filled from a
# fixed seed (figure seed) with random valid UTF-8 across all planes
# (control characters but NUL, U+FFFE, U+10FFFF, combining marks), random
# bytes, and strings meant to end a quote or a statement ('); DROP TABLE
# canary; --, $$; ... $$, */ ... /*, a newline then \! touch MARKER,
# \gexec, \copy, "\." alone on a line, a trailing backslash, E', header and
# trailer lines of a diff file, psql variables); by INSERT ... SELECT,
# multi-row INSERT, COPY FROM, UPDATE (small columns with TOASTed values
# unchanged, TOASTed values changed, key changes), DELETE, TRUNCATE, rolled
# back (sub)transactions, and DDL run by the hostile role under a hostile
# search_path. Some rows are written before init, so the base carries them.
#
# Checks: the oracle (every sealed file verifies; both restores equal the
# source by pg_dump output and per-table checksums, so the restored database
# has no object the source lacks); the hostile values really went through
# the stream (the sealed diffs hold them); the canary tables of the source
# and of another database of the cluster are intact; no marker file exists
# (no meta-command ran, no injected COPY ... TO wrote one); the restores ran
# in an empty directory that stays empty.
#
# Then four cases that each need one hostile statement on the source, one
# database each, each checked by the oracle, the canary and the markers:
#   psqlvars   DDL whose text holds a psql variable reference outside quotes
#              (an array slice a[1:PORT]): psql alone must replay it as the
#              source ran it
#   scs_off    DDL run by an unprivileged role with
#              standard_conforming_strings off ('x\'; ...): the replay must
#              not read it as two statements (and run the second one as the
#              restoring superuser, or a shell command through psql);
#              refusing such DDL on the source is a correct outcome too
#   atomic     CREATE FUNCTION ... BEGIN ATOMIC reading a column named
#              "begin": the stream must still seal and restore
#   identity   a GENERATED ALWAYS identity column at its type's minimum
#              (-2147483648), updated: the replay must not fail
#
# Short mode: 12 rows per table and step (about 14k values in the tables at
# the end, 7 MB of stream); long mode: 400 (about 400k values, 230 MB).
# INJECTION_SEED overrides the seed.
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$(pwd)
source tests/lib/reliability.sh  # and cluster.sh, compare.sh, engine.sh
CLUSTER_EXTRA_CONF="max_worker_processes = 24
lc_monetary = 'C'
log_min_messages = warning"
start_throwaway_cluster injection

seed=${INJECTION_SEED:-1234567}
rows=12
long_mode && rows=400
figure seed "$seed"
seed_value=$(awk -v s="$seed" 'BEGIN { printf "%.10f", (s % 2000000) / 1000000 - 1 }')

mdir=$work/m       # markers: anything here means something ran that must not
copydir=$work/copy # COPY files written by the server
backups=$work/backups
mkdir -p "$mdir" "$copydir" "$backups" "$work/cwd"
chmod 1777 "$mdir"
chown postgres: "$copydir" "$backups"
# The restores run here; nothing may appear in it.
cd "$work/cwd"

role=$'R\xc3\xb4le "x" \'; \\! touch '"$mdir/r1"
db=$'inj "src" \'q\' \xc3\xbc $$ ;--'
xml=off
if psql -X -q -d postgres -c "SELECT '<a/>'::xml" >/dev/null 2>&1; then xml=on; fi
figure xml "$xml"

canary_sum() { psql -X -At -d "$1" -c "SELECT md5(string_agg(id || ':' || v, ',' ORDER BY id)) FROM public.canary"; }
markers_left() { find "$mdir" "$work/cwd" -mindepth 1 | sed "s|^$work/||" | paste -sd' ' -; }

createdb bystander
q -d bystander -c "CREATE TABLE public.canary (id int PRIMARY KEY, v text NOT NULL)" \
  -c "INSERT INTO public.canary SELECT g, md5(g::text) FROM generate_series(1, 100) g"
bystander_sum=$(canary_sum bystander)

echo "-- values and names: database $db"
createdb "$db"
q -d postgres -v role="$role" <<<'CREATE ROLE :"role";'
q -d "$db" -c "CREATE EXTENSION scribe"
q -d "$db" -v mdir="$mdir" -v xml="$xml" -f "$repo/tests/reliability/data/injection_schema.sql" >/dev/null
q -d "$db" -v role="$role" >/dev/null <<'SQL'
GRANT USAGE, CREATE ON SCHEMA "Sch ""q"" 's' \ $$ ;--" TO :"role";
GRANT USAGE ON SCHEMA inj_gen, "Typ ""e"" 's' \ $$" TO :"role";
SQL
source_sum=$(canary_sum "$db")
# Rows before init: the base (pg_dump's COPY) carries them.
q -d "$db" -v mdir="$mdir" >/dev/null <<SQL
SELECT set_config('inj.mdir', :'mdir', false);
SELECT setseed($seed_value / 2);
SELECT inj_gen.fill(t, 3) FROM inj_gen.tables() t;
SQL
q -d "$db" -At -c "SELECT chain_id FROM scribe.init('$backups/src')" >/dev/null
ok "scribe.init on the hostile database"

t0=$(date +%s.%N)
workload() {
  q -d "$db" -v seed="$seed_value" -v rows="$rows" -v phase="$1" -v mdir="$mdir" -v copydir="$copydir" \
    -v role="$role" -f "$repo/tests/reliability/data/injection_workload.sql" >/dev/null
}
if workload 1 && q -d "$db" -c "SELECT * FROM scribe.rotate_diff()" >/dev/null && workload 2; then
  ok "the hostile workload ran on the source"
else
  fail "the hostile workload failed on the source"
fi
figure workload_seconds "$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')"
# Values now in the hostile tables (rows times columns): a lower bound of
# what went through the stream (updated and deleted rows did too).
figure values_in_tables "$(psql -X -At -d "$db" -v mdir="$mdir" <<<"SELECT set_config('inj.mdir', :'mdir', false) IS NULL;
SELECT inj_gen.values_in_tables();" | tail -1)"

t0=$(date +%s.%N)
oracle "$db" "$backups/src" src
figure oracle_seconds "$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')"

# The values went through the stream: the sealed diffs hold the payloads
# (as literals), rows of every table, and the DDL of the second phase.
chain=$(ls -d "$backups"/src/chain-* | sort | tail -1)
as_pg sh -c 'cat "$1"/diff-*.sql' sh "$chain" >"$work/stream.sql"
figure stream_bytes "$(wc -c <"$work/stream.sql")"
payload_lines=$(grep -c 'DROP TABLE canary' "$work/stream.sql" || true)
figure stream_lines_with_payloads "$payload_lines"
inserts=$(grep -c '^INSERT INTO ' "$work/stream.sql" || true)
figure stream_inserts "$inserts"
missing=
[ "${payload_lines:-0}" -gt 100 ] || missing+=" payload-literals"
[ "${inserts:-0}" -gt $((rows * 28)) ] || missing+=" INSERTs"
for what in '^UPDATE ONLY ' '^DELETE FROM ONLY ' '^TRUNCATE ' 'CREATE TABLE "new ""t"" \$\$ \\gexec"'; do
  grep -q -- "$what" "$work/stream.sql" || missing+=" [$what]"
done
if [ -z "$missing" ]; then
  ok "the hostile values, changes and DDL went through the stream"
else
  fail "the stream lacks part of the hostile workload:$missing ($payload_lines payload lines, $inserts INSERTs)"
fi

check_canaries() {
  local label=$1 sum
  sum=$(canary_sum "$db" 2>/dev/null || true)
  if [ "$sum" = "$source_sum" ]; then ok "$label: the source's canary is intact"; else fail "$label: the source's canary changed or is gone"; fi
  sum=$(canary_sum bystander 2>/dev/null || true)
  if [ "$sum" = "$bystander_sum" ]; then ok "$label: the canary of another database is intact"; else
    fail "$label: the canary of database bystander changed or is gone"; fi
  local left
  left=$(markers_left)
  if [ -z "$left" ]; then ok "$label: no marker file: no meta-command or injected COPY ran"; else
    fail "$label: marker files exist: $left"
    rm -rf "${mdir:?}"/* "$work"/cwd/* "$work"/cwd/.[!.]* 2>/dev/null || true
  fi
}
check_canaries "values and names"

# The four single-statement cases, each in a database of its own.
case_db() { # NAME: a database with the extension, a canary and table t
  createdb "$1"
  q -d "$1" -c "CREATE EXTENSION scribe" \
    -c "CREATE TABLE public.canary (id int PRIMARY KEY, v text NOT NULL)" \
    -c "INSERT INTO public.canary SELECT g, md5(g::text) FROM generate_series(1, 100) g" >/dev/null
}
case_init() { q -d "$1" -At -c "SELECT chain_id FROM scribe.init('$backups/$1', slot_name => 'inj_$1')" >/dev/null; }
case_end() { # NAME
  q -d "$1" -c "INSERT INTO public.canary VALUES (1000, 'after')" >/dev/null
  oracle "$1" "$backups/$1"
  check_canaries "$1"
}

echo "-- psqlvars: a psql variable reference in captured DDL"
case_db psqlvars
q -d psqlvars -c 'CREATE TABLE t (id int PRIMARY KEY, port int, "PORT" int, row_count int, a int[])' \
  -c "INSERT INTO t VALUES (1, 2, 3, 2, '{10,20,30}')" >/dev/null
case_init psqlvars
# psql, reading the file, would put its own PORT, ROW_COUNT, ... there.
q -d psqlvars -c 'CREATE VIEW v AS SELECT id, a[1:PORT] AS s, a[1:"PORT"] AS q, a[1:ROW_COUNT] AS r FROM t' >/dev/null
case_end psqlvars

echo "-- scs_off: DDL with standard_conforming_strings off, by an unprivileged role"
case_db scs_off
q -d postgres -c "CREATE ROLE lowly LOGIN" >/dev/null
q -d scs_off -c "GRANT CREATE ON SCHEMA public TO lowly" >/dev/null
case_init scs_off
# For the server 'x\'; ...' is one string; read with the replay's
# standard_conforming_strings = on, it ends at the backslash.
printf '%s\n' "SET ROLE lowly;" "CREATE TABLE mine (a int PRIMARY KEY);" \
  "SET standard_conforming_strings = off;" \
  "COMMENT ON TABLE mine IS 'x\\'; RESET ROLE; DROP TABLE public.canary; COPY (SELECT 1) TO \$\$$mdir/scs_server\$\$; --';" \
  "COMMENT ON COLUMN mine.a IS 'y\\';" "\\! touch $mdir/scs_shell" "-- ';" >"$work/scs.sql"
# Refusing such DDL is a correct outcome too (then the oracle finds the
# source without it): only what the backup does with it is checked.
psql -X -q -d scs_off -f "$work/scs.sql" >"$work/scs.out" 2>&1 || true
refused=$(grep -c 'ERROR' "$work/scs.out" || true)
echo "   (the source refused $refused of the statements: $(grep -m1 ERROR "$work/scs.out" | cut -c1-120))"
case_end scs_off

echo "-- atomic: BEGIN ATOMIC reading a column named begin"
case_db atomic
q -d atomic -c "CREATE TABLE t (id int PRIMARY KEY, begin int)" >/dev/null
case_init atomic
q -d atomic -c "CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT begin FROM t WHERE id = 1; END" >/dev/null
q -d atomic -c "INSERT INTO t VALUES (1, 2)" >/dev/null
case_end atomic

echo "-- identity: a GENERATED ALWAYS identity column at its type's minimum"
case_db identity
q -d identity -c "CREATE TABLE t (id int PRIMARY KEY, n int GENERATED ALWAYS AS IDENTITY (MINVALUE -2147483648),
                    s smallint GENERATED ALWAYS AS IDENTITY (MINVALUE -32768), v text)" >/dev/null
case_init identity
q -d identity -c "INSERT INTO t (id, n, s, v) OVERRIDING SYSTEM VALUE VALUES (1, -2147483648, -32768, 'a'), (2, 5, 5, 'b')" \
  -c "UPDATE t SET v = 'changed'" >/dev/null
case_end identity

finish injection
