#!/usr/bin/env bash
# Hostile calls of the SQL API. Injects: every function of the extension
# (sql/scribe--0.1.sql) called with NULL in each argument, empty strings,
# relative paths, paths into the data directory (PGDATA, a subdirectory,
# pg_wal), paths with "." or ".." (one resolving into PGDATA), symlinks into
# PGDATA (to a subdirectory, to pg_wal, dangling into it), a symlink to
# another backup's directory, a directory holding another database's backup,
# a path inside another backup's directory, a non-empty directory, a file,
# bad compression specifications ('zstd:99', 'foo', 'lz4:-1', 'gzip:10', '',
# 'none:3'), bad slot names and labels; calls in the wrong order (before
# init, init twice, after stop, after teardown, teardown twice, DROP
# EXTENSION while configured, fs_backup_stop of an unknown label,
# fs_backup_start twice with one label); and the privileges: a role without
# superuser and without pg_write_server_files (with and without EXECUTE), a
# pg_monitor member, a pg_write_server_files member without REPLICATION,
# the README's backup_admin role, a pg_checkpoint member.
# Checks: each refused call fails with the SQLSTATE of the table, with a
# HINT where the fix is the caller's; after each call the replication
# slots, every file under the backup directories (names, sizes, modes,
# owners, sha256 of the sealed ones), scribe.status (state, chain, worker
# pid: no restart), scribe.fs_backups and the paths into PGDATA are exactly as before; the
# allowed calls work; the server never crashed. The table of every call is
# printed (and written to build/reliability/hostile_api.md). Last, the
# oracle on the backups that lived through all of it, including the one
# set up by the README's backup_admin recipe.
set -euo pipefail
cd "$(dirname "$0")/../.."
source tests/lib/reliability.sh  # and cluster.sh, compare.sh, engine.sh

CLUSTER_EXTRA_CONF="max_worker_processes = 16
log_min_messages = warning"
start_throwaway_cluster hostile_api
backups=$work/backups
D=$work/cluster/data
mkdir -p "$backups" "$work/links" "$work/nonempty"
touch "$work/nonempty/keep" "$work/afile"
chown -R postgres: "$backups" "$work/links" "$work/nonempty" "$work/afile"
t_start=$(date +%s)

for db in app other fresh; do
  createdb "$db"
  q -d "$db" -c "CREATE EXTENSION scribe" -f tests/e2e/cli/schema.sql >/dev/null
done
q -d app -c "SELECT * FROM scribe.init('$backups/app')" >/dev/null
q -d other -c "SELECT * FROM scribe.init('$backups/other', 'other_slot', 'zstd')" >/dev/null
q -d app -v k=1 -f tests/e2e/cli/batch.sql >/dev/null
q -d app -c "SELECT * FROM scribe.rotate_diff()" >/dev/null
q -d other -v k=1 -f tests/e2e/cli/batch.sql >/dev/null
q -d other -c "SELECT * FROM scribe.rotate_diff()" >/dev/null
wait_streaming app
wait_streaming other

