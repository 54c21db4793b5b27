#!/usr/bin/env bash
# The base dump holds everything pg_dump writes for the database, pg_scribe's
# own objects aside (issue 15, class 1). A database with one object of each
# kind that pg_dump leaves out when given an --extension, -n or -t pattern
# (event trigger, cast, procedural language, foreign-data wrapper, server,
# user mapping, foreign table, publication, table access method, transform,
# default privileges, large object) and GRANTs on scribe's own functions is
# backed up; its chain is restored into databases of other names with
# pg_scribe --restore and with psql alone, and each restore must hold every
# one of them and equal the source.
set -euo pipefail
cd "$(dirname "$0")/../.."
source tests/lib/e2e.sh
CLUSTER_EXTRA_CONF="max_worker_processes = 16
log_min_messages = warning"
start_throwaway_cluster base

make_backups_dir
createdb src
q -d src >/dev/null <<'SQL'
CREATE EXTENSION scribe;
CREATE ROLE reader;
CREATE TABLE t (id int PRIMARY KEY, v text);
INSERT INTO t VALUES (1, 'one');
-- An event trigger that does nothing visible (it fires on replayed DDL).
CREATE FUNCTION note_ddl() RETURNS event_trigger LANGUAGE plpgsql AS $$BEGIN END$$;
CREATE EVENT TRIGGER user_ddl ON ddl_command_end EXECUTE FUNCTION note_ddl();
CREATE TYPE mood AS ENUM ('sad', 'happy');
CREATE FUNCTION mood_rank(mood) RETURNS int LANGUAGE sql IMMUTABLE AS $$SELECT CASE $1 WHEN 'sad' THEN 0 ELSE 1 END$$;
CREATE CAST (mood AS int) WITH FUNCTION mood_rank(mood);
-- A procedural language that is no extension's, with its own handler.
CREATE FUNCTION plextra_handler() RETURNS language_handler LANGUAGE c AS '$libdir/plpgsql', 'plpgsql_call_handler';
CREATE LANGUAGE plextra HANDLER plextra_handler;
CREATE FUNCTION mood_from_sql(internal) RETURNS internal LANGUAGE internal IMMUTABLE STRICT AS 'textrecv';
CREATE FUNCTION mood_to_sql(internal) RETURNS mood LANGUAGE internal IMMUTABLE STRICT AS 'enum_recv';
CREATE TRANSFORM FOR mood LANGUAGE plextra (FROM SQL WITH FUNCTION mood_from_sql(internal),
                                            TO SQL WITH FUNCTION mood_to_sql(internal));
CREATE FOREIGN DATA WRAPPER nowhere;
CREATE SERVER far FOREIGN DATA WRAPPER nowhere OPTIONS (host 'far.example');
CREATE USER MAPPING FOR reader SERVER far OPTIONS (user 'remote');
CREATE FOREIGN TABLE remote_t (a int) SERVER far;
CREATE PUBLICATION pub FOR TABLE t;
CREATE ACCESS METHOD heap2 TYPE TABLE HANDLER heap_tableam_handler;
CREATE TABLE t2 (id int PRIMARY KEY, v text) USING heap2;
INSERT INTO t2 VALUES (1, 'two');
ALTER DEFAULT PRIVILEGES GRANT SELECT ON TABLES TO reader;
SELECT lo_from_bytea(424242, 'large object content');
-- pg_dump writes these only because scribe is installed: not restorable
-- on a server without pg_scribe.
GRANT EXECUTE ON FUNCTION scribe.status_rows() TO reader;
GRANT EXECUTE ON FUNCTION scribe.chains(text) TO reader;  -- a parameter with a DEFAULT
GRANT SELECT ON scribe.status TO reader;
SQL
q -d src -At -c "SELECT chain_id FROM scribe.init('$backups/src')" >/dev/null
wait_streaming src
q -d src -c "INSERT INTO t VALUES (2, 'two')" -c "CREATE TABLE later (a int PRIMARY KEY)" -c "INSERT INTO t2 VALUES (2, 'x')"
q -d src -c "SELECT * FROM scribe.rotate_diff()" >/dev/null
chain=$(ls -d "$backups"/src/chain-* | head -1)

