#!/usr/bin/env bash
# Fidelity on a workload no one on this project wrote (issue 15): the SQL
# scripts of PostgreSQL 15's regression suite, run in schedule order in a
# database that pg_scribe backs up, then the backup restored with both paths
# and compared with the source.
#
# Corpus: $PG_REGRESS_CORPUS, default <repo>/../shared/corpora/pg_regress_15
# (see its README.md); when absent the test says so and exits 0.
#
# Two variants (CORPUS_VARIANTS, default "A B"), each on its own throwaway
# cluster with the settings the suite assumes:
#   A  scribe.init() before the first script;
#   B  scribe.init() after half of the schedule (force => true: the first half
#      leaves tables without a usable replica identity), so that the base
#      holds everything the first half left behind.
# In both, of the scripts that run while backed up: scribe.rotate_diff()
# after a third, scribe.new_chain() after two thirds (the source is
# snapshotted just before it: that is where the first chain ends), a final
# rotate_diff() at the end. Then, each into a fresh cluster (roles and
# tablespaces are cluster-wide, and the corpus makes both), into a database
# with another name than the source's:
#   1. pg_scribe --restore of the newest chain, compared with the source;
#   2. pg_scribe --restore --chain-id of the first chain, compared with the
#      source as it was at new_chain();
#   3. psql alone with ON_ERROR_STOP: the first chain (globals, base, diffs)
#      and the diffs of every later chain, compared with the source.
# Comparison, of each side in its own cluster: pg_dump --schema-only
# (tests/lib/compare.sh's normalized_dump) and every table's content, row by
# row, with the columns taken in name order, plus every large object's
# content. Three things a plain SQL dump cannot carry are compared as far as
# it can (README, "Known limits"; scribe.init() warns of the first two):
#   - inheritance children whose parent gained a column after them come
#     back with another column order: their rows are compared by column
#     name (the schema dump of such a child lists only its own columns);
#   - unlogged tables are not backed up: definition only;
#   - a materialized view is refreshed by the restore (pg_dump writes
#     REFRESH MATERIALIZED VIEW), so one that was stale at the source has
#     other rows: definition and populated state only.
#
# CORPUS_DIAGNOSE=1: restore 3 runs psql without ON_ERROR_STOP and writes
# every failing statement (error, position, its transaction header, the
# statement) to <out>/<variant>/diagnose.txt, with a summary of the distinct
# messages; the comparisons are made whatever the restores did.
#
# CORPUS_OUT: where logs, snapshots and reports go (default
# build/corpus-<time>; kept). PG_BINDIR as for every test.
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$PWD
corpus=${PG_REGRESS_CORPUS:-$repo/../shared/corpora/pg_regress_15}
if [ ! -f "$corpus/schedule" ] || [ ! -d "$corpus/sql" ]; then
  echo "pg_regress_corpus: skipped: no corpus at $corpus (no schedule or sql/ there; set PG_REGRESS_CORPUS)"
  exit 0
fi
corpus=$(cd "$corpus" && pwd)
source tests/lib/reliability.sh # cluster.sh, compare.sh, engine.sh; ok/fail/finish
export PATH="$PG_BINDIR:$PATH"

