#!/usr/bin/env bash
# Round-trip test of the wal2sql output plugin.
#
#   tests/roundtrip/run.sh
#
# 1. starts a throwaway cluster (tests/lib/cluster.sh), creates database src
#    (schema.sql: every built-in type, extension and user-defined types,
#    every replica identity, partitions, inheritance, TOAST, hostile names)
#    and copies it to dst and base (createdb -T, so all start identical);
# 2. creates wal2sql slots on src and runs workload.sql there (inserts,
#    updates, deletes, key changes, TRUNCATE, COPY, MERGE, DDL messages,
#    rollbacks, interleaved transactions, seeded random values);
# 3. decodes with pg_logical_slot_get_changes in a session with hostile
#    settings (checking that other settings, and pg_recvlogical, give the
#    same bytes), and replays the SQL into dst with psql under other hostile
#    settings;
# 4. compares src and dst: a checksum of every table's rows (checksums.sql)
#    and pg_dump output (schema + data, rows sorted within each COPY block);
# 5. sabotages the decoded SQL (drops one UPDATE, moves a float8 by one ulp,
#    skips the replay) and checks that both comparisons catch it.
#
# Prints "roundtrip: N passed, M failed" last; exits non-zero on any failure.
# Runs as root (the cluster then runs as the postgres OS user) or as a
# normal user with the PostgreSQL server binaries (pg_config --bindir).
# Uses the locales de_DE.UTF-8 (and fr_FR.UTF-8) for lc_monetary when the
# system has them (scripts/setup-locale.sh), and goes on without them.
#
# Environment:
#   ROUNDTRIP_KEEP=1         keep the work directory (cluster stopped) for inspection
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
# shellcheck source-path=SCRIPTDIR source=../lib/cluster.sh
source "$ROOT/tests/lib/cluster.sh"

PSQL=$PG_BINDIR/psql
PG_DUMP=$PG_BINDIR/pg_dump
CREATEDB=$PG_BINDIR/createdb
PG_RECVLOGICAL=$PG_BINDIR/pg_recvlogical

# Nothing from the caller's environment may change how sessions behave; each
# step below sets what it wants explicitly.
unset PGOPTIONS PGDATABASE PGCLIENTENCODING PGSERVICE PGSERVICEFILE PGTZ PGDATESTYLE PGPASSFILE \
  PGHOSTADDR PGSSLMODE PGTARGETSESSIONATTRS PGCONNECT_TIMEOUT PGAPPNAME PSQLRC 2>/dev/null || true

PASSED=0
FAILED=0
SUMMARY_PRINTED=0
DIED=0 # set by die(), which has counted its failure already

say() { printf '%s\n' "$*"; }
note() { printf '# %s\n' "$*"; }
pass() {
  PASSED=$((PASSED + 1))
  say "ok   - $1"
}
fail() {
  FAILED=$((FAILED + 1))
  say "FAIL - $1"
  shift
  local line
  for line in "$@"; do say "       $line"; done
}
# Indented excerpt of a file (at most $2 lines, each cut to 300 characters).
excerpt() {
  head -n "${2:-30}" "$1" | cut -c1-300 | sed 's/^/       | /'
}
summary() {
  SUMMARY_PRINTED=1
  say "roundtrip: $PASSED passed, $FAILED failed"
}

TOP=$(mktemp -d "${TMPDIR:-/tmp}/roundtrip.XXXXXX")
chmod 755 "$TOP" # the server (postgres OS user when we are root) must reach its directory
CLUSTER_DIR=$TOP/cluster
WORK=$TOP/work
mkdir -p "$WORK"

