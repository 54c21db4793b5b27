#!/usr/bin/env bash
# Crafted backup files. Injects, each into its own copy of a real backup
# directory (one uncompressed chain, one zstd chain, made here): a diff cut
# in the middle of a transaction (manifest as written, and re-signed: size
# and sha256 recomputed so that only the content checks can catch it); a
# diff replaced by random bytes (as written, re-signed); a diff whose header
# lies about its start LSN, and one whose transaction header goes back in
# commit order (re-signed: only the LSN checks can catch them); a manifest
# that is not JSON (garbage, cut short, nested 100,000 deep, empty); manifest
# entries that point outside the chain directory (../../etc/passwd,
# /etc/passwd, with its real size and sha256); base.sql missing; base.sql cut
# short (as written; re-signed and cut at a statement boundary; zstd cut
# mid-frame); zstd files whose frame header is corrupted or that end
# mid-frame (re-signed); statements appended after a diff's trailer
# (re-signed); a psql meta-command `\! touch MARKER` between transactions,
# inside a transaction, inside a statement and after the trailer
# (re-signed); a NUL byte after a BEGIN; (re-signed: libpq would cut the
# text there); empty files; a FIFO and /dev/zero in place of a diff; with
# --include-active: a torn active.sql followed by zeros and garbage, a
# meta-command in its torn end, and garbage after its whole transactions.
# Checks: for each sealed-file case, `pg_scribe --verify` exits 4 and names
# the file, and `pg_scribe --restore --create -d X` refuses (exit 4 or 5;
# never a signal, never a hang) naming the file, leaves no database X (the
# files are verified while the base is restored: a database made before a
# problem was found is dropped again), and no marker file appears. The
# verification beside the restore: a base with one byte flipped (size
# unchanged; in a row, where the SQL still runs, in a statement, where it
# breaks, in the middle, plain and zstd, on one connection and with --jobs
# 2) refuses with exit 4 naming the base: with --create no database is
# left, into an existing empty database that database is said to be
# incomplete; a diff with one byte flipped is never applied, nor is any diff
# before it (the database holds what the base alone restores). active.sql is not in the manifest (README): a torn
# end is cut and reported and the rest restored equals the source; garbage
# or a meta-command there is refused or cut, never run. --force (README:
# "apply files that fail verification") applies an intact diff whose
# checksum fails and restores what the chain holds, but still never runs a
# meta-command. Last, the oracle: the original backup verifies and restores
# to the source.
set -euo pipefail
cd "$(dirname "$0")/../.."
source tests/lib/reliability.sh  # and cluster.sh, compare.sh, engine.sh

CLUSTER_EXTRA_CONF="max_worker_processes = 16
log_min_messages = warning"
start_throwaway_cluster crafted_files
backups=$work/backups
mkdir -p "$backups"
chown postgres: "$backups"
edit() { python3 tests/reliability/data/crafted_edit.py "$@"; }
t_start=$(date +%s)

echo "-- a source with an uncompressed chain and a zstd chain"
createdb src
q -d src -c "CREATE EXTENSION scribe" -f tests/e2e/cli/schema.sql >/dev/null
q -d src -c "SELECT * FROM scribe.init('$backups/src')" >/dev/null
for k in 1 2 3; do
  q -d src -v k=$k -f tests/e2e/cli/batch.sql >/dev/null
  q -d src -c "SELECT * FROM scribe.rotate_diff()" >/dev/null
done
q -d src -c "SELECT scribe.new_chain('zstd')" >/dev/null
for k in 4 5 6; do
  q -d src -v k=$k -f tests/e2e/cli/batch.sql >/dev/null
  q -d src -c "SELECT * FROM scribe.rotate_diff()" >/dev/null
done
# Left in active.sql (the --include-active cases): committed, not sealed.
q -d src -v k=7 -f tests/e2e/cli/batch.sql >/dev/null
target_lsn=$(psql -X -At -d src -c "SELECT pg_current_wal_lsn()")
for _ in $(seq 1 300); do
  [ "$(psql -X -At -d src -c "SELECT written_lsn >= '$target_lsn' FROM scribe.status_rows() WHERE database = 'src'")" = t ] && break
  sleep 0.2
