#!/usr/bin/env bash
# Global objects in the stream (issue 15, classes 3 and 4): roles,
# memberships, role settings and the backed-up database's own properties,
# changed while a chain runs, mostly from ANOTHER database of the cluster,
# with DDL in the backed-up database run under the new roles; across a
# rotation, a worker restart and a new chain. Each chain is restored into
# a FRESH cluster (where none of the roles exist), into a database of
# another name, with psql alone and with pg_scribe --restore; the roles,
# memberships, settings, database properties and the database itself must
# equal the source's.
set -euo pipefail
cd "$(dirname "$0")/../.."
source tests/lib/e2e.sh
CLUSTER_EXTRA_CONF="log_min_messages = warning"
start_throwaway_cluster globals
src_host=$PGHOST src_port=$PGPORT

make_backups_dir
createdb app
q -d app <<'SQL'
CREATE EXTENSION scribe;
CREATE TABLE base_t (id int PRIMARY KEY, v text);
INSERT INTO base_t VALUES (1, 'before the chain');
SQL
# A role and a database grant from before the chain: in globals.sql and
# (the grant) only in the stream's first sync point.
q -d postgres -c "CREATE ROLE early LOGIN" -c "GRANT CONNECT ON DATABASE app TO early"
q -d app -c "SELECT * FROM scribe.init('$backups/app')" >/dev/null
wait_streaming app

# From another database, the way a DBA does it.
q -d postgres <<'SQL'
CREATE ROLE app_owner LOGIN PASSWORD 'secret' CONNECTION LIMIT 7 VALID UNTIL '2031-01-01 00:00:00+00';
CREATE ROLE "Writer ""q"" %s" NOLOGIN;
GRANT "Writer ""q"" %s" TO app_owner WITH ADMIN OPTION;
ALTER ROLE "Writer ""q"" %s" SET work_mem = '8MB';
ALTER ROLE app_owner IN DATABASE app SET search_path = 'a', "b c";
ALTER DATABASE app SET statement_timeout = '1min';
GRANT CONNECT, CREATE ON DATABASE app TO "Writer ""q"" %s";
COMMENT ON DATABASE app IS 'the app''s database';
COMMENT ON ROLE app_owner IS 'owns it';
SQL
# In app, DDL under the new role (captured and replayed with SET ROLE).
q -d app <<'SQL'
GRANT CREATE, USAGE ON SCHEMA public TO "Writer ""q"" %s";
SET ROLE "Writer ""q"" %s";
CREATE TABLE writer_t (id int PRIMARY KEY, v text);
INSERT INTO writer_t VALUES (1, 'by writer');
RESET ROLE;
SQL
q -d postgres -c 'ALTER ROLE "Writer ""q"" %s" RENAME TO author'
q -d app <<'SQL'
SET ROLE author;
CREATE TABLE author_t (id int PRIMARY KEY);
INSERT INTO author_t VALUES (1);
SQL
# A tablespace made from another database (in place: a directory under
# pg_tblspc), used, renamed; dropped before the new chain.
q -d postgres -c "SET allow_in_place_tablespaces = on" -c "CREATE TABLESPACE scribe_ts OWNER author LOCATION ''"
q -d app -c "CREATE TABLE in_ts (id int PRIMARY KEY) TABLESPACE scribe_ts" -c "INSERT INTO in_ts VALUES (1)"
q -d postgres -c 'ALTER TABLESPACE scribe_ts RENAME TO "scribe ts 2"'
q -d app -c "INSERT INTO in_ts VALUES (2)"
# A role created in app itself, with nothing else in its transaction.
q -d app -c "CREATE ROLE made_in_app"
q -d app -c "SELECT * FROM scribe.rotate_diff()" >/dev/null

