#!/usr/bin/env bash
# ALTER EXTENSION scribe UPDATE on a database that is being backed up
# (issue 19): the extension is created at the previous released version
# (0.2), backs up, is updated to the current one while streaming, and
# streaming, rotation, a new chain, the status view and a restore of each
# chain still work and equal the source.
set -euo pipefail
cd "$(dirname "$0")/../.."
source tests/lib/e2e.sh
start_throwaway_cluster extension_upgrade
make_backups_dir
previous=0.2
current=$(sed -n "s/^default_version = '\(.*\)'/\1/p" scribe.control)

createdb app
q -d app -c "CREATE EXTENSION scribe VERSION '$previous'"
q -d app -c "CREATE TABLE t (id int PRIMARY KEY, v text)" -c "INSERT INTO t SELECT g, 'a' || g FROM generate_series(1, 100) g"
q -d app -c "SELECT * FROM scribe.init('$backups/app')" >/dev/null
wait_streaming app 60
q -d app -c "UPDATE t SET v = v || '!' WHERE id <= 50" -c "INSERT INTO t VALUES (101, 'before the update')"

q -d app -c "ALTER EXTENSION scribe UPDATE"
version=$(psql -X -At -d app -c "SELECT extversion FROM pg_extension WHERE extname = 'scribe'")
if [ "$version" = "$current" ]; then ok "ALTER EXTENSION scribe UPDATE goes from $previous to $current"; else
  fail "the extension is at $version after the update, not $current"; fi

q -d app -c "INSERT INTO t VALUES (102, 'after the update')" -c "DELETE FROM t WHERE id = 3"
state=$(psql -X -At -d app -c "SELECT state FROM scribe.status WHERE database = 'app'")
case $state in
  streaming | idle) ok "scribe.status reads after the update (state $state)" ;;
  *) fail "scribe.status after the update: state '$state'" ;;
esac
if q -d app -c "SELECT * FROM scribe.rotate_diff()" >/dev/null 2>"$work/rotate.err"; then
  ok "rotate_diff() after the update"
else fail "rotate_diff() after the update: $(cat "$work/rotate.err")"; fi
first=$(ls -d "$backups"/app/chain-* | tail -1)
q -d app -c "SELECT scribe.new_chain()" >/dev/null
q -d app -c "UPDATE t SET v = 'new chain' WHERE id = 102"
wait_streaming app 60
q -d app -c "SELECT * FROM scribe.rotate_diff()" >/dev/null

if "$PG_SCRIBE" --restore --backup-dir "$backups/app" -d app_new --create >"$work/new.out" 2>&1; then
  ok "the chain started after the update restores"
else fail "restore of the new chain: $(tail -3 "$work/new.out")"; fi
if compare_databases app app_new "$work"; then ok "it equals the source"; else fail "the new chain's restore differs"; fi
table_checksums app | grep '^public\.' >"$work/end.sums"
if "$PG_SCRIBE" --restore --backup-dir "$backups/app" --chain-id "$(basename "$first" | sed 's/^chain-//')" \
  -d app_first --create >"$work/first.out" 2>&1; then
  ok "the chain that spans the update restores"
else fail "restore of the first chain: $(tail -3 "$work/first.out")"; fi
got=$(psql -X -At -d app_first -c "SELECT string_agg(id || ':' || v, ',' ORDER BY id) FROM t WHERE id IN (3, 50, 101, 102)")
if [ "$got" = "50:a50!,101:before the update,102:after the update" ]; then
  ok "it holds the changes from before and after the update"
else fail "the first chain's restore holds: $got"; fi

finish extension_upgrade