# has_each DB: every kind is there.
has_each() {
  local db=$1 missing
  missing=$(psql -X -At -d "$db" <<'SQL'
SELECT string_agg(what, ', ') FROM (VALUES
  ('event trigger', (SELECT count(*) FROM pg_event_trigger WHERE evtname = 'user_ddl')),
  ('cast', (SELECT count(*) FROM pg_cast WHERE castsource = 'mood'::regtype)),
  ('language', (SELECT count(*) FROM pg_language WHERE lanname = 'plextra')),
  ('transform', (SELECT count(*) FROM pg_transform)),
  ('foreign-data wrapper', (SELECT count(*) FROM pg_foreign_data_wrapper WHERE fdwname = 'nowhere')),
  ('server', (SELECT count(*) FROM pg_foreign_server WHERE srvname = 'far')),
  ('user mapping', (SELECT count(*) FROM pg_user_mappings WHERE srvname = 'far' AND usename = 'reader')),
  ('foreign table', (SELECT count(*) FROM pg_foreign_table)),
  ('publication', (SELECT count(*) FROM pg_publication_tables WHERE pubname = 'pub' AND tablename = 't')),
  ('access method', (SELECT count(*) FROM pg_am WHERE amname = 'heap2')),
  ('table of that access method', (SELECT count(*) FROM pg_class c JOIN pg_am a ON a.oid = c.relam
                                   WHERE relname = 't2' AND amname = 'heap2')),
  ('default privileges', (SELECT count(*) FROM pg_default_acl)),
  ('large object', (SELECT count(*) FROM pg_largeobject_metadata WHERE oid = 424242
                    AND convert_from(lo_get(424242), 'UTF8') = 'large object content'))
) k(what, n) WHERE n = 0
SQL
  )
  if [ -z "$missing" ]; then
    ok "$db has each kind of object"
  else
    fail "$db lacks: $missing"
  fi
}
has_each src

echo "-- the base file"
base_sql=$(decompress_to_stdout "$(ls "$chain"/base.sql* | head -1)")
grep -q '^CREATE EVENT TRIGGER user_ddl' <<<"$base_sql" && ok "base.sql has the event trigger" ||
  fail "base.sql has no CREATE EVENT TRIGGER"
if grep -E -q '^(CREATE EXTENSION IF NOT EXISTS scribe|COMMENT ON EXTENSION scribe|GRANT .* scribe\.)' <<<"$base_sql"; then
  fail "base.sql holds scribe's own entries: $(grep -E '^(CREATE EXTENSION|COMMENT ON EXTENSION|GRANT .* scribe\.)' <<<"$base_sql" | head -3)"
else
  ok "base.sql holds neither CREATE EXTENSION scribe nor GRANTs on its members"
fi
grep -q 'scribe_capture' <<<"$base_sql" && fail "base.sql holds scribe's event triggers" ||
  ok "scribe's own event triggers (extension members) are not in base.sql"

echo "-- restore with psql alone, into another name"
if restore_chain "$chain" copy_psql; then ok "psql alone restores the chain"; else fail "psql alone failed"; fi
has_each copy_psql
if compare_databases src copy_psql "$work"; then ok "psql restore equals the source"; else fail "psql restore differs"; fi

echo "-- restore with pg_scribe --restore, into another name"
if "$PG_SCRIBE" --restore --backup-dir "$backups/src" -d copy_cli --create >"$work/restore.out" 2>&1; then
  ok "pg_scribe --restore restores the chain"
else
  fail "pg_scribe --restore failed: $(tail -3 "$work/restore.out")"
fi
has_each copy_cli
if compare_databases src copy_cli "$work"; then ok "pg_scribe --restore equals the source"; else fail "pg_scribe --restore differs"; fi

finish base_completeness