done
q -d src -c "SELECT scribe.stop()" >/dev/null   # the files stay as they are while the copies are made
chain1=$(ls -d "$backups"/src/chain-* | sort | head -1)
chain2=$(ls -d "$backups"/src/chain-* | sort | tail -1)
id1=${chain1##*/chain-}
id2=${chain2##*/chain-}
plain_diff=$(ls "$chain1" | grep -E '^diff-.*\.sql$' | sort | sed -n 2p)
zstd_diff=$(ls "$chain2" | grep -E '^diff-.*\.sql\.zst$' | sort | sed -n 2p)
[ -n "$plain_diff" ] && [ -n "$zstd_diff" ] || { fail "the backup has no diffs to craft"; exit 1; }
echo "chains: $id1 (none, $plain_diff), $id2 (zstd, $zstd_diff)"

# References: each chain restored untouched.
"$PG_SCRIBE" --restore --create -d ref1 --backup-dir "$backups/src" --chain-id "$id1" >"$work/ref1.out" 2>&1 ||
  { fail "reference restore of chain $id1"; cat "$work/ref1.out" >&2; }
"$PG_SCRIBE" --restore --create -d ref_active --backup-dir "$backups/src" --include-active >"$work/ref2.out" 2>&1 ||
  { fail "reference restore with active.sql"; cat "$work/ref2.out" >&2; }
if compare_databases src ref_active "$work"; then ok "untouched backup with --include-active equals the source"; else
  fail "untouched backup with --include-active differs from the source"; fi

copy=$work/copy
C1= C2=
fresh_copy() {
  rm -rf "$copy"
  cp -a "$backups/src" "$copy"
  C1=$copy/chain-$id1
  C2=$copy/chain-$id2
}
marker=$work/marker
n=0

# pg_scribe with a time limit: a hang (a FIFO, an endless file) fails the
# check instead of the whole run. Sets $rc.
scribe_run() {
  local out=$1
  shift
  rc=0
  timeout 120 "$PG_SCRIBE" "$@" >"$out" 2>&1 || rc=$?
}

db_exists() { [ "$(psql -X -At -d postgres -c "SELECT count(*) FROM pg_database WHERE datname = '$1'")" != 0 ]; }

# refused LABEL CHAIN_ID PATTERN [restore options]: on the current copy,
# --verify of that chain and --restore --create of it both refuse, naming
# PATTERN (grep -E), and nothing is left or run.
refused() {
  local label=$1 id=$2 pattern=$3
  shift 3
  n=$((n + 1))
  local target="x_$n" problems=()
  rm -f "$marker"
  scribe_run "$work/verify.$n" --verify --backup-dir "$copy" --chain-id "$id"
  if [ "$rc" != 4 ]; then
    problems+=("--verify exited $rc, not 4")
  elif ! grep -Eq -- "$pattern" "$work/verify.$n"; then
    problems+=("--verify does not name /$pattern/")
  fi
  scribe_run "$work/restore.$n" --restore --create -d "$target" --backup-dir "$copy" --chain-id "$id" "$@"
  if [ "$rc" -ge 128 ]; then
    problems+=("--restore died (exit $rc)")
  elif [ "$rc" != 4 ] && [ "$rc" != 5 ]; then
    problems+=("--restore exited $rc, not 4 or 5")
  fi
  grep -Eq -- "$pattern" "$work/restore.$n" || problems+=("--restore does not name /$pattern/")
  if db_exists "$target"; then
    problems+=("database $target was created")
    dropdb "$target"
  fi
  [ -e "$marker" ] && problems+=("THE META-COMMAND RAN: $marker exists")
  if [ ${#problems[@]} = 0 ]; then
    ok "$label: refused by --verify and --restore (exit $rc), no database, nothing run"
  else
    fail "$label: $(IFS=';'; echo "${problems[*]}")"
    sed 's/^/    verify: /' "$work/verify.$n" | grep -v '^    verify:   ' | head -6 >&2
    sed 's/^/    restore: /' "$work/restore.$n" | grep -v '^    restore:   ' | head -8 >&2
  fi
}

half_of() { echo $(($(stat -c %s "$1") / 2)); }

echo "-- diffs cut short, replaced, lying"
fresh_copy
truncate -s "$(half_of "$C1/$plain_diff")" "$C1/$plain_diff"
refused "plain diff cut in the middle" "$id1" "$plain_diff"
edit resign "$C1" "$plain_diff"
refused "plain diff cut in the middle, manifest re-signed" "$id1" "$plain_diff"
fresh_copy
truncate -s "$(half_of "$C2/$zstd_diff")" "$C2/$zstd_diff"
edit resign "$C2" "$zstd_diff"
refused "zstd diff cut mid-frame, manifest re-signed" "$id2" "$zstd_diff"

fresh_copy
edit garbage "$C1" "$plain_diff" 1
refused "plain diff replaced by random bytes" "$id1" "$plain_diff"
edit resign "$C1" "$plain_diff"
refused "plain diff replaced by random bytes, manifest re-signed" "$id1" "$plain_diff"
fresh_copy
edit garbage "$C2" "$zstd_diff" 2
edit resign "$C2" "$zstd_diff"
refused "zstd diff replaced by random bytes, manifest re-signed" "$id2" "$zstd_diff"

fresh_copy
edit edit "$C1" "$plain_diff" header-lsn
edit resign "$C1" "$plain_diff"
refused "plain diff header lies about its start LSN, manifest re-signed" "$id1" "$plain_diff.*start_lsn"
fresh_copy
edit edit "$C2" "$zstd_diff" header-lsn
edit resign "$C2" "$zstd_diff"
refused "zstd diff header lies about its start LSN, manifest re-signed" "$id2" "$zstd_diff.*start_lsn"
fresh_copy
edit edit "$C1" "$plain_diff" commit-lsn
edit resign "$C1" "$plain_diff"
refused "plain diff with a commit LSN going backwards, manifest re-signed" "$id1" "$plain_diff.*commit lsn"

echo "-- manifests"
for bad in 'not json at all' '{"format": "pg_scribe manifest 1", "chain_id": ' ''; do
  fresh_copy
  edit manifest-text "$C1" "$bad"
  refused "manifest.json holding '${bad:0:30}'" "$id1" "manifest"
done
fresh_copy
edit manifest-nested "$C2" 100000
refused "manifest.json nested 100000 deep" "$id2" "manifest"
passwd_bytes=$(stat -c %s /etc/passwd)
passwd_sha=$(sha256sum /etc/passwd | cut -d' ' -f1)
for key in diffs.0 base globals; do
  for name in ../../etc/passwd /etc/passwd; do
    fresh_copy
    edit manifest "$C1" "$key.file" "\"$name\""
    edit manifest "$C1" "$key.bytes" "$passwd_bytes"
    edit manifest "$C1" "$key.sha256" "\"$passwd_sha\""
    refused "manifest entry $key pointing to $name (its real size and sha256)" "$id1" "manifest.*passwd|passwd.*manifest"
  done
done

echo "-- base.sql"
fresh_copy
rm "$C1/base.sql"
refused "base.sql missing" "$id1" "base\.sql"
fresh_copy
rm "$C2/base.sql.zst"
refused "base.sql.zst missing" "$id2" "base\.sql\.zst"
fresh_copy
truncate -s "$(half_of "$C1/base.sql")" "$C1/base.sql"
refused "base.sql cut in half" "$id1" "base\.sql"
fresh_copy
truncate -s "$(half_of "$C2/base.sql.zst")" "$C2/base.sql.zst"
refused "base.sql.zst cut in half" "$id2" "base\.sql\.zst"
fresh_copy
truncate -s "$(half_of "$C2/base.sql.zst")" "$C2/base.sql.zst"
edit resign "$C2" base.sql.zst
refused "base.sql.zst cut mid-frame, manifest re-signed" "$id2" "base\.sql\.zst"
# Cut right before the table data: every statement whole, the tables empty.
fresh_copy
cut_at=$(grep -b -m1 '^COPY public\.' "$C1/base.sql" | cut -d: -f1)
truncate -s "$cut_at" "$C1/base.sql"
edit resign "$C1" base.sql
refused "base.sql cut before its first COPY (a statement boundary), manifest re-signed" "$id1" "base\.sql"

echo "-- zstd frames"
fresh_copy
edit zstd-frame "$C2" "$zstd_diff"
edit resign "$C2" "$zstd_diff"
refused "zstd diff with a corrupted frame header, manifest re-signed" "$id2" "$zstd_diff"
fresh_copy
edit zstd-frame "$C2" base.sql.zst
edit resign "$C2" base.sql.zst
refused "base.sql.zst with a corrupted frame header, manifest re-signed" "$id2" "base\.sql\.zst"

echo "-- statements after the trailer, meta-commands, NUL bytes"
fresh_copy
edit edit "$C1" "$plain_diff" append "DELETE FROM public.accounts;"
edit resign "$C1" "$plain_diff"
refused "plain diff with a statement after its trailer, manifest re-signed" "$id1" "$plain_diff"
fresh_copy
edit edit "$C2" "$zstd_diff" append "DROP TABLE public.notes;"
edit resign "$C2" "$zstd_diff"
refused "zstd diff with a statement after its trailer, manifest re-signed" "$id2" "$zstd_diff"
for where in before-trailer in-transaction in-statement append; do
  fresh_copy
  edit edit "$C1" "$plain_diff" "$where" "\\! touch $marker"
  edit resign "$C1" "$plain_diff"
  refused "plain diff with '\\! touch' ($where), manifest re-signed" "$id1" "$plain_diff"
done
fresh_copy
edit edit "$C2" "$zstd_diff" in-transaction "\\! touch $marker"
edit resign "$C2" "$zstd_diff"
refused "zstd diff with '\\! touch' (in-transaction), manifest re-signed" "$id2" "$zstd_diff"
fresh_copy
edit edit "$C1" "$plain_diff" nul
edit resign "$C1" "$plain_diff"
refused "plain diff with a NUL byte in a transaction, manifest re-signed" "$id1" "$plain_diff"

echo "-- empty files, not files"
fresh_copy
: >"$C1/$plain_diff"
refused "empty diff" "$id1" "$plain_diff"
edit resign "$C1" "$plain_diff"
refused "empty diff, manifest re-signed" "$id1" "$plain_diff"
fresh_copy
: >"$C1/base.sql"
edit resign "$C1" base.sql
refused "empty base.sql, manifest re-signed" "$id1" "base\.sql"
fresh_copy
: >"$C2/base.sql.zst"
edit resign "$C2" base.sql.zst
refused "empty base.sql.zst, manifest re-signed" "$id2" "base\.sql\.zst"
fresh_copy
rm "$C1/$plain_diff"
mkfifo "$C1/$plain_diff"
refused "a FIFO in place of a diff" "$id1" "$plain_diff"
fresh_copy
rm "$C1/$plain_diff"
ln -s /dev/zero "$C1/$plain_diff"
refused "/dev/zero in place of a diff" "$id1" "$plain_diff"

echo "-- verified while the base is restored"
# flipped_base LABEL CHAIN_ID FILE WHERE [restore options]: FILE, the base
# of a fresh copy of chain CHAIN_ID, with one byte flipped at WHERE (see
# crafted_edit.py flip; size unchanged, manifest as written). --restore
# --create exits 4 naming FILE's checksum and leaves no database; into an
# existing empty database, exits 4 and says that database is incomplete.
flipped_base() {
  local label=$1 id=$2 file=$3 where=$4
  shift 4
  n=$((n + 1))
  local target="x_$n" problems=()
  fresh_copy
  edit flip "$copy/chain-$id" "$file" "$where"
  scribe_run "$work/restore.$n" --restore --create -d "$target" --backup-dir "$copy" --chain-id "$id" "$@"
  [ "$rc" = 4 ] || problems+=("--create: exit $rc, not 4")
  grep -q "error: $file: checksum mismatch" "$work/restore.$n" || problems+=("--create: no checksum mismatch of $file")
  grep -q "database \"$target\" was dropped" "$work/restore.$n" || problems+=("--create: does not say it dropped $target")
  if db_exists "$target"; then
    problems+=("--create: database $target left")
    dropdb "$target"
  fi
  createdb "$target"
  scribe_run "$work/restore.$n.existing" --restore -d "$target" --backup-dir "$copy" --chain-id "$id" "$@"
  [ "$rc" = 4 ] || problems+=("existing database: exit $rc, not 4")
  grep -q "error: $file: checksum mismatch" "$work/restore.$n.existing" ||
    problems+=("existing database: no checksum mismatch of $file")
  grep -q "database \"$target\" is incomplete" "$work/restore.$n.existing" ||
    problems+=("existing database: not said to be incomplete")
  dropdb "$target"
  if [ ${#problems[@]} = 0 ]; then
    ok "$label: exit 4 naming $file; with --create no database left, else the database said incomplete"
  else
    fail "$label: $(IFS=';'; echo "${problems[*]}")"
    sed 's/^/    restore: /' "$work/restore.$n" | grep -v '^    restore:   ' | head -8 >&2
    sed 's/^/    existing: /' "$work/restore.$n.existing" | grep -v '^    existing:   ' | head -8 >&2
  fi
}
for jobs in 1 2; do
  flipped_base "base.sql, a byte of a row flipped (the SQL still runs), --jobs $jobs" "$id1" base.sql \
    $'FROM stdin;\n' --jobs "$jobs"
  flipped_base "base.sql, a byte of a statement flipped (the SQL breaks), --jobs $jobs" "$id1" base.sql \
    'CREATE TABLE public.accounts' --jobs "$jobs"
  flipped_base "base.sql, its middle byte flipped, --jobs $jobs" "$id1" base.sql middle --jobs "$jobs"
  flipped_base "base.sql.zst, its middle byte flipped, --jobs $jobs" "$id2" base.sql.zst middle --jobs "$jobs"
done

# A diff with a byte flipped, the base intact: no diff is applied, not even
# the one before it. The target holds no row that the base alone does not
# (the restore of the base may have stopped early, or been rolled back).
base_lsn=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["start_lsn"])' "$chain1/manifest.json")
"$PG_SCRIBE" --restore --create -d base_only --backup-dir "$backups/src" --chain-id "$id1" --up-to "$base_lsn" \
  >"$work/base_only.out" 2>&1 || { fail "restore of the base alone (--up-to $base_lsn)"; cat "$work/base_only.out" >&2; }
row_hashes base_only >"$work/base_only.rows"
for jobs in 1 2; do
  fresh_copy
  edit flip "$C1" "$plain_diff" middle
  n=$((n + 1))
  createdb "x_$n"
  scribe_run "$work/restore.$n" --restore -d "x_$n" --backup-dir "$copy" --chain-id "$id1" --jobs "$jobs"
  row_hashes "x_$n" >"$work/x_$n.rows"
  not_in_base=$(LC_ALL=C comm -13 "$work/base_only.rows" "$work/x_$n.rows" | wc -l)
  if [ "$rc" = 4 ] && grep -q "error: $plain_diff: checksum mismatch" "$work/restore.$n" && [ "$not_in_base" = 0 ]; then
    ok "a diff with a byte flipped, --jobs $jobs: exit 4 naming it, no diff applied ($(wc -l <"$work/x_$n.rows") rows, all of the base)"
  else
    fail "a diff with a byte flipped, --jobs $jobs: exit $rc, $not_in_base rows not in the base"
    grep -v '^  ' "$work/restore.$n" | head -8 >&2
  fi
  dropdb "x_$n"
done

echo "-- active.sql with --include-active"
# A torn transaction followed by garbage (what a crash can leave): cut and
# reported, everything committed before it restored.
fresh_copy
# Garbage: the zeros a file system may leave after a crash, then seeded
# random bytes (kept free of backslashes, see the next case).
torn_tail() {
  printf -- '-- scribe xid=4000000 lsn=FF/0 commit=2099-01-01T00:00:00Z\nBEGIN;\nINSERT INTO public.notes (k, body) VALUES (-4242, %s);\n' "'torn'"
  printf 'UPDATE public.accounts SET owner = %s' "'torn"
  python3 -c 'import random, sys; r = random.Random(11); sys.stdout.buffer.write(bytes(512) + bytes(b for b in (r.getrandbits(8) for _ in range(4096)) if b != 0x5c))'
}
fresh_copy
torn_tail >>"$C2/active.sql"
n=$((n + 1))
rm -f "$marker"
scribe_run "$work/restore.$n" --restore --create -d torn_active --backup-dir "$copy" --include-active
if [ "$rc" = 0 ] && grep -q 'dropped the torn end of active.sql' "$work/restore.$n" &&
  compare_databases src torn_active "$work" && [ ! -e "$marker" ]; then
  ok "torn active.sql followed by zeros and garbage: the torn end dropped and reported, the rest equals the source"
else
  fail "torn active.sql with garbage: exit $rc"
  grep -v '^  ' "$work/restore.$n" | head -8 >&2
fi
# A meta-command inside the torn transaction: never run; the transaction is
# either dropped with the torn end or the restore refuses.
fresh_copy
{
  printf -- '-- scribe xid=4000001 lsn=FF/0 commit=2099-01-01T00:00:00Z\nBEGIN;\nINSERT INTO public.notes (k, body) VALUES (-4243, %s);\n' "'torn'"
  printf '\\! touch %s\nDELETE FROM public.accounts WHERE id = 1' "$marker"
} >>"$C2/active.sql"
n=$((n + 1))
rm -f "$marker"
scribe_run "$work/restore.$n" --restore --create -d torn_meta --backup-dir "$copy" --include-active
if [ ! -e "$marker" ] && { { [ "$rc" = 0 ] && compare_databases src torn_meta "$work"; } ||
  { [ "$rc" = 4 ] && grep -q 'active.sql' "$work/restore.$n"; }; }; then
  ok "a meta-command in the torn end of active.sql never runs (exit $rc: $(grep -Eo 'dropped the torn end|refusing to apply' "$work/restore.$n" | head -1))"
else
  fail "a meta-command in a torn active.sql: exit $rc, marker $([ -e "$marker" ] && echo PRESENT || echo absent)"
  grep -v '^  ' "$work/restore.$n" | head -8 >&2
fi
dropdb --if-exists torn_meta
# Garbage after whole transactions, outside any: not a torn transaction.
fresh_copy
python3 -c 'import random, sys; r = random.Random(7); sys.stdout.buffer.write(b"\n" + bytes(r.getrandbits(8) for _ in range(4096)) + b";\n")' >>"$C2/active.sql"
n=$((n + 1))
rm -f "$marker"
scribe_run "$work/restore.$n" --restore --create -d garbage_active --backup-dir "$copy" --include-active
if [ "$rc" -lt 128 ] && { [ "$rc" = 4 ] || grep -q 'dropped the torn end of active.sql' "$work/restore.$n"; } &&
  grep -q 'active.sql' "$work/restore.$n" && [ ! -e "$marker" ]; then
  ok "garbage after the last transaction of active.sql: refused or cut and named (exit $rc: $(grep -Eo 'dropped the torn end|could not apply active.sql|refusing to apply active.sql' "$work/restore.$n" | head -1)), nothing run"
else
  fail "garbage in active.sql: exit $rc"
  grep -v '^  ' "$work/restore.$n" | head -8 >&2
fi
if [ "$rc" = 0 ]; then
  if compare_databases src garbage_active "$work"; then ok "  ... and what was restored equals the source"; else
    fail "garbage in active.sql: the restore succeeded but differs from the source"; fi
fi
dropdb --if-exists garbage_active

echo "-- --force"
# An intact diff whose manifest checksum is wrong: refused without --force,
# applied with it; the result is the chain's content.
fresh_copy
edit manifest "$C1" diffs.1.sha256 "\"$(printf '0%.0s' $(seq 64))\""
refused "intact diff with a wrong sha256 in the manifest" "$id1" "$plain_diff.*checksum"
scribe_run "$work/force.out" --restore --create -d forced --backup-dir "$copy" --chain-id "$id1" --force
if [ "$rc" = 0 ] && grep -q 'applying files that failed verification (--force)' "$work/force.out" &&
  compare_databases ref1 forced "$work"; then
  ok "--force applies the files that failed verification, says so, and restores the chain's content"
else
  fail "--force on a checksum mismatch: exit $rc"
  grep -v '^  ' "$work/force.out" | head -8 >&2
fi
# A meta-command: --force still never runs it.
for where in before-trailer in-transaction in-statement; do
  fresh_copy
  edit edit "$C1" "$plain_diff" "$where" "\\! touch $marker"
  edit resign "$C1" "$plain_diff"
  rm -f "$marker"
  scribe_run "$work/force.$where" --restore --create -d "forced_$where" --backup-dir "$copy" --chain-id "$id1" --force
  if [ "$rc" = 4 ] && [ ! -e "$marker" ] && grep -q "$plain_diff" "$work/force.$where"; then
    ok "--force with '\\! touch' ($where): refused with exit 4 naming the file, the command never ran"
  else
    fail "--force with a meta-command ($where): exit $rc, marker $([ -e "$marker" ] && echo PRESENT || echo absent)"
    grep -v '^  ' "$work/force.$where" | head -8 >&2
  fi
  dropdb --if-exists "forced_$where"
done
rm -rf "$copy"

echo "-- the original backup"
q -d src -c "SELECT scribe.start()" >/dev/null
wait_streaming src 60
oracle src "$backups/src"
figure crafted_cases "$n"
figure seconds $(($(date +%s) - t_start))
finish crafted_files