cleanup() {
  local rc=$?
  set +e
  trap - EXIT
  if [ -d "$CLUSTER_DIR/data" ]; then
    as_pg "$PG_BINDIR/pg_ctl" -D "$CLUSTER_DIR/data" -m immediate -w stop >/dev/null 2>&1
  fi
  if [ "${ROUNDTRIP_KEEP:-0}" = 1 ]; then
    note "kept $TOP (work files in $WORK, server log $CLUSTER_DIR/server.log)"
  else
    rm -rf "$TOP"
  fi
  if [ "$SUMMARY_PRINTED" = 0 ]; then
    if [ "$rc" -ne 0 ] && [ "$DIED" = 0 ]; then
      FAILED=$((FAILED + 1))
      say "FAIL - the test stopped early (exit status $rc); see the messages above"
    fi
    summary
  fi
  if [ "$rc" -eq 0 ] && [ "$FAILED" -gt 0 ]; then rc=1; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Stops the test: a step everything after it depends on went wrong.
die() {
  fail "$@"
  DIED=1
  exit 1
}

# psql with no psqlrc, stopping at the first error.
sql() { "$PSQL" -X -q -v ON_ERROR_STOP=1 "$@"; }

###########################################################################
# Cluster
###########################################################################
note "starting a throwaway cluster in $CLUSTER_DIR"
started=0
for _ in 1 2 3; do
  if cluster_start "$CLUSTER_DIR" >"$WORK/cluster_start.log" 2>&1; then
    started=1
    break
  fi
  # Most likely the random port was taken: clean up and try another one.
  if [ -d "$CLUSTER_DIR/data" ]; then
    as_pg "$PG_BINDIR/pg_ctl" -D "$CLUSTER_DIR/data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$CLUSTER_DIR"
done
if [ "$started" != 1 ]; then
  cat "$WORK/cluster_start.log" >&2
  die "could not start a PostgreSQL cluster (tests/lib/cluster.sh)"
fi
# cluster_start exported PGHOST, PGPORT and PGUSER.
note "cluster running on port $PGPORT (PostgreSQL $("$PSQL" -X -At -d postgres -c 'SHOW server_version'))"

# Monetary locales other than C, if the server has them: the decoding session
# prints money under one, the replaying session reads it under another.
locale_ok() { "$PSQL" -X -q -d postgres -c "SET lc_monetary = '$1'" >/dev/null 2>&1; }
LC_DECODE=
LC_REPLAY=
for loc in de_DE.UTF-8 de_DE.utf8; do
  if locale_ok "$loc"; then LC_DECODE=$loc; break; fi
done
for loc in fr_FR.UTF-8 fr_FR.utf8 $LC_DECODE; do
  if locale_ok "$loc"; then LC_REPLAY=$loc; break; fi
done
if [ -z "$LC_DECODE" ]; then
  note "NOTICE: locale de_DE.UTF-8 is not installed; money is decoded and replayed under lc_monetary=C only"
  note "        (Debian, as root: bash scripts/setup-locale.sh, or apt-get install -y locales &&"
  note "        sed -i 's/^# *de_DE.UTF-8/de_DE.UTF-8/' /etc/locale.gen && locale-gen; fr_FR.UTF-8 too is used if present)"
fi

###########################################################################
# Hostile session settings
###########################################################################
# Settings of the session that decodes (the plugin must pin its own output
# settings) ...
DECODE_OPTS_A="-c DateStyle=SQL,DMY -c IntervalStyle=sql_standard -c TimeZone=Pacific/Chatham -c extra_float_digits=-15"
DECODE_OPTS_A+=" -c bytea_output=escape -c xmloption=document -c standard_conforming_strings=off -c xmlbinary=hex"
DECODE_OPTS_A+=" -c search_path=\"My\\ Schema\",public -c logical_decoding_work_mem=64kB"
[ -n "$LC_DECODE" ] && DECODE_OPTS_A+=" -c lc_monetary=$LC_DECODE"
DECODE_OPTS_B="-c DateStyle=Postgres,MDY -c IntervalStyle=iso_8601 -c TimeZone=America/St_Johns -c extra_float_digits=1"
DECODE_OPTS_B+=" -c bytea_output=hex -c search_path=pg_catalog -c logical_decoding_work_mem=1MB"
[ -n "$LC_REPLAY" ] && DECODE_OPTS_B+=" -c lc_monetary=$LC_REPLAY"
# ... and of the session that replays (the SQL must carry its own input settings).
REPLAY_OPTS="-c DateStyle=German,DMY -c IntervalStyle=iso_8601 -c TimeZone=Asia/Kathmandu -c extra_float_digits=0"
REPLAY_OPTS+=" -c bytea_output=escape -c standard_conforming_strings=off -c xmloption=document -c backslash_quote=off"
REPLAY_OPTS+=" -c search_path=\"My\\ Schema\",public -c session_replication_role=origin -c transform_null_equals=on"
REPLAY_OPTS+=" -c default_transaction_isolation=serializable -c enable_tidscan=off -c array_nulls=off"
[ -n "$LC_REPLAY" ] && REPLAY_OPTS+=" -c lc_monetary=$LC_REPLAY"
REPLAY_ENCODING=LATIN1 # the replay file is UTF8 and must switch the client encoding itself

###########################################################################
# Source database, its copies, the slot, the workload
###########################################################################
note "creating database src (schema.sql)"
"$CREATEDB" src
sql -d src -f "$HERE/schema.sql" >"$WORK/schema.log" 2>&1 || {
  excerpt "$WORK/schema.log" 40
  die "schema.sql failed on src"
}
if [ "$("$PSQL" -X -At -d src -c "SELECT collisdeterministic FROM pg_collation WHERE collname = 'case_insensitive'")" = t ]; then
  note "NOTICE: this server has no ICU: the 'a'/'A' rows of full_equal differ by \"=\" here (no nondeterministic collation)"
fi
# dst is what the replay goes into; base stays untouched, for the sabotage runs.
"$CREATEDB" -T src dst
"$CREATEDB" -T src base
sql -d src -c "SELECT pg_create_logical_replication_slot('rt', 'wal2sql')" >/dev/null
sql -d src -c "SELECT pg_create_logical_replication_slot('rt_recv', 'wal2sql')" >/dev/null

note "running the workload on src (workload.sql)"
WORKLOAD_START=$SECONDS
CONNSTR="host=$PGHOST port=$PGPORT user=$PGUSER dbname=src"
sql -d src -v connstr="$CONNSTR" -f "$HERE/workload.sql" >"$WORK/workload.log" 2>&1 || {
  excerpt "$WORK/workload.log" 40
  die "workload.sql failed on src"
}
END_LSN=$("$PSQL" -X -At -d src -c "SELECT pg_current_wal_lsn()")
note "workload done in $((SECONDS - WORKLOAD_START)) s, WAL up to $END_LSN"

###########################################################################
# Decoding
###########################################################################
GET_SQL="SELECT data FROM pg_logical_slot_get_changes('rt', NULL, NULL)"
PEEK_SQL="SELECT data FROM pg_logical_slot_peek_changes('rt', NULL, NULL)"

note "decoding (peek under default settings, peek under hostile settings B, get under hostile settings A)"
PGCLIENTENCODING=UTF8 "$PSQL" -X -At -v ON_ERROR_STOP=1 -d src -c "$PEEK_SQL" >"$WORK/peek_default.sql" ||
  die "pg_logical_slot_peek_changes failed under default settings"
PGOPTIONS=$DECODE_OPTS_B PGCLIENTENCODING=UTF8 "$PSQL" -X -At -v ON_ERROR_STOP=1 -d src -c "$PEEK_SQL" \
  >"$WORK/peek_b.sql" || die "pg_logical_slot_peek_changes failed under PGOPTIONS='$DECODE_OPTS_B'"

# The plugin pins its output settings only while it decodes: afterwards the
# session has its own settings back.
SHOW_SQL="SELECT concat_ws(' | ', current_setting('DateStyle'), current_setting('IntervalStyle'),
  current_setting('TimeZone'), current_setting('extra_float_digits'), current_setting('bytea_output'),
  current_setting('lc_monetary'), current_setting('search_path'))"
