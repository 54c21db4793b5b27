#!/usr/bin/env bash
# Captured DDL that qualifies names with the source database's name
# (CREATE TABLE srcdb.app.t, srcdb.app.f(), srcdb.app.t.c, ...) replays into
# a database of another name, on both restore paths (issue 15 class 4,
# issue 16 item 3b): the capture removes the qualifiers the parser took for
# the database, and leaves alone schema.table.column references whose
# schema is named like the database.
set -euo pipefail
cd "$(dirname "$0")/../.."
source tests/lib/e2e.sh
CLUSTER_EXTRA_CONF="max_worker_processes = 16
log_min_messages = warning"
start_throwaway_cluster qualified

make_backups_dir
createdb srcdb
q -d srcdb -c "CREATE EXTENSION scribe"
q -d srcdb -At -c "SELECT chain_id FROM scribe.init('$backups/srcdb')" >/dev/null
wait_streaming srcdb
q -d srcdb >/dev/null <<'SQL'
CREATE SCHEMA app;
CREATE TABLE srcdb.app.t (id int PRIMARY KEY, c int CHECK (c >= 0));
ALTER TABLE srcdb.app.t ADD COLUMN d text DEFAULT 'x';
CREATE INDEX t_c ON srcdb.app.t (c);
COMMENT ON TABLE srcdb.app.t IS 'a table';
COMMENT ON COLUMN srcdb.app.t.c IS 'a column';
CREATE FUNCTION srcdb.app.f(x int) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT x + 1';
CREATE FUNCTION SrcDB . app . g(x int) RETURNS int LANGUAGE sql AS 'SELECT x';
DROP FUNCTION "srcdb".app.g(int);
CREATE TYPE srcdb.app.mood AS ENUM ('sad', 'happy');
ALTER TABLE app.t ADD COLUMN m srcdb.app.mood;
CREATE VIEW srcdb.app.v AS SELECT srcdb.app.t.c, srcdb.app.f(srcdb.app.t.id) AS f, 'sad'::srcdb.app.mood AS m
  FROM srcdb.app.t;
CREATE TABLE srcdb.app.gone (a int);
DROP TABLE srcdb.app.gone;
-- A schema named like the database: srcdb.u.a is schema.table.column.
CREATE SCHEMA srcdb;
CREATE TABLE srcdb.srcdb.u (a int PRIMARY KEY, b int);
CREATE VIEW srcdb.w AS SELECT srcdb.u.a, srcdb.srcdb.u.b FROM srcdb.u;
ALTER TABLE srcdb.srcdb.u ADD CONSTRAINT b_pos CHECK (srcdb.u.b > 0) NOT VALID;
INSERT INTO app.t VALUES (1, 2, 'y', 'happy');
INSERT INTO srcdb.u VALUES (1, 2);
SQL
q -d srcdb -c "SELECT * FROM scribe.rotate_diff()" >/dev/null
chain=$(ls -d "$backups"/srcdb/chain-* | head -1)

if restore_chain "$chain" other_psql 2>"$work/psql.err"; then
  ok "psql alone replays the chain into another name"
else
  fail "psql alone failed: $(tail -3 "$work/psql.err")"
fi
if compare_databases srcdb other_psql "$work"; then ok "psql restore equals the source"; else fail "psql restore differs"; fi
if "$PG_SCRIBE" --restore --backup-dir "$backups/srcdb" -d other_cli --create >"$work/restore.out" 2>&1; then
  ok "pg_scribe --restore replays the chain into another name"
else
  fail "pg_scribe --restore failed: $(tail -3 "$work/restore.out")"
fi
if compare_databases srcdb other_cli "$work"; then ok "pg_scribe --restore equals the source"; else fail "pg_scribe --restore differs"; fi

finish database_qualified_names