# Worker restart, with global changes made while it is down.
q -d app -c "SELECT scribe.stop()" >/dev/null
q -d postgres <<'SQL'
CREATE ROLE late;
CREATE ROLE doomed;
ALTER DATABASE app OWNER TO app_owner;
ALTER DATABASE app CONNECTION LIMIT 50;
REVOKE CONNECT ON DATABASE app FROM early;
SQL
q -d app -c "SELECT scribe.start()" >/dev/null
wait_streaming app
q -d app -c "INSERT INTO base_t VALUES (2, 'after the restart')"
# Changes at the very end of a diff, with no transaction of app after them:
# the rotation's sync point carries them.
q -d postgres -c "ALTER ROLE app_owner RESET ALL" -c "ALTER ROLE app_owner IN DATABASE app RESET search_path" \
  -c "GRANT late TO author"
q -d app -c "SELECT * FROM scribe.rotate_diff()" >/dev/null

q -d app -c "DROP TABLE in_ts"
q -d postgres -c 'DROP TABLESPACE "scribe ts 2"'
q -d app -c "INSERT INTO base_t VALUES (30, 'after the tablespace')"
# A new chain, then more changes.
q -d app -c "SELECT * FROM scribe.new_chain()" >/dev/null
wait_streaming app
q -d postgres <<'SQL'
DROP ROLE doomed;
REVOKE "late" FROM author;
ALTER ROLE author SET maintenance_work_mem = '64MB';
ALTER DATABASE app RESET statement_timeout;
ALTER DATABASE app SET work_mem = '4MB';
COMMENT ON DATABASE app IS NULL;
SQL
q -d app <<'SQL'
SET ROLE author;
CREATE TABLE author_t2 (id int PRIMARY KEY);
INSERT INTO author_t2 VALUES (2);
RESET ROLE;
INSERT INTO base_t VALUES (3, 'in the new chain');
SQL
q -d app -c "SELECT * FROM scribe.rotate_diff()" >/dev/null

# ---- what must be equal: the globals the database depends on, its
# properties (named by role, not by oid; the database name replaced), and
# the database itself.
globals_of() {  # DB
  psql -X -q -At -v ON_ERROR_STOP=1 -d "$1" <<'SQL'
SELECT 'role', rolname, rolsuper, rolinherit, rolcreaterole, rolcreatedb, rolcanlogin, rolreplication, rolbypassrls,
       rolconnlimit, rolvaliduntil, rolpassword IS NOT NULL, shobj_description(oid, 'pg_authid')
  FROM pg_authid WHERE rolname !~ '^pg_' AND rolname <> 'postgres' ORDER BY 2;
SELECT 'member', r.rolname, m.rolname, a.admin_option
  FROM pg_auth_members a JOIN pg_roles r ON r.oid = a.roleid JOIN pg_roles m ON m.oid = a.member
 WHERE r.rolname !~ '^pg_' ORDER BY 2, 3;
SELECT 'setting', coalesce(r.rolname, '-'), CASE WHEN s.setdatabase = 0 THEN '-' ELSE 'db' END, s.setconfig
  FROM pg_db_role_setting s LEFT JOIN pg_roles r ON r.oid = s.setrole
 WHERE s.setdatabase IN (0, (SELECT oid FROM pg_database WHERE datname = current_database()))
 ORDER BY 2, 3;
SELECT 'database', pg_get_userbyid(datdba), datconnlimit, shobj_description(oid, 'pg_database'),
       (SELECT string_agg(CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(a.grantee) END || ':' ||
                          a.privilege_type || ':' || a.is_grantable, ',' ORDER BY 1)
          FROM aclexplode(coalesce(datacl, acldefault('d', datdba))) a)
  FROM pg_database WHERE datname = current_database();
SQL
}

source_globals=$work/source.globals
globals_of app >"$source_globals"
normalized_dump app >"$work/source.dump"
table_checksums app >"$work/source.sums"
grep -q "^role|author|" "$source_globals" && grep -q "^member|author|app_owner|t" "$source_globals" ||
  fail "the source does not look as the test expects: $(cat "$source_globals")"