PEEK_QUIETLY="SELECT 1 FROM (SELECT count(*) AS n FROM pg_logical_slot_peek_changes('rt', NULL, NULL)) s WHERE n < 0"
before=$(PGOPTIONS=$DECODE_OPTS_A "$PSQL" -X -q -At -d src -c "$SHOW_SQL")
after=$(PGOPTIONS=$DECODE_OPTS_A "$PSQL" -X -q -At -v ON_ERROR_STOP=1 -d src -c "$PEEK_QUIETLY" -c "$SHOW_SQL")
after_in_xact=$(PGOPTIONS=$DECODE_OPTS_A "$PSQL" -X -q -At -v ON_ERROR_STOP=1 -d src -c "BEGIN" -c "$PEEK_QUIETLY" \
  -c "$SHOW_SQL" -c "COMMIT")
if [ "$before" = "$after" ] && [ "$before" = "$after_in_xact" ]; then
  pass "the decoding session gets its own settings back after decoding ($before)"
else
  fail "the decoding session's settings changed by decoding" "before:                 $before" \
    "after:                  $after" "after (in a transaction): $after_in_xact"
fi

PGOPTIONS=$DECODE_OPTS_A PGCLIENTENCODING=UTF8 "$PSQL" -X -At -v ON_ERROR_STOP=1 -d src -c "$GET_SQL" \
  >"$WORK/decoded.sql" || die "pg_logical_slot_get_changes failed under PGOPTIONS='$DECODE_OPTS_A'"