ln -s "$D" "$work/links/data"
ln -s "$D/pg_wal" "$work/links/wal"
ln -s "$D/base" "$work/links/database_files"
ln -s "$D/pg_scribe_new" "$work/links/dangling"
ln -s "$backups/app" "$work/links/app_backup"
chown -h postgres: "$work"/links/*
# Paths into the data directory that no call may create.
data_paths=("$D/backup" "$D/base/new" "$D/pg_wal/backup" "$D/pg_scribe_new" "$D/sub" "$D/x")

snapshot() {
  psql -X -At -d app \
    -c "SELECT slot_name, plugin, slot_type, database, temporary FROM pg_replication_slots ORDER BY 1" \
    -c "SELECT database, slot_name, CASE WHEN state IN ('streaming', 'idle') THEN 'running' ELSE state END,
               worker_pid, backup_dir, current_chain, compression, diffs_in_chain, coalesce(last_error, '')
          FROM scribe.status ORDER BY 1" \
    -c "SELECT label, state, start_lsn, stop_lsn FROM scribe.fs_backups ORDER BY 1, 2"
  (cd "$backups" && find . -printf '%p %y %s %m %u\n' | LC_ALL=C sort)
  (cd "$backups" && find . -type f ! -name active.sql -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum)
  local p
  for p in "${data_paths[@]}"; do [ -e "$p" ] && echo "CREATED $p"; done
  find "$D" \( -name scribe.json -o -name 'chain-*' \) -printf 'IN PGDATA %p\n'
  true
}
baseline() { snapshot >"$work/state.base"; }

table=$work/table.md
{
  echo "(\$W: the scenario's work directory)"
  echo
  echo "| # | call | as | SQLSTATE expected | got | HINT | state after |"
  echo "|---|---|---|---|---|---|---|"
} >"$table"
calls=0 refused=0 changed=0

# expect CODE HINT DB ROLE SQL: the call fails with CODE (HINT: "hint" when
# the error must carry one, "-" otherwise) and leaves the state as it was.
expect() {
  local code=$1 want_hint=$2 db=$3 role=$4 sql=$5 out got hint=no same=same problems=()
  calls=$((calls + 1))
  if out=$(psql -X -q -v VERBOSITY=verbose -U "$role" -d "$db" -c "$sql" 2>&1 >/dev/null); then
    got=none
  else
    got=$(grep -o '^ERROR:  [0-9A-Z]\{5\}' <<<"$out" | head -1 | cut -c9-)
    [ -n "$got" ] || got="?"
  fi
  grep -q '^HINT:' <<<"$out" && hint=yes
  [ "$got" = "$code" ] || problems+=("expected $code, got $got: $(grep -m1 '^ERROR' <<<"$out" || head -1 <<<"$out")")
  [ "$want_hint" = hint ] && [ "$hint" = no ] && problems+=("no HINT: $(grep -m1 '^ERROR' <<<"$out" || true)")
  snapshot >"$work/state.now"
  refused=$((refused + 1))
  if ! diff -q "$work/state.base" "$work/state.now" >/dev/null; then
    same=CHANGED
    changed=$((changed + 1))
    problems+=("state changed: $(diff "$work/state.base" "$work/state.now" | grep '^[<>]' | head -3 | tr '\n' ' ' || true)")
  fi
  local shown=${sql//|/\\|}
  shown=${shown//$work/\$W}
  echo "| $calls | \`${shown:0:150}\` | $role | $code | $got | $hint | $same |" >>"$table"
  if [ ${#problems[@]} = 0 ]; then
    ok "$code$([ "$hint" = yes ] && echo ' +hint') ($role): ${sql:0:110}"
  else
    fail "($role) ${sql:0:150}: $(IFS=';'; echo "${problems[*]}")"
  fi
}

# allowed DB ROLE SQL: the call succeeds (state may change: re-baselined).
allowed() {
  local db=$1 role=$2 sql=$3 out
  calls=$((calls + 1))
  local shown=${sql//|/\\|}
  shown=${shown//$work/\$W}
  if out=$(psql -X -q -v ON_ERROR_STOP=1 -U "$role" -d "$db" -c "$sql" 2>&1 >/dev/null); then
    ok "allowed ($role): ${sql:0:110}"
    echo "| $calls | \`${shown:0:150}\` | $role | (allowed) | none | - | - |" >>"$table"
  else
    fail "($role) ${sql:0:150} should work: $(grep -m1 'ERROR' <<<"$out" || true)"
    echo "| $calls | \`${shown:0:150}\` | $role | (allowed) | $(grep -o 'ERROR:  [0-9A-Z]*' <<<"$out" | head -1 || true) | - | - |" >>"$table"
  fi
  baseline
}

baseline
S=postgres

echo "-- NULL arguments"
expect 22004 - fresh $S "SELECT * FROM scribe.init(NULL)"
expect 22004 - fresh $S "SELECT * FROM scribe.init(NULL, NULL, NULL, NULL)"
expect 22004 - fresh $S "SELECT * FROM scribe.init('$backups/fresh', NULL)"
expect 22004 - fresh $S "SELECT * FROM scribe.init('$backups/fresh', 'fresh_slot', NULL)"
expect 55000 hint fresh $S "SELECT * FROM scribe.chains(NULL)"
expect 55000 hint fresh $S "SELECT * FROM scribe.chain_files(NULL)"
expect 22004 - app $S "SELECT scribe.fs_backup_start(NULL)"
expect 22004 - app $S "SELECT scribe.fs_backup_start(NULL, NULL, NULL)"
expect 22004 - app $S "SELECT * FROM scribe.fs_backup_stop(NULL)"
expect 22004 - app $S "SELECT * FROM scribe.fs_backup_stop(NULL, NULL)"
# new_chain(NULL) keeps the compression, fs_backup_clear(NULL) clears every
# finished backup, teardown(NULL) is teardown(true): NULL is the documented
# default there (checked below, on backups made for it).

echo "-- empty strings, relative paths, control characters"
expect 22023 hint fresh $S "SELECT * FROM scribe.init('')"
expect 22023 hint fresh $S "SELECT * FROM scribe.init('relative/dir')"
expect 22023 hint fresh $S "SELECT * FROM scribe.init('pg_wal')"
expect 22023 hint fresh $S "SELECT * FROM scribe.init('.')"
expect 22023 hint fresh $S "SELECT * FROM scribe.init(E'$backups/new\\nline')"
expect 42602 - fresh $S "SELECT * FROM scribe.init('$backups/fresh', '')"
expect 42602 - fresh $S "SELECT * FROM scribe.init('$backups/fresh', 'Bad-Name')"
expect 42710 hint fresh $S "SELECT * FROM scribe.init('$backups/fresh', 'pg_scribe')"
expect 22023 hint fresh $S "SELECT * FROM scribe.chains('')"
expect 22023 hint fresh $S "SELECT * FROM scribe.chains('relative/dir')"
expect 22023 hint fresh $S "SELECT * FROM scribe.chains('base')"
expect 58030 - fresh $S "SELECT * FROM scribe.chains('$work/no/such/dir')"
expect 22023 hint app $S "SELECT scribe.fs_backup_start('')"
expect 22023 hint app $S "SELECT scribe.fs_backup_start(E'two\\nlines')"
expect 22023 - app $S "SELECT scribe.fs_backup_start(repeat('x', 2000))"
expect 22023 hint app $S "SELECT scribe.fs_backup_start('neg', true, '-1 hour')"
expect 22023 hint app $S "SELECT * FROM scribe.fs_backup_stop('')"

echo "-- the data directory"
expect 22023 hint fresh $S "SELECT * FROM scribe.init('$D')"
expect 22023 hint fresh $S "SELECT * FROM scribe.init('$D/backup')"
expect 22023 hint fresh $S "SELECT * FROM scribe.init('$D/base/new')"
expect 22023 hint fresh $S "SELECT * FROM scribe.init('$D/pg_wal')"
expect 22023 hint fresh $S "SELECT * FROM scribe.init('$D/pg_wal/backup')"
expect 22023 hint fresh $S "SELECT * FROM scribe.init('$work/cluster')"
expect 22023 hint fresh $S "SELECT * FROM scribe.init('$backups/../cluster/data/x')"
expect 22023 hint fresh $S "SELECT * FROM scribe.init('$backups/app/../../cluster/data')"
expect 22023 hint fresh $S "SELECT * FROM scribe.init('$backups/./fresh')"
expect 22023 hint fresh $S "SELECT * FROM scribe.init('$backups/fresh/..')"
expect 22023 hint fresh $S "SELECT * FROM scribe.init('$work/links/data')"
expect 22023 hint fresh $S "SELECT * FROM scribe.init('$work/links/data/sub')"
expect 22023 hint fresh $S "SELECT * FROM scribe.init('$work/links/wal')"
expect 22023 hint fresh $S "SELECT * FROM scribe.init('$work/links/database_files/new')"
# A dangling symlink into PGDATA cannot be resolved: refused, nothing made there.
expect 58030 - fresh $S "SELECT * FROM scribe.init('$work/links/dangling')"
expect 58030 - fresh $S "SELECT * FROM scribe.init('$work/links/dangling/sub')"

echo "-- directories that are taken"
expect 55000 hint fresh $S "SELECT * FROM scribe.init('$backups/other')"
expect 55000 hint fresh $S "SELECT * FROM scribe.init('$work/links/app_backup')"
expect 55000 hint fresh $S "SELECT * FROM scribe.init('$work/nonempty')"
expect 55000 hint fresh $S "SELECT * FROM scribe.init('$backups')"
expect 22023 hint fresh $S "SELECT * FROM scribe.init('$work/afile')"
# Inside another backup's directory: a chain-like name there would become
# that backup's "latest chain".
# If one was accepted, it is undone so that the rest can run.
undo_fresh() {
  if [ "$(psql -X -At -d fresh -c "SELECT count(*) FROM scribe.status WHERE database = 'fresh'")" != 0 ]; then
    q -d fresh -c "SELECT scribe.teardown()" >/dev/null 2>&1
    rm -rf "$1"
    baseline
  fi
}
expect 55000 hint fresh $S "SELECT * FROM scribe.init('$backups/app/chain-20991231T000000Z', 'fresh_slot')"
undo_fresh "$backups/app/chain-20991231T000000Z"
expect 55000 hint fresh $S "SELECT * FROM scribe.init('$backups/other/nested', 'fresh_slot')"
undo_fresh "$backups/other/nested"
if "$PG_SCRIBE" --verify --backup-dir "$backups/app" >"$work/verify.app" 2>&1; then
  ok "the backup of app still verifies after the calls aimed inside it"
else
  fail "the backup of app no longer verifies: $(grep -m1 error "$work/verify.app")"
fi

echo "-- compression specifications"
for spec in 'zstd:99' 'foo' 'lz4:-1' 'gzip:10' '' 'none:3' 'zstd:' ':3' 'gzip:1:2' 'lz4:99999999999999999999'; do
  expect 22023 hint fresh $S "SELECT * FROM scribe.init('$backups/fresh', 'fresh_slot', '$spec')"
  expect 22023 hint app $S "SELECT scribe.new_chain('$spec')"
done

echo "-- calls in the wrong order"
for call in "SELECT * FROM scribe.rotate_diff()" "SELECT scribe.new_chain()" "SELECT scribe.stop()" \
  "SELECT scribe.start()" "SELECT scribe.teardown()" "SELECT scribe.teardown(false)"; do
  expect 55000 hint fresh $S "$call"
done
expect 25001 hint fresh $S "BEGIN; SELECT * FROM scribe.init('$backups/fresh', 'fresh_slot')"
allowed fresh $S "SELECT * FROM scribe.init('$backups/fresh', 'fresh_slot')"
expect 42710 hint fresh $S "SELECT * FROM scribe.init('$backups/fresh2', 'fresh_slot2')"
expect 42710 hint fresh $S "SELECT * FROM scribe.init('$backups/fresh', 'fresh_slot')"
expect 42710 hint app $S "SELECT * FROM scribe.init('$backups/app')"
expect 25001 hint fresh $S "BEGIN; SELECT scribe.new_chain()"
expect 55006 hint fresh $S "DROP EXTENSION scribe"
expect 55006 hint fresh $S "DROP SCHEMA scribe CASCADE"
allowed fresh $S "SELECT scribe.stop()"
expect 55000 hint fresh $S "SELECT * FROM scribe.rotate_diff()"
expect 55000 hint fresh $S "SELECT scribe.new_chain()"
allowed fresh $S "SELECT scribe.stop()"
allowed fresh $S "SELECT scribe.start()"
allowed fresh $S "SELECT scribe.start()"
allowed fresh $S "SELECT scribe.teardown()"
for call in "SELECT scribe.teardown()" "SELECT scribe.new_chain()" "SELECT * FROM scribe.rotate_diff()" \
  "SELECT scribe.start()" "SELECT scribe.stop()"; do
  expect 55000 hint fresh $S "$call"
done
expect 55000 hint app $S "SELECT * FROM scribe.fs_backup_stop('never-started')"
allowed app $S "SELECT scribe.fs_backup_start('twice', fast => true)"
expect 42710 hint app $S "SELECT scribe.fs_backup_start('twice', fast => true)"
expect 42710 hint other $S "SELECT scribe.fs_backup_start('twice')"
allowed app $S "SELECT * FROM scribe.fs_backup_stop('twice', NULL)"
allowed app $S "SELECT * FROM scribe.fs_backup_stop('twice')"
expect 39P03 - app $S "SELECT scribe.capture_ddl()"
allowed app $S "SELECT scribe.assert_preloaded()"

echo "-- NULL meaning the default"
# init(force => NULL) is force => false: with scribe.auto_replica_identity
# off, a table without a key is refused (on, init gives it REPLICA IDENTITY
# FULL: tests/e2e/replay_never_fails.sh).
q -d fresh -c "SET scribe.auto_replica_identity = off" -c "CREATE TABLE no_key (a int)"
baseline
PGOPTIONS='-c scribe.auto_replica_identity=off' \
  expect 55000 hint fresh $S "SELECT * FROM scribe.init('$backups/fresh_force', 'fresh_force_slot', 'none', NULL)"
q -d fresh -c "DROP TABLE no_key"
baseline
# teardown(NULL) = teardown(true): the slot is dropped, the files stay.
allowed fresh $S "SELECT * FROM scribe.init('$backups/fresh_null', 'fresh_null_slot', 'gzip')"
allowed fresh $S "SELECT scribe.new_chain(NULL)"
if [ "$(psql -X -At -d fresh -c "SELECT compression FROM scribe.status WHERE database = 'fresh'")" = gzip ]; then
  ok "new_chain(NULL) keeps the compression"
else fail "new_chain(NULL) changed the compression"; fi
allowed fresh $S "SELECT scribe.teardown(NULL)"
if [ "$(psql -X -At -d postgres -c "SELECT count(*) FROM pg_replication_slots WHERE slot_name LIKE 'fresh_null%'")" = 0 ] &&
  [ -n "$(ls -d "$backups"/fresh_null/chain-* 2>/dev/null)" ]; then
  ok "teardown(NULL) is teardown(drop_slot => true), as its default: slot dropped, files kept"
else fail "teardown(NULL) did not act as teardown(true)"; fi
allowed app $S "SELECT scribe.fs_backup_clear(NULL)"
allowed app $S "SELECT scribe.fs_backup_clear('')"

echo "-- privileges"
# admindb is set up as the README says (Configuration, "Who may run it").
createdb admindb
q -d admindb -c "CREATE EXTENSION scribe" -f tests/e2e/cli/schema.sql >/dev/null
q -d postgres >/dev/null <<'SQL'
CREATE ROLE backup_admin LOGIN REPLICATION IN ROLE pg_write_server_files, pg_read_all_data;
CREATE ROLE nopriv LOGIN;
CREATE ROLE noexec LOGIN;
CREATE ROLE watcher LOGIN IN ROLE pg_monitor;
CREATE ROLE writer_norepl LOGIN IN ROLE pg_write_server_files, pg_read_all_data;
CREATE ROLE snapshot_operator LOGIN IN ROLE pg_checkpoint;
SQL
q -d admindb >/dev/null <<'SQL'
GRANT USAGE ON SCHEMA scribe TO backup_admin, nopriv, noexec, writer_norepl, snapshot_operator;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA scribe TO backup_admin, nopriv, writer_norepl;
GRANT SELECT ON scribe.status TO backup_admin;
GRANT EXECUTE ON FUNCTION scribe.fs_backup_start(text, boolean, interval),
                          scribe.fs_backup_stop(text, boolean), scribe.fs_backup_clear(text) TO snapshot_operator;
GRANT SELECT ON scribe.fs_backups TO snapshot_operator;
GRANT EXECUTE ON FUNCTION scribe.fs_backup_rows() TO snapshot_operator;
SQL
baseline
writers=("SELECT * FROM scribe.init('$backups/admindb')" "SELECT scribe.start()" "SELECT scribe.stop()"
  "SELECT * FROM scribe.rotate_diff()" "SELECT scribe.new_chain()" "SELECT scribe.teardown()"
  "SELECT scribe.fs_backup_start('priv')" "SELECT * FROM scribe.fs_backup_stop('priv')" "SELECT scribe.fs_backup_clear()")
readers=("SELECT * FROM scribe.status" "SELECT * FROM scribe.fs_backups" "SELECT * FROM scribe.chains('$backups/app')")
# With EXECUTE granted, the functions' own checks refuse; without, PostgreSQL's.
for role in nopriv noexec watcher; do
  for call in "${writers[@]}"; do expect 42501 - admindb $role "$call"; done
done
for role in nopriv noexec; do
  for call in "${readers[@]}"; do expect 42501 - admindb $role "$call"; done
done
for call in "SELECT * FROM scribe.status_rows()" "SELECT * FROM scribe.fs_backup_rows()" \
  "SELECT * FROM scribe.upload_status()" \
  "SELECT * FROM scribe.chain_files('$backups/app')" "SELECT scribe.assert_preloaded()"; do
  expect 42501 - admindb noexec "$call"
done
for call in "${readers[@]}"; do allowed app watcher "$call"; done
# The uploader's state (scribe.status joins it): pg_monitor may read it.
allowed app watcher "SELECT * FROM scribe.upload_status()"
if [ "$(psql -X -At -U watcher -d app -c "SELECT string_agg(database || ':' || state, ',' ORDER BY database) FROM scribe.status")" = \
  "$(psql -X -At -d app -c "SELECT string_agg(database || ':' || state, ',' ORDER BY database) FROM scribe.status")" ]; then
  ok "a pg_monitor member sees the same scribe.status as a superuser"
else fail "pg_monitor member's scribe.status differs"; fi
# pg_write_server_files without REPLICATION: init cannot open its
# replication connection, says why, and leaves nothing behind.
expect 08006 hint admindb writer_norepl "SELECT * FROM scribe.init('$backups/admindb', 'admin_slot')"
for call in "SELECT scribe.fs_backup_start('priv')" "SELECT * FROM scribe.fs_backup_stop('priv')" "SELECT scribe.fs_backup_clear()"; do
  expect 42501 - admindb writer_norepl "$call"
  expect 42501 - admindb backup_admin "$call"
done
for call in "${writers[@]:0:6}"; do expect 42501 - admindb snapshot_operator "$call"; done
# The README's backup_admin can do what the README says.
allowed admindb backup_admin "SELECT * FROM scribe.init('$backups/admindb', 'admin_slot')"
q -d admindb -v k=1 -f tests/e2e/cli/batch.sql >/dev/null
allowed admindb backup_admin "SELECT * FROM scribe.rotate_diff()"
allowed admindb backup_admin "SELECT scribe.stop()"
allowed admindb backup_admin "SELECT scribe.start()"
allowed admindb backup_admin "SELECT * FROM scribe.status"
q -d admindb -v k=2 -f tests/e2e/cli/batch.sql >/dev/null
allowed admindb backup_admin "SELECT scribe.new_chain('lz4')"
# A GRANT on one of pg_scribe's own functions after init, as the README's
# recipe does "in each backed-up database": captured like any DDL.
q -d admindb -c "GRANT EXECUTE ON FUNCTION scribe.rotate_diff() TO writer_norepl" \
  -c "COMMENT ON FUNCTION scribe.stop() IS 'stops streaming'"
q -d admindb -v k=3 -f tests/e2e/cli/batch.sql >/dev/null
allowed admindb writer_norepl "SELECT * FROM scribe.rotate_diff()"
# new_chain() creates a slot too: refused the same way, the chain it began removed.
expect 08006 hint admindb writer_norepl "SELECT scribe.new_chain()"
allowed admindb writer_norepl "SELECT scribe.stop()"
allowed admindb writer_norepl "SELECT scribe.start()"
expect 42501 - admindb backup_admin "SELECT * FROM scribe.chains()"
for call in "SELECT scribe.fs_backup_start('op', fast => true)" "SELECT * FROM scribe.fs_backup_stop('op')" \
  "SELECT scribe.fs_backup_clear('op')" "SELECT * FROM scribe.fs_backups"; do
  allowed admindb snapshot_operator "$call"
done
wait_streaming admindb

echo "-- every function of the extension was called"
while read -r name; do
  if grep -q "scribe\.$name(" "$table"; then ok "scribe.$name() is in the table"; else
    fail "no call of scribe.$name() in the table: a function the scenario does not know"; fi
done < <(psql -X -At -d app -c "SELECT DISTINCT p.proname FROM pg_catalog.pg_proc p
                                 JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
                                WHERE n.nspname = 'scribe' ORDER BY 1")

echo "-- the server"
crashes=$(log_lines 'terminated by signal|server process .* was terminated|PANIC' | wc -l)
if [ "$crashes" = 0 ]; then ok "no server process crashed during $calls calls"; else
  fail "$crashes crash lines in the server log"
  log_lines 'terminated by signal|PANIC' | head -3 >&2
fi
mkdir -p build/reliability
cp "$table" build/reliability/hostile_api.md
echo
cat "$table"
echo

echo "-- the backups still work"
oracle app "$backups/app"
if "$PG_SCRIBE" --verify --backup-dir "$backups/other" >"$work/verify.other" 2>&1; then ok "the backup of other verifies"; else fail "the backup of other no longer verifies"; fi
oracle admindb "$backups/admindb" "admindb (README's backup_admin setup)"
# teardown() is one of the calls the README allows pg_write_server_files.
allowed admindb writer_norepl "SELECT scribe.teardown()"
if [ "$(psql -X -At -d postgres -c "SELECT count(*) FROM pg_replication_slots WHERE database = 'admindb'")" = 0 ]; then
  ok "teardown by a pg_write_server_files member dropped the slot of admindb"
else fail "teardown by writer_norepl left the slot of admindb"; fi
figure calls "$calls"
figure refused_calls "$refused"
figure state_changed_by_refused "$changed"
figure seconds $(($(date +%s) - t_start))
finish hostile_api