variants=${CORPUS_VARIANTS:-A B}
diagnose=${CORPUS_DIAGNOSE:-0}
out=${CORPUS_OUT:-$repo/build/corpus-$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$out"
out=$(cd "$out" && pwd)
source_db=regression target_db=regression_restored
mapfile -t schedule < <(grep -v -e '^#' -e '^[[:space:]]*$' "$corpus/schedule")

# The settings pg_regress's suite assumes (corpus README), on every cluster:
# the restore clusters get in-place tablespaces from globals.sql too.
export CLUSTER_EXTRA_CONF="max_prepared_transactions = 10
allow_in_place_tablespaces = on
lc_messages = 'C'
max_worker_processes = 16
log_min_messages = warning"

work=$(mktemp -d /tmp/pg_scribe_corpus.XXXXXX)
chmod 755 "$work"
clusters=()
cleanup() {
  local c
  for c in "${clusters[@]}"; do cluster_stop "$c"; done
  rm -rf "$work"
}
trap cleanup EXIT

# cluster NAME: a fresh cluster in $work/NAME; PGHOST/PGPORT point at it.
declare -A host port
cluster() {
  clusters+=("$work/$1")
  cluster_start "$work/$1"
  host[$1]=$PGHOST port[$1]=$PGPORT
}
use() { export PGHOST=${host[$1]} PGPORT=${port[$1]}; }
drop_cluster() {
  cluster_stop "$work/$1"
  local c kept=()
  for c in "${clusters[@]}"; do [ "$c" = "$work/$1" ] || kept+=("$c"); done
  clusters=("${kept[@]}")
}

now() { date +%s; }
took() { echo "$(($(now) - $1)) s"; }

# content_checksums DB: one line per logged table (name|md5 of its rows'
# md5s, sorted; columns in name order), per materialized view
# (name|populated) and per large object (oid|md5 of its data).
content_checksums() {
  {
    echo "$checksum_settings"
    cat <<'SQL'
SELECT format('SELECT %L || ''|'' || md5(coalesce(string_agg(md5(ROW(%s)::text), E''\n'' ORDER BY md5(ROW(%s)::text) COLLATE "C"), '''')) FROM %I.%I t',
              n.nspname || '.' || c.relname, cols.list, cols.list, n.nspname, c.relname)
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  CROSS JOIN LATERAL (SELECT coalesce(string_agg(format('t.%I', a.attname), ', ' ORDER BY a.attname COLLATE "C"), '') AS list
                        FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped) cols
 WHERE c.relkind = 'r' AND c.relpersistence = 'p'
   AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_toast'
 ORDER BY n.nspname COLLATE "C", c.relname COLLATE "C" \gexec
SELECT n.nspname || '.' || c.relname || '|populated=' || c.relispopulated
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind = 'm' ORDER BY n.nspname COLLATE "C", c.relname COLLATE "C";
SELECT 'large object ' || oid || '|' || md5(lo_get(oid)) FROM pg_largeobject_metadata ORDER BY oid;
SQL
  } | psql -X -q -At -v ON_ERROR_STOP=1 -d "$1"
}

# snapshot NAME DB: what the comparison needs of DB in the current cluster.
# The source's snapshots (taken first) add the inheritance children whose
# column order a restore changes (the query of scribe.init()'s warning) to
# $snaps/column_order_free, which every dump then compares without order.
snapshot() {
  local ok=0
  psql -X -q -At -d "$2" >>"$snaps/column_order_free" 2>"$snaps/$1.free.err" <<'SQL' || ok=1
SELECT format('%I.%I', n.nspname, c.relname)
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind = 'r' AND NOT c.relispartition
   AND EXISTS (SELECT FROM pg_inherits i WHERE i.inhrelid = c.oid)
   AND EXISTS (
     WITH cols AS (
       SELECT a.attnum,
              coalesce((SELECT min(i.inhseqno::bigint * 100000 + pa.attnum)
                          FROM pg_inherits i JOIN pg_attribute pa ON pa.attrelid = i.inhparent
                         WHERE i.inhrelid = c.oid AND pa.attname = a.attname AND NOT pa.attisdropped),
                        1000000000000 + a.attnum) AS rank
         FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped)
     SELECT FROM cols x, cols y WHERE x.attnum < y.attnum AND x.rank > y.rank)
 ORDER BY 1;
SQL
  content_checksums "$2" >"$snaps/$1.sums" 2>"$snaps/$1.sums.err" || ok=1
  COLUMN_ORDER_FREE=$snaps/column_order_free normalized_dump "$2" --schema-only >"$snaps/$1.dump" \
    2>"$snaps/$1.dump.err" || ok=1
  return $ok
}
# same LABEL A B: two snapshots are equal, else what differs goes to
# $vout/LABEL.sums.diff / .dump.diff and the first lines to stderr.
same() {
  local label=$1 a=$2 b=$3 status=0
  if ! diff "$snaps/$a.sums" "$snaps/$b.sums" >"$vout/$label.sums.diff"; then
    echo "  tables whose content differs (source < > restored): $(grep -c '^<' "$vout/$label.sums.diff") of $(wc -l <"$snaps/$a.sums")" >&2
    head -10 "$vout/$label.sums.diff" | cut -c1-200 >&2
    status=1
  fi
  if ! diff "$snaps/$a.dump" "$snaps/$b.dump" >"$vout/$label.dump.diff"; then
    echo "  pg_dump output differs (source < > restored): $(grep -c '^[<>]' "$vout/$label.dump.diff") lines; first ones:" >&2
    head -15 "$vout/$label.dump.diff" | cut -c1-200 >&2
    status=1
  fi
  return $status
}

# run_schedule FROM TO: scripts FROM..TO-1, as pg_regress runs them (stdin,
# -a -q, no ON_ERROR_STOP, its environment).
run_schedule() {
  local i name
  for ((i = $1; i < $2; i++)); do
    name=${schedule[$i]}
    PG_ABS_SRCDIR=$srcdir PG_ABS_BUILDDIR=$builddir PG_LIBDIR=$libdir PG_DLSUFFIX=.so \
      PGTZ=PST8PDT PGDATESTYLE='Postgres, MDY' PGAPPNAME=pg_regress \
      timeout 900 psql -X -a -q -d "$source_db" -v abs_srcdir="$srcdir" -v abs_builddir="$builddir" -v libdir="$libdir" \
      <"$corpus/sql/$name.sql" >"$vout/run/$name.out" 2>&1 || echo "$name: psql exited $?" >>"$vout/run/exits.txt"
    scripts_run=$((scripts_run + 1))
  done
}

# control CALL: a scribe function in the source database; a failure counts.
control() {
  echo "-- $(date -u +%T) $1" >>"$vout/control.log"
  if psql -X -q -At -v ON_ERROR_STOP=1 -d "$source_db" -c "$1" >>"$vout/control.log" 2>&1; then
    return 0
  fi
  fail "$variant: $1 failed: $(tail -3 "$vout/control.log" | tr '\n' ' ' | cut -c1-300)"
  return 1
}

# diagnose_replay CHAIN DB [FILES...]: psql without ON_ERROR_STOP, every
# error with its position, transaction header and statement into the report.
diagnose_file() {
  local file=$1 db=$2 stop=$3 copy="$work/replay/$(basename "$(dirname "$1")")-$(basename "${1%.zst}")"
  copy=${copy%.gz} copy=${copy%.lz4}
  decompress_to_stdout "$file" >"$copy"
  PGOPTIONS='-c client_min_messages=error' psql -X -q -v ON_ERROR_STOP="$stop" -v ECHO=errors -d "$db" -f "$copy" \
    >/dev/null 2>"$copy.err" || true
  # psql:FILE:LINE: ERROR:  ... then the failed statement (ECHO=errors);
  # the transaction header is the last "-- scribe xid=" line before LINE.
  awk -v copy="$copy" -v label="$(basename "$copy")" '
    function flush() {
      if (msg == "") return
      if (msg ~ /current transaction is aborted/) { aborted++; msg = ""; return }
      header = ""
      while ((getline l < copy) > 0) { n++; if (l ~ /^-- scribe xid=/) header = l; if (n >= line) break }
      printf "== %s:%d  %s\n%s\n%s\n", label, line, header, msg, substr(stmt, 1, 1500)
      errors++; msg = ""; stmt = ""
    }
    /^psql:[^:]*:[0-9]+: (ERROR|FATAL|error):/ {
      flush(); split($0, p, ":"); line = p[3] + 0
      msg = $0; stmt = ""; mode = "msg"; next
    }
    /^psql:[^:]*:[0-9]+: STATEMENT:  / { sub(/^psql:[^:]*:[0-9]+: STATEMENT:  /, ""); stmt = $0 "\n"; mode = "stmt"; next }
    /^psql:/ { flush(); mode = ""; next }
    { if (mode == "stmt") stmt = stmt $0 "\n"; else if (mode == "msg") msg = msg "\n" $0 }
    END { flush(); printf "%s: %d errors, %d more in aborted transactions\n", label, errors, aborted > "/dev/stderr" }
  ' "$copy.err" >>"$report" 2>>"$vout/diagnose-counts.txt"
  rm -f "$copy"
}
diagnose_replay() {
  local first=$1 db=$2 chain f
  shift 2
  createdb -T template0 "$db"
  diagnose_file "$first/globals.sql" "$db" 0
  diagnose_file "$(ls "$first"/base.sql* | head -1)" "$db" 0
  for chain in "$first" "$@"; do
    for f in $(ls "$chain" | grep -E '^diff-[0-9TZ]+\.sql' | sort); do diagnose_file "$chain/$f" "$db" 0; done
  done
}

diff_transactions() {
  local chain f n=0
  for chain in "$@"; do
    for f in $(ls "$chain" | grep -E '^diff-[0-9TZ]+\.sql' | sort); do
      n=$((n + $(decompress_to_stdout "$chain/$f" | grep -c '^-- scribe xid=' || true)))
    done
  done
  echo $n
}

run_variant() {
  variant=$1
  vout=$out/$variant snaps=$out/$variant/snapshots
  mkdir -p "$vout/run" "$snaps" "$work/replay"
  report=$vout/diagnose.txt
  : >"$report"
  local t0 t total=${#schedule[@]} start third twothird backups=$work/backups-$variant/$source_db
  t0=$(now)
  echo "== variant $variant"
  cluster "src$variant"
  # Data stand-ins and the directories the suite writes to, as the server.
  srcdir=$work/srcdir-$variant builddir=$work/builddir-$variant libdir=$($PG_BINDIR/pg_config --pkglibdir)
  mkdir -p "$srcdir/data" "$builddir/results" "$work/backups-$variant"
  chown -R postgres: "$srcdir" "$builddir" "$work/backups-$variant" 2>/dev/null || true
  q -d postgres -v datadir="$srcdir/data" -f tests/fidelity/corpus_data.sql >/dev/null
  q -d postgres -c "CREATE DATABASE $source_db TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'"
  # As pg_regress sets up its database.
  q -d postgres -c "ALTER DATABASE $source_db SET lc_messages TO 'C'" -c "ALTER DATABASE $source_db SET lc_monetary TO 'C'" \
    -c "ALTER DATABASE $source_db SET lc_numeric TO 'C'" -c "ALTER DATABASE $source_db SET lc_time TO 'C'" \
    -c "ALTER DATABASE $source_db SET bytea_output TO 'hex'" -c "ALTER DATABASE $source_db SET timezone_abbreviations TO 'Default'"
  scripts_run=0
  case $variant in
    A) start=0 ;;
    B) start=$((total / 2)) ;;
    *) echo "unknown variant $variant" >&2; return 1 ;;
  esac
  third=$((start + (total - start) / 3)) twothird=$((start + 2 * (total - start) / 3))
  run_schedule 0 "$start"
  q -d "$source_db" -c "CREATE EXTENSION IF NOT EXISTS scribe" >/dev/null
  control "SELECT chain_id FROM scribe.init('$backups', force => true)" || { finish_variant "$t0"; return; }
  echo "  scribe.init() after $start scripts"
  run_schedule "$start" "$third"
  control "SELECT diff_file, transactions FROM scribe.rotate_diff()" || true
  echo "  rotate_diff() after $third scripts"
  run_schedule "$third" "$twothird"
  snapshot switch "$source_db" || echo "  (snapshot of the source at new_chain() had errors: see $snaps/switch.*.err)" >&2
  control "SELECT scribe.new_chain()" || true
  echo "  new_chain() after $twothird scripts"
  run_schedule "$twothird" "$total"
  control "SELECT diff_file, transactions FROM scribe.rotate_diff()" || true
  echo "  final rotate_diff(); corpus ran in $(took "$t0") ($scripts_run scripts)"
  q -d "$source_db" -x -c "SELECT state, last_error, warnings FROM scribe.status" >"$vout/status.txt" 2>&1 || true
  q -d "$source_db" -c "SELECT chain_id, file, kind, transactions, note FROM scribe.chains()" >"$vout/chains.txt" 2>&1 || true
  if "$PG_SCRIBE" --verify --backup-dir "$backups" >"$vout/verify.out" 2>&1; then
    ok "$variant: every sealed file verifies"
  else
    fail "$variant: pg_scribe --verify: $(tail -3 "$vout/verify.out" | tr '\n' ' ')"
  fi
  t=$(now)
  snapshot final "$source_db" || echo "  (snapshot of the source had errors: see $snaps/final.*.err)" >&2
  drop_cluster "src$variant"

  local chains=() chain
  for chain in $(ls -d "$backups"/chain-* | sort); do chains+=("$chain"); done
  relations=$(wc -l <"$snaps/final.sums")
  transactions=$(diff_transactions "${chains[@]}")
  echo "  ${#chains[@]} chains, $transactions transactions in the sealed diffs, $relations relations"

  # 1. pg_scribe --restore, newest chain.
  t=$(now)
  cluster "r1$variant"
  if "$PG_SCRIBE" --restore --create -d "$target_db" --backup-dir "$backups" >"$vout/restore-newest.out" 2>&1; then
    ok "$variant: pg_scribe --restore of the newest chain completes ($(took "$t"))"
  else
    fail "$variant: pg_scribe --restore of the newest chain failed: $(grep -m1 -A3 'error' "$vout/restore-newest.out" | tr '\n' ' ' | cut -c1-400)"
  fi
  snapshot r1 "$target_db" 2>/dev/null || true
  if same newest final r1; then ok "$variant: the newest chain restored by pg_scribe equals the source"; else
    fail "$variant: the newest chain restored by pg_scribe differs from the source ($vout/newest.*.diff)"
  fi
  drop_cluster "r1$variant"

  # 2. pg_scribe --restore, first chain (ends where new_chain() began).
  t=$(now)
  cluster "r2$variant"
  if "$PG_SCRIBE" --restore --create -d "$target_db" --chain-id "$(basename "${chains[0]}")" --backup-dir "$backups" \
    >"$vout/restore-first.out" 2>&1; then
    ok "$variant: pg_scribe --restore of the first chain completes ($(took "$t"))"
  else
    fail "$variant: pg_scribe --restore of the first chain failed: $(grep -m1 -A3 'error' "$vout/restore-first.out" | tr '\n' ' ' | cut -c1-400)"
  fi
  snapshot r2 "$target_db" 2>/dev/null || true
  if same first switch r2; then ok "$variant: the first chain restored by pg_scribe equals the source at new_chain()"; else
    fail "$variant: the first chain restored by pg_scribe differs from the source at new_chain() ($vout/first.*.diff)"
  fi
  drop_cluster "r2$variant"

  # 3. psql alone: the first chain, then the diffs of the later chains.
  t=$(now)
  cluster "r3$variant"
  if [ "$diagnose" = 1 ]; then
    diagnose_replay "${chains[0]}" "$target_db" "${chains[@]:1}"
    echo "  diagnosis replay ($(took "$t")): $(awk '{e += $(NF-6); a += $(NF-4)} END {print e " errors, " a " more in aborted transactions"}' "$vout/diagnose-counts.txt"); report $report"
    summarize >"$vout/diagnose-summary.txt"
  else
    local walked=ok
    restore_chain "${chains[0]}" "$target_db" 2>"$vout/restore-psql.err" || walked=failed
    for chain in "${chains[@]:1}"; do
      [ "$walked" = ok ] || break
      apply_diffs "$chain" "$target_db" 2>>"$vout/restore-psql.err" || walked=failed
    done
    if [ "$walked" = ok ]; then ok "$variant: psql alone (ON_ERROR_STOP) replays every chain ($(took "$t"))"; else
      fail "$variant: psql alone stopped: $(grep -E -m1 -A2 'ERROR|FATAL' "$vout/restore-psql.err" | tr '\n' ' ' | cut -c1-300) $(grep -E ' failed$' "$vout/restore-psql.err" | head -1)"
    fi
  fi
  snapshot r3 "$target_db" 2>/dev/null || true
  if same psql final r3; then ok "$variant: the database restored by psql alone equals the source"; else
    fail "$variant: the database restored by psql alone differs from the source ($vout/psql.*.diff)"
  fi
  drop_cluster "r3$variant"
  finish_variant "$t0"
}

finish_variant() {
  echo "  variant $variant: $scripts_run scripts run, ${transactions:-0} transactions replayed, ${relations:-0} relations compared, $(took "$1") in all"
  echo "figure: corpus_${variant}_seconds=$(($(now) - $1))"
}

# The distinct first errors of the diagnosis, names and numbers masked.
summarize() {
  grep -E '^psql:.*: (ERROR|FATAL)' "$report" | sed -E 's/^psql:[^:]*:[0-9]+: //' |
    sed -E 's/"[^"]*"/"…"/g; s/(on table|on) [a-z_0-9]+\.[^ ]+/\1 …/; s/\b[0-9]+\b/N/g' | sort | uniq -c | sort -rn
}

for v in $variants; do run_variant "$v"; done
echo "logs: $out"
if finish "pg_regress_corpus"; then
  echo "pg_regress_corpus: PASS"
else
  echo "pg_regress_corpus: FAIL"
  exit 1
fi