DECODED=$WORK/decoded.sql
note "decoded SQL: $(wc -l <"$DECODED") lines, $(wc -c <"$DECODED") bytes"

if cmp -s "$WORK/peek_default.sql" "$DECODED" && cmp -s "$WORK/peek_b.sql" "$DECODED"; then
  pass "the decoded SQL is byte-identical whatever the decoding session's settings"
else
  for f in peek_default peek_b; do
    if ! cmp -s "$WORK/$f.sql" "$DECODED"; then
      diff "$WORK/$f.sql" "$DECODED" >"$WORK/$f.diff" || true
      fail "the decoded SQL depends on the decoding session's settings ($f.sql vs decoded.sql)"
      excerpt "$WORK/$f.diff" 20
    fi
  done
fi

left=$("$PSQL" -X -At -d src -c "SELECT count(*) FROM pg_logical_slot_get_changes('rt', NULL, NULL)")
if [ "$left" = 0 ]; then
  pass "the slot is drained by pg_logical_slot_get_changes"
else
  fail "pg_logical_slot_get_changes left $left changes in the slot"
fi

# The walsender path (streaming replication protocol) must write the same SQL.
if PGOPTIONS=$DECODE_OPTS_B timeout 120 "$PG_RECVLOGICAL" -d src -S rt_recv --start -E "$END_LSN" --no-loop \
  -f "$WORK/recv.sql" >"$WORK/recv.log" 2>&1; then
  if cmp -s "$WORK/recv.sql" "$DECODED"; then
    pass "pg_recvlogical (walsender) writes the same SQL as pg_logical_slot_get_changes"
  else
    diff "$WORK/recv.sql" "$DECODED" >"$WORK/recv.diff" || true
    fail "pg_recvlogical output differs from pg_logical_slot_get_changes output (recv.sql vs decoded.sql)"
    excerpt "$WORK/recv.diff" 20
  fi
else
  fail "pg_recvlogical failed"
  excerpt "$WORK/recv.log" 20
fi

