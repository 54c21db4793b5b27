#!/usr/bin/env bash
# Captured DDL replays with the session settings that decide what it
# creates (found by the pg_regress corpus, create_am.sql): a table created
# without USING takes default_table_access_method, one without TABLESPACE
# (and its indexes) default_tablespace. Replayed under the restore
# session's defaults, such objects came back with the default access method,
# in the default tablespace. Both restore paths, including DDL run by an
# ordinary role (pg_scribe --restore confines it), must equal the source.
set -euo pipefail
cd "$(dirname "$0")/../.."
source tests/lib/e2e.sh
CLUSTER_EXTRA_CONF="allow_in_place_tablespaces = on" start_throwaway_cluster ddl_session_settings
make_backups_dir

createdb app
q -d app <<'SQL'
CREATE ACCESS METHOD heap2 TYPE TABLE HANDLER heap_tableam_handler;
CREATE TABLESPACE fast LOCATION '';
CREATE ROLE app_owner;
GRANT CREATE ON TABLESPACE fast TO app_owner;
GRANT CREATE ON SCHEMA public TO app_owner;
CREATE EXTENSION scribe;
SQL
q -d app -c "SELECT * FROM scribe.init('$backups/app')" >/dev/null 2>&1
wait_streaming app 60

q -d app <<'SQL'
SET default_table_access_method = heap2;
CREATE TABLE by_am (id int PRIMARY KEY, v text);
CREATE TABLE parted (k int PRIMARY KEY) PARTITION BY LIST (k);
CREATE TABLE parted_1 PARTITION OF parted FOR VALUES IN (1);
RESET default_table_access_method;
SET default_tablespace = fast;
CREATE TABLE in_fast (id int PRIMARY KEY, v text);
CREATE INDEX in_fast_v ON in_fast (v);
CREATE TABLE lz (id int PRIMARY KEY, doc text COMPRESSION lz4);
RESET ALL;
SET ROLE app_owner;
SET default_tablespace = fast;
CREATE TABLE owned_fast (id int PRIMARY KEY, v text);
RESET ROLE;
RESET default_tablespace;
INSERT INTO by_am VALUES (1, 'a');
INSERT INTO parted VALUES (1);
INSERT INTO in_fast VALUES (1, 'b');
INSERT INTO lz VALUES (1, repeat('x', 10000));
INSERT INTO owned_fast VALUES (1, 'c');
SQL
q -d app -c "SELECT * FROM scribe.rotate_diff()" >/dev/null
chain=$(ls -d "$backups"/app/chain-* | tail -1)

restore_chain "$chain" app_psql 2>"$work/psql.err" && ok "psql restores the chain" ||
  fail "psql restore failed: $(tail -3 "$work/psql.err")"
if "$PG_SCRIBE" --restore --backup-dir "$backups/app" -d app_cli --create >"$work/cli.out" 2>&1; then
  ok "pg_scribe --restore restores the chain"
else fail "pg_scribe --restore failed: $(tail -3 "$work/cli.out")"; fi

where() {
  psql -X -At -d "$1" -c "SELECT string_agg(c.relname || ':' || coalesce(a.amname, '-') || ':' || coalesce(t.spcname, '-')
                            || ':' || coalesce((SELECT string_agg(attname || '=' || attcompression::text, ',' ORDER BY attnum)
                                                  FROM pg_attribute WHERE attrelid = c.oid AND attcompression <> ''), ''),
                                          ' ' ORDER BY c.relname)
                            FROM pg_class c LEFT JOIN pg_am a ON a.oid = c.relam
                            LEFT JOIN pg_tablespace t ON t.oid = c.reltablespace
                           WHERE c.relname IN ('by_am', 'parted_1', 'in_fast', 'in_fast_v', 'in_fast_pkey', 'lz', 'owned_fast')"
}
expected=$(where app)
case $expected in
  *by_am:heap2:-*in_fast:heap:fast*in_fast_v:btree:fast*lz:heap:fast*owned_fast:heap:fast*parted_1:heap2:-*) ;;
  *) fail "the source is not as this test expects: $expected" ;;
esac
for db in app_psql app_cli; do
  got=$(where "$db")
  if [ "$got" = "$expected" ]; then ok "$db: access methods, tablespaces and compression as at the source"; else
    fail "$db: '$got', source '$expected'"; fi
  if compare_databases app "$db" "$work"; then ok "$db equals the source (schema and every table)"; else fail "$db differs"; fi
done

finish ddl_session_settings