chains=$(ls "$backups/app" | grep '^chain-' | sort)
[ "$(wc -l <<<"$chains")" = 2 ] && ok "two chains" || fail "chains: $chains"
last_chain=$backups/app/$(tail -1 <<<"$chains")
first_chain=$backups/app/$(head -1 <<<"$chains")

# The sync point at the chain's start and the role changes are in the
# stream, at their place.
if decompress_to_stdout "$(ls "$first_chain"/diff-*.sql* | head -1)" | grep -q 'CREATE ROLE author\|CREATE ROLE "Writer'; then
  ok "the first diff creates the role made in another database"
else
  fail "no CREATE ROLE for the role made in another database in the first diff"
fi

first_stream=$(for f in "$first_chain"/diff-*.sql*; do decompress_to_stdout "$f"; done)
if grep -q "^CREATE TABLESPACE scribe_ts OWNER author LOCATION '';" <<<"$first_stream" &&
  grep -q 'ALTER TABLESPACE scribe_ts RENAME TO "scribe ts 2"' <<<"$first_stream" &&
  grep -q '^DROP TABLESPACE IF EXISTS "scribe ts 2";' <<<"$first_stream"; then
  ok "the tablespace made, renamed and dropped from another database is in the stream"
else
  fail "the tablespace's changes are not in the first chain's stream"
fi

# check_restored LABEL DB: compare the restored database (of the current
# PGHOST/PGPORT cluster) with the source.
check_restored() {
  local label=$1 db=$2
  globals_of "$db" >"$work/$label.globals"
  if diff "$source_globals" "$work/$label.globals" >"$work/$label.globals.diff"; then
    ok "$label: roles, memberships, settings and database properties equal the source's"
  else
    fail "$label: globals differ (source < > restored):"
    cat "$work/$label.globals.diff" >&2
  fi
  normalized_dump "$db" >"$work/$label.dump"
  table_checksums "$db" >"$work/$label.sums"
  if diff "$work/source.dump" "$work/$label.dump" >"$work/$label.dump.diff" &&
    diff "$work/source.sums" "$work/$label.sums" >/dev/null; then
    ok "$label: schema and data equal the source's"
  else
    fail "$label: database differs:"
    head -20 "$work/$label.dump.diff" >&2
  fi
}

# ---- restore with psql alone into a fresh cluster
fresh_cluster() {
  cluster_stop "$work/fresh" 2>/dev/null || true
  cluster_start "$work/fresh"
}
fresh_cluster
restore_chain "$last_chain" restored_psql && ok "psql alone restores the new chain into a fresh cluster" ||
  fail "psql alone could not restore the new chain"
check_restored psql restored_psql

# The first chain too, to its end: its stream carries the roles it needs.
psql -X -q -d postgres -c "DROP DATABASE IF EXISTS restored_psql" >/dev/null
fresh_cluster
if restore_chain "$first_chain" first_chain_psql; then
  ok "psql alone restores the first chain into a fresh cluster"
  q -d first_chain_psql -At -c "SELECT count(*) FROM author_t" | grep -qx 1 && ok "first chain: DDL under the renamed role replayed" ||
    fail "first chain: author_t missing"
  q -d first_chain_psql -At -c "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database()" |
    grep -qx app_owner && ok "first chain: ALTER DATABASE OWNER TO replayed on the target's name" ||
    fail "first chain: owner not replayed"
else
  fail "psql alone could not restore the first chain"
fi

# ---- pg_scribe --restore into a fresh cluster
fresh_cluster
if pg_scribe --restore --backup-dir "$backups/app" -d restored_cli --create >"$work/cli.log" 2>&1; then
  ok "pg_scribe --restore restores into a fresh cluster"
else
  fail "pg_scribe --restore failed: $(tail -5 "$work/cli.log")"
fi
check_restored cli restored_cli
cluster_stop "$work/fresh"
export PGHOST=$src_host PGPORT=$src_port

finish globals_stream