###########################################################################
# Shape of the decoded SQL
###########################################################################
problems=()
# The replay settings come first, once: a comment, then only SET statements
# and last the search_path (set from the session's default) up to the first
# transaction. (What they must achieve is checked by the replay under
# hostile settings below.)
prologue=$(awk '/^-- scribe xid=/ { exit } { print }' "$DECODED")
[ "$(head -n 1 <<<"$prologue")" = "-- wal2sql: replay settings (values below read back exactly under these)" ] &&
  [ "$(tail -n +2 <<<"$prologue" | head -n -1 | grep -c -v '^SET [A-Za-z_]* = .*;$')" = 0 ] &&
  [ "$(tail -n 1 <<<"$prologue" | grep -c "^SELECT pg_catalog.set_config('search_path', ")" = 1 ] &&
  [ "$(tail -n +2 <<<"$prologue" | wc -l)" -ge 10 ] &&
  grep -q -x "SET client_encoding = 'UTF8';" <<<"$prologue" &&
  grep -q -x "SET session_replication_role = replica;" <<<"$prologue" ||
  problems+=("the file does not start with the replay settings (a comment, then SET statements only)")
n=$(grep -c -x -F -- "-- wal2sql: replay settings (values below read back exactly under these)" "$DECODED" || true)
[ "$n" = 1 ] || problems+=("the prologue appears $n times, not once")
nb=$(grep -c -x 'BEGIN;' "$DECODED" || true)
nc=$(grep -c -x 'COMMIT;' "$DECODED" || true)
nh=$(grep -c '^-- scribe xid=[0-9]* lsn=[0-9A-F]*/[0-9A-F]* commit=' "$DECODED" || true)
[ "$nb" = "$nc" ] && [ "$nb" = "$nh" ] && [ "$nb" -gt 20 ] ||
  problems+=("transactions do not add up: $nh headers, $nb BEGIN, $nc COMMIT")
require() { # pattern description
  grep -q -E -- "$1" "$DECODED" || problems+=("no $2 (pattern: $1)")
}
require '^INSERT INTO public\.all_types \(' "INSERT into all_types"
require '^UPDATE ONLY public\.all_types SET ' "UPDATE of all_types"
require '^DELETE FROM ONLY public\.all_types WHERE id OPERATOR\(pg_catalog\.=\) ' "DELETE by primary key"
require '^DELETE FROM ONLY public\.all_types_full WHERE ctid OPERATOR\(pg_catalog\.=\) \(SELECT ctid FROM ONLY public\.all_types_full WHERE ' "DELETE by full row image"
require '^UPDATE ONLY "My Schema"\."tab""quote" SET .* WHERE ctid OPERATOR\(pg_catalog\.=\) \(SELECT ctid FROM ONLY ' "UPDATE by full row image"
require 'pg_catalog\.record_image_eq\(ROW\(|OPERATOR\(pg_catalog\.\*=\)' "record image comparison (types without =)"
require '^TRUNCATE ONLY public\.tr_parent, ONLY public\."tr;other", ONLY public\.tr_child RESTART IDENTITY CASCADE;$|^TRUNCATE .*tr_parent.* RESTART IDENTITY CASCADE;$' "TRUNCATE ... RESTART IDENTITY CASCADE"
require 'OVERRIDING SYSTEM VALUE' "INSERT with OVERRIDING SYSTEM VALUE"
require '^ALTER TABLE public\."user" ALTER COLUMN id SET GENERATED BY DEFAULT;$' "identity relaxed for an UPDATE of a GENERATED ALWAYS column"
require '^DELETE FROM ONLY public\.part_eu WHERE ' "DELETE from a partition (row moved out)"
require '^INSERT INTO public\.part_us_lo ' "INSERT into a partition (row moved in)"
# UPDATEs that leave TOASTed values alone must not mention them.
require "^UPDATE ONLY public\\.toasty SET note = 'note only', n = 1 WHERE id OPERATOR\\(pg_catalog\\.=\\) 1;\$" "UPDATE of a TOASTed table that leaves the big columns out"
require "^UPDATE ONLY public\\.toasty SET id = 102, note = 'note 2', n = -2 WHERE id OPERATOR\\(pg_catalog\\.=\\) 2;\$" "key change of a TOASTed row that leaves the big columns out"
if grep -q 'ROLLBACK-MARKER' "$DECODED"; then
  problems+=("rolled-back changes were decoded: $(grep -o 'ROLLBACK-MARKER-[0-9]*' "$DECODED" | sort -u | tr '\n' ' ')")
fi
if grep -q -E '^TRUNCATE .*(nopk|all_types_full)' "$DECODED"; then
  problems+=("a rolled-back TRUNCATE was decoded")
fi
# shellcheck disable=SC2016 # a literal $
if grep -q -F -- '-- wal2sql: an unauthenticated scribe.ddl message was ignored here' "$DECODED"; then
  problems+=("a signed DDL message of the workload was rejected as unauthenticated")
fi
if grep -q -F -- '-- wal2sql: the next change cannot be replayed' "$DECODED"; then
  problems+=("some change was decoded as 'cannot be replayed' (DO block); the test only changes identifiable rows")
fi
if [ ${#problems[@]} -eq 0 ]; then
  pass "the decoded SQL has the expected shape (prologue once, $nb transactions, every statement kind, no rolled-back change)"
else
  fail "the decoded SQL does not have the expected shape" "${problems[@]}"
fi

###########################################################################
# Replay and comparison
###########################################################################
# replay FILE DB LOG [MORE_OPTIONS]: psql -f under the hostile replay
# settings. LOG gets every command tag (INSERT 0 1, UPDATE 1, ...) and errors.
replay() {
  PGOPTIONS="$REPLAY_OPTS ${4:-}" PGCLIENTENCODING=$REPLAY_ENCODING "$PSQL" -X -v ON_ERROR_STOP=1 -d "$2" -f "$1" \
    >"$3" 2>&1
}
# The error a replay stopped at.
replay_error() {
  grep -m 1 -A 4 -E '^psql:.*(ERROR|FATAL):' "$1" | cut -c1-300 | sed 's/^/       | /' || excerpt "$1" 10
}

# checksums DB: one line per table (checksums.sql), written to $WORK/sums.DB.
checksums() {
  sql -d "$1" -f "$HERE/checksums.sql" >"$WORK/sums.$1" 2>"$WORK/sums.$1.err" || {
    excerpt "$WORK/sums.$1.err" 20
    die "checksums.sql failed on $1"
  }
  [ -s "$WORK/sums.$1" ] || die "checksums.sql printed nothing for $1"
}

# dump DB: pg_dump (schema and data), normalized, to $WORK/dump.DB:
#  - the random \restrict key lines and sequence positions (sequences are not
#    decoded by logical decoding) are dropped;
#  - the rows of each COPY block are sorted and prefixed with their table,
#    since physical row order differs.
dump() {
  "$PG_DUMP" -d "$1" >"$WORK/dump.$1.raw" 2>"$WORK/dump.$1.err" || {
    excerpt "$WORK/dump.$1.err" 20
    die "pg_dump failed on $1"
  }
  LC_ALL=C awk -v sorter="LC_ALL=C sort" '
    /^\\(restrict|unrestrict) / { next }
    /^SELECT pg_catalog\.setval\(/ { next }
    in_copy {
      if ($0 == "\\.") { close(sorter); in_copy = 0; print; next }
      print table "\t" $0 | sorter
      next
    }
    in_header || /^COPY / {
      header = in_header ? header "\\n" $0 : $0
      in_header = 1
      if ($0 ~ / FROM stdin;$/) {
        print header
        fflush()
        table = substr(header, 6, index(header, " (") > 6 ? index(header, " (") - 6 : 60)
        in_header = 0
        in_copy = 1
      }
      next
    }
    { print }
  ' "$WORK/dump.$1.raw" >"$WORK/dump.$1"
  grep -q '^COPY ' "$WORK/dump.$1" || die "the pg_dump output of $1 has no data"
}

# differing_tables A B: the tables whose checksum lines differ (or exist in one only).
differing_tables() {
  LC_ALL=C join -t $'\t' -a 1 -a 2 -e MISSING -o 0,1.2,1.3,2.2,2.3 \
    <(LC_ALL=C sort -t $'\t' -k1,1 "$WORK/sums.$1") <(LC_ALL=C sort -t $'\t' -k1,1 "$WORK/sums.$2") |
    awk -F '\t' '$2 != $4 || $3 != $5 { printf "%s (rows: %s vs %s)\n", $1, $2, $4 }'
}

# rows_diff A B OUT: what differs, row by row (for the failure message).
rows_diff() {
  sql -d "$1" -f "$HERE/rows.sql" >"$WORK/rows.$1" 2>&1 || true
  sql -d "$2" -f "$HERE/rows.sql" >"$WORK/rows.$2" 2>&1 || true
  diff "$WORK/rows.$1" "$WORK/rows.$2" | grep '^[<>]' >"$3" || true
}

note "replaying decoded.sql into dst (PGOPTIONS='$REPLAY_OPTS', PGCLIENTENCODING=$REPLAY_ENCODING)"
REPLAY_START=$SECONDS
if replay "$DECODED" dst "$WORK/replay.log"; then
  pass "the decoded SQL replays into dst without error under hostile settings ($((SECONDS - REPLAY_START)) s)"
else
  fail "replaying the decoded SQL into dst failed"
  replay_error "$WORK/replay.log"
fi

# Each decoded row change names exactly one row; a statement that changed no
# row (or several) means a row was not found as it was on the source.
odd_tags=$(grep -E '^(INSERT 0|UPDATE|DELETE) [0-9]+$' "$WORK/replay.log" | grep -v -E '^(INSERT 0|UPDATE|DELETE) 1$' |
  sort | uniq -c | tr -s ' ' | tr '\n' ',' || true)
n_changes=$(grep -c -E '^(INSERT 0|UPDATE|DELETE) 1$' "$WORK/replay.log" || true)
# Statements inside a DO block (the replay-time identity guard) are not
# top-level statements and report no command tag of their own.
n_statements=$(LC_ALL=C awk '/^DO \$wal2sql[0-9]*\$/ { in_do = 1 }
  !in_do && /^(INSERT INTO|UPDATE|DELETE FROM) / { n++ }
  in_do && /\$wal2sql[0-9]*\$;$/ { in_do = 0 }
  END { print n + 0 }' "$DECODED")
if [ -z "$odd_tags" ] && [ "$n_changes" = "$n_statements" ] && [ "$n_changes" -gt 1000 ]; then
  pass "every replayed INSERT, UPDATE and DELETE changed exactly one row ($n_changes statements)"
else
  fail "not every decoded INSERT, UPDATE and DELETE changed exactly one row on replay" \
    "$n_statements statements decoded, $n_changes replayed changing one row; others: ${odd_tags:-none}"
fi

checksums src
checksums dst
checksums base
dump src
dump dst

ntables=$(wc -l <"$WORK/sums.src")
bad=$(differing_tables src dst)
if [ -z "$bad" ]; then
  pass "every table's rows are identical in src and dst ($ntables tables, checksums)"
else
  mapfile -t bad_list <<<"$bad"
  fail "tables differ between src and dst (< src, > dst):" "${bad_list[@]}"
  rows_diff src dst "$WORK/rows.src-dst.diff"
  excerpt "$WORK/rows.src-dst.diff" 30
fi

if cmp -s "$WORK/dump.src" "$WORK/dump.dst"; then
  pass "pg_dump of src and dst is identical (schema and data, rows sorted)"
else
  diff "$WORK/dump.src" "$WORK/dump.dst" >"$WORK/dump.src-dst.diff" || true
  fail "pg_dump of src and dst differs (< src, > dst; $(grep -c '^[<>]' "$WORK/dump.src-dst.diff") lines):"
  excerpt "$WORK/dump.src-dst.diff" 30
fi

# Every table must take part: a table the workload leaves alone would pass
# the comparison without testing anything.
unchanged=$(LC_ALL=C join -t $'\t' -o 0,1.3,2.3 <(LC_ALL=C sort -t $'\t' -k1,1 "$WORK/sums.src") \
  <(LC_ALL=C sort -t $'\t' -k1,1 "$WORK/sums.base") | awk -F '\t' '$2 == $3 { print $1 }')
if [ -z "$unchanged" ] && [ "$ntables" -ge 20 ]; then
  pass "the workload changed every one of the $ntables tables"
else
  mapfile -t unchanged_list <<<"$unchanged"
  fail "the workload left tables unchanged (or too few tables: $ntables)" "${unchanged_list[@]}"
fi

###########################################################################
# Sabotage: the comparison must catch a wrong replay
###########################################################################
# sabotage NAME DB EXPECTED_TABLE: DB holds a sabotaged replay; both the
# checksums and the dump must show a difference from src, and the checksums
# must name EXPECTED_TABLE.
sabotage_check() {
  local name=$1 db=$2 expected=$3 diffs
  checksums "$db"
  dump "$db"
  diffs=$(differing_tables src "$db")
  # shellcheck disable=SC2001 # per line
  if grep -q -x -F -- "$expected" <<<"$(sed 's/ (rows: .*//' <<<"$diffs")"; then
    pass "sabotage '$name' is detected by the checksums (differing: $(tr '\n' ' ' <<<"$diffs" | cut -c1-200))"
  else
    fail "sabotage '$name' is NOT detected by the checksums (expected $expected to differ; differing: ${diffs:-none})"
  fi
  if cmp -s "$WORK/dump.src" "$WORK/dump.$db"; then
    fail "sabotage '$name' is NOT detected by the pg_dump comparison"
  else
    pass "sabotage '$name' is detected by the pg_dump comparison"
  fi
}

# sabotage_file NAME MARKER OLD NEW: $WORK/sabotage-NAME.sql, a copy of
# decoded.sql in which the one line containing MARKER has OLD replaced by NEW
# (OLD empty: the line is deleted). Stops the test if MARKER is not on
# exactly one line.
sabotage_file() {
  local name=$1 marker=$2 old=$3 new=$4 out=$WORK/sabotage-$1.sql n
  n=$(grep -c -F -- "$marker" "$DECODED" || true)
  [ "$n" = 1 ] || die "sabotage '$name': expected one line with '$marker' in decoded.sql, found $n"
  LC_ALL=C awk -v marker="$marker" -v old="$old" -v new="$new" '
    index($0, marker) {
      if (old == "") next
      i = index($0, old)
      if (i == 0) { print "sabotage: value not found" > "/dev/stderr"; exit 3 }
      $0 = substr($0, 1, i - 1) new substr($0, i + length(old))
    }
    { print }' "$DECODED" >"$out" || die "sabotage '$name': could not edit decoded.sql"
  if cmp -s "$out" "$DECODED"; then die "sabotage '$name' did not change decoded.sql"; fi
}

note "sabotage: the same replay with one UPDATE removed, one float8 one ulp off, and no replay at all"
sabotage_file drop-update "'sabotage-update-target'" "" ""
grep -F -- "'sabotage-update-target'" "$DECODED" | grep -q '^UPDATE ONLY public\."select" SET ' ||
  die "sabotage 'drop-update': the marked line is not an UPDATE of public.\"select\""
"$CREATEDB" -T base sab_drop
replay "$WORK/sabotage-drop-update.sql" sab_drop "$WORK/replay.sab_drop.log" || {
  replay_error "$WORK/replay.sab_drop.log"
  die "the sabotaged file (drop-update) does not replay"
}
sabotage_check drop-update sab_drop 'public."select"'

sabotage_file one-ulp "'sabotage-ulp-target'" "'0.30000000000000004'" "'0.3'"
"$CREATEDB" -T base sab_ulp
replay "$WORK/sabotage-one-ulp.sql" sab_ulp "$WORK/replay.sab_ulp.log" || {
  replay_error "$WORK/replay.sab_ulp.log"
  die "the sabotaged file (one-ulp) does not replay"
}
sabotage_check one-ulp sab_ulp 'public.all_types'

sabotage_check no-replay base 'public.all_types'

summary
