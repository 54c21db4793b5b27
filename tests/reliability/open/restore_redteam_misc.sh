#!/usr/bin/env bash
# Red team, the vectors that were tried and (expected) blocked, plus two
# that stop a restore (volatile CHECK, ENABLE ALWAYS event trigger). Each
# section is a source database of its own; for each, pg_scribe --restore
# (confined, default) must complete, equal the source, and run no code of
# the attacker as the superuser; where noted psql -f is checked too.
set -uo pipefail
cd "$(dirname "$0")/../../.."
source tests/lib/reliability.sh
CLUSTER_EXTRA_CONF="log_min_messages = warning
max_worker_processes = 24
max_replication_slots = 24
max_wal_senders = 24"
start_throwaway_cluster restore_redteam_misc
watchdog restore_redteam_misc 900

backups=$work/backups
mkdir -p "$backups" "$work/cwd"
chown postgres: "$backups"
cd "$work/cwd"
rm -f /tmp/rt_pwned_*

q -d postgres -c "CREATE ROLE attacker LOGIN" -c "CREATE ROLE writer LOGIN" >/dev/null
is_super() { psql -X -At -d postgres -c "SELECT rolsuper FROM pg_roles WHERE rolname = 'attacker'"; }

# new_source DB: a database with scribe, a schema att of the attacker's
# and the attacker's probe function.
new_source() {
  createdb "$1"
  q -d "$1" -c "CREATE EXTENSION scribe" -c "CREATE SCHEMA att AUTHORIZATION attacker" \
    -c "GRANT USAGE ON SCHEMA att TO PUBLIC" >/dev/null
  psql -X -q -v ON_ERROR_STOP=1 -U attacker -d "$1" >/dev/null <<'SQL'
CREATE FUNCTION att.probe(what text) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
  RAISE WARNING 'scribe-probe % current_user=% session_user=%', what, current_user, session_user;
  BEGIN
    EXECUTE 'ALTER ROLE attacker SUPERUSER';
  EXCEPTION WHEN insufficient_privilege THEN NULL;
  END;
  RETURN true;
END$$;
CREATE FUNCTION att.probe_int(what text, v int) RETURNS int LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN PERFORM att.probe(what); RETURN v; END$$;
SQL
}
init() { q -d "$1" -c "SELECT chain_id FROM scribe.init('$backups/$1', 'scribe_$1')" >/dev/null; }
seal() { q -d "$1" -c "SELECT * FROM scribe.rotate_diff()" >/dev/null; }
as_attacker() { local db=$1; shift; psql -X -q -v ON_ERROR_STOP=1 -U attacker -d "$db" "$@"; }

# check_restore WHAT DB [pg_scribe options]: pg_scribe --restore into
# DB_r, then psql alone into DB_p; each: completes, equals the source, no
# probe as postgres, attacker not a superuser.
check_restore() {
  local what=$1 db=$2 from n
  shift 2
  q -d postgres -c "ALTER ROLE attacker NOSUPERUSER" >/dev/null
  from=$(($(wc -l <"$(server_log)") + 1))
  if "$PG_SCRIBE" --restore --create -d "${db}_r" --backup-dir "$backups/$db" "$@" >"$work/${db}_r.out" 2>&1; then
    if compare_databases "$db" "${db}_r" "$work" >"$work/${db}_cmp.txt" 2>&1; then ok "$what: pg_scribe --restore completes and equals the source"
    else fail "$what: pg_scribe --restore differs from the source: $(grep -E '^[<>+-]' "$work/${db}_cmp.txt" | grep -v '^[-+][-+]' | head -4 | tr '\n' ' ')"; fi
  else
    fail "$what: pg_scribe --restore failed: $(grep -m3 -E 'error|ERROR|✗' "$work/${db}_r.out" | tr '\n' ' ')"
  fi
  tail -n +"$from" "$(server_log)" >"$work/${db}_r.log"
  n=$(grep -c 'scribe-probe .* current_user=postgres' "$work/${db}_r.log" || true)
  if [ "$n" = 0 ] && [ "$(is_super)" = f ]; then ok "$what: no attacker code as the superuser in pg_scribe --restore ($(grep -o 'scribe-probe [^ ]* current_user=[a-z]*' "$work/${db}_r.log" | sort -u | tr '\n' ' '))"
  else fail "$what: attacker code ran as the superuser in pg_scribe --restore: $(grep -o 'scribe-probe [^ ]* current_user=postgres' "$work/${db}_r.log" | sort -u | tr '\n' ' ')"; fi
  q -d postgres -c "ALTER ROLE attacker NOSUPERUSER" >/dev/null
  from=$(($(wc -l <"$(server_log)") + 1))
  local chain
  chain=$(ls -d "$backups/$db"/chain-* | sort | tail -1)
  echo "info $what: source rows: $(psql -X -At -d "$db" -c "SELECT string_agg(format('%s=%s', c.oid::regclass, (xpath('/row/n/text()', query_to_xml(format('SELECT count(*) AS n FROM %s', c.oid::regclass), false, true, '')))[1]), ' ') FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'r' AND n.nspname IN ('att', 'public')")"
  if restore_chain "$chain" "${db}_p" 2>"$work/${db}_p.err" && compare_databases "$db" "${db}_p" "$work" >/dev/null 2>&1; then
    ok "$what: psql -f replay completes and equals the source"
  else fail "$what: psql -f replay failed or differs: $(grep -m2 ERROR "$work/${db}_p.err" | tr '\n' ' ')"; fi
  tail -n +"$from" "$(server_log)" >"$work/${db}_p.log"
  n=$(grep -c 'scribe-probe .* current_user=postgres' "$work/${db}_p.log" || true)
  echo "info $what: psql -f: probes as postgres: $n; attacker superuser after: $(is_super)"
  q -d postgres -c "ALTER ROLE attacker NOSUPERUSER" >/dev/null
  dropdb --if-exists "${db}_r"
  dropdb --if-exists "${db}_p"
}

echo "-- 1 rule DO ALSO set ENABLE ALWAYS calling the attacker's function (no key: does it fire, as whom?)"
new_source rule
init rule
as_attacker rule >/dev/null 2>&1 <<'SQL'
CREATE TABLE att.t (id int PRIMARY KEY, v text);
CREATE TABLE att.log (tid int, who text);
CREATE RULE audit AS ON INSERT TO att.t DO ALSO INSERT INTO att.log SELECT NEW.id, 'rule' WHERE att.probe('rule');
ALTER TABLE att.t ENABLE ALWAYS RULE audit;
CREATE RULE upd AS ON UPDATE TO att.t DO ALSO SELECT att.probe('rule-select');
ALTER TABLE att.t ENABLE REPLICA RULE upd;
INSERT INTO att.t VALUES (1, 'a');
UPDATE att.t SET v = 'b' WHERE id = 1;
SQL
seal rule
check_restore "ENABLE ALWAYS/REPLICA rules" rule

echo "-- 2 CREATE STATISTICS on an expression + the restore's ANALYZE (lookup index of a FULL identity table)"
new_source stats
as_attacker stats >/dev/null 2>&1 <<'SQL'
CREATE TABLE att.f (a int, b int);
ALTER TABLE att.f REPLICA IDENTITY FULL;
INSERT INTO att.f SELECT g, g FROM generate_series(1, 30) g;
CREATE STATISTICS att.st ON (att.probe_int('statistics', a)), b FROM att.f;
SQL
init stats
as_attacker stats -c "UPDATE att.f SET b = 0 WHERE a = 1" >/dev/null 2>&1
seal stats
check_restore "extended statistics + ANALYZE" stats

echo "-- 3 materialized view calling the attacker's function (base REFRESH, diff REFRESH)"
new_source matv
as_attacker matv >/dev/null 2>&1 <<'SQL'
CREATE TABLE att.t (id int PRIMARY KEY);
INSERT INTO att.t VALUES (1), (2);
CREATE MATERIALIZED VIEW att.mv AS SELECT id, att.probe_int('matview', id) AS x FROM att.t;
SQL
init matv
as_attacker matv -c "REFRESH MATERIALIZED VIEW att.mv" >/dev/null 2>&1
seal matv
check_restore "materialized view refresh" matv

echo "-- 4 FORCE RLS with a policy calling the attacker's function"
new_source rls
as_attacker rls >/dev/null 2>&1 <<'SQL'
CREATE TABLE att.r (id int PRIMARY KEY, v text);
ALTER TABLE att.r ENABLE ROW LEVEL SECURITY;
ALTER TABLE att.r FORCE ROW LEVEL SECURITY;
CREATE POLICY p ON att.r USING (att.probe('policy-using')) WITH CHECK (att.probe('policy-check'));
INSERT INTO att.r SELECT g, 'v' FROM generate_series(1, 5) g;
SQL
init rls
as_attacker rls >/dev/null 2>&1 <<'SQL'
INSERT INTO att.r VALUES (6, 'w');
UPDATE att.r SET v = 'u' WHERE id = 2;
DELETE FROM att.r WHERE id = 3;
SQL
seal rls
check_restore "FORCE RLS policy" rls

echo "-- 5 implicit cast from the attacker's enum to text + key of the enum type"
new_source casts
as_attacker casts >/dev/null 2>&1 <<'SQL'
CREATE TYPE att.e AS ENUM ('a', 'b', 'c');
CREATE FUNCTION att.e2t(att.e) RETURNS text LANGUAGE plpgsql IMMUTABLE AS $$BEGIN PERFORM att.probe('cast'); RETURN $1::text; END$$;
CREATE CAST (att.e AS text) WITH FUNCTION att.e2t(att.e) AS IMPLICIT;
CREATE TABLE att.k (k att.e PRIMARY KEY, v int);
CREATE TABLE att.c (id int PRIMARY KEY, e att.e, r int4range);
SQL
init casts
as_attacker casts >/dev/null 2>&1 <<'SQL'
INSERT INTO att.k VALUES ('a', 1), ('b', 2);
UPDATE att.k SET v = 5 WHERE k = 'a';
DELETE FROM att.k WHERE k = 'b';
INSERT INTO att.c VALUES (1, 'c', '[1,5)');
UPDATE att.c SET e = 'a' WHERE id = 1;
SQL
seal casts
check_restore "user implicit cast, enum key" casts
check_restore "user implicit cast, enum key, --jobs 2" casts --jobs 2

echo "-- 6 identifiers and DDL text with newlines and psql meta-commands"
new_source ident
init ident
as_attacker ident >/dev/null 2>&1 <<'SQL'
CREATE TABLE att."x
\! touch /tmp/rt_pwned_ident_table
;" (id int PRIMARY KEY, "c
\! touch /tmp/rt_pwned_ident_col
" text);
INSERT INTO att."x
\! touch /tmp/rt_pwned_ident_table
;" VALUES (1, E'v\n\\! touch /tmp/rt_pwned_value\n');
COMMENT ON TABLE att."x
\! touch /tmp/rt_pwned_ident_table
;" IS E'c\n\\! touch /tmp/rt_pwned_comment\n';
CREATE TABLE att.y (id int) /* comment
\! touch /tmp/rt_pwned_ddl_comment
*/;
CREATE TABLE att."z\" (id int PRIMARY KEY, v text);
INSERT INTO att."z\" VALUES (1, '\'), (2, $q$\!$q$);
UPDATE att."z\" SET v = 'x\' WHERE id = 1;
CREATE INDEX CONCURRENTLY ci ON att.y (id) /* \! touch /tmp/rt_pwned_cic
*/;
SQL
seal ident
check_restore "meta-commands in identifiers, values, comments" ident
if ls /tmp/rt_pwned_* >/dev/null 2>&1; then fail "a psql meta-command from the backup ran: $(ls /tmp/rt_pwned_*)"; else
  ok "no meta-command from the backup ran (pg_scribe --restore, psql -f)"; fi

echo "-- 7 the attacker's role settings (read-only, statement_timeout, search_path, role)"
new_source rolesets
as_attacker rolesets >/dev/null 2>&1 <<'SQL'
CREATE TABLE att.t (id int PRIMARY KEY, v int CHECK (att.probe('check')));
INSERT INTO att.t VALUES (1, 1);
SQL
q -d postgres >/dev/null <<'SQL'
ALTER ROLE attacker SET default_transaction_read_only = on;
ALTER ROLE attacker SET statement_timeout = '1ms';
ALTER ROLE attacker SET lock_timeout = '1ms';
ALTER ROLE attacker SET search_path = att, pg_catalog;
SQL
init rolesets
psql -X -q -d rolesets -U attacker -c "SET default_transaction_read_only = off" -c "SET statement_timeout = 0" \
  -c "INSERT INTO att.t VALUES (2, 2)" -c "CREATE TABLE att.u (id int PRIMARY KEY)" -c "INSERT INTO att.u VALUES (1)" >/dev/null 2>&1
seal rolesets
check_restore "role settings of the owner" rolesets
q -d postgres -c "ALTER ROLE attacker RESET ALL" >/dev/null

echo "-- 8 TRUNCATE: of an FK-referenced table (CASCADE), ENABLE ALWAYS truncate trigger"
new_source trunc
as_attacker trunc >/dev/null 2>&1 <<'SQL'
CREATE TABLE att.p (id int PRIMARY KEY);
CREATE TABLE att.c (id int PRIMARY KEY, pid int REFERENCES att.p);
CREATE FUNCTION att.tt() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN PERFORM att.probe('truncate-trigger'); RETURN NULL; END$$;
CREATE TRIGGER tt AFTER TRUNCATE ON att.p FOR EACH STATEMENT EXECUTE FUNCTION att.tt();
ALTER TABLE att.p ENABLE ALWAYS TRIGGER tt;
INSERT INTO att.p VALUES (1), (2);
INSERT INTO att.c VALUES (1, 1);
SQL
init trunc
as_attacker trunc >/dev/null 2>&1 <<'SQL'
INSERT INTO att.p VALUES (3);
TRUNCATE att.p CASCADE;
INSERT INTO att.p VALUES (5);
INSERT INTO att.c VALUES (7, 5);
SQL
seal trunc
check_restore "TRUNCATE CASCADE + ALWAYS truncate trigger" trunc

echo "-- 9 the owner is dropped mid-stream (REASSIGN/DROP OWNED, DROP ROLE)"
q -d postgres -c "CREATE ROLE goner LOGIN" >/dev/null
new_source gone
q -d gone -c "GRANT CREATE ON SCHEMA att TO goner" >/dev/null
init gone
psql -X -q -U goner -d gone >/dev/null 2>&1 <<'SQL'
CREATE TABLE att.g (id int PRIMARY KEY, v int CHECK (v > 0));
INSERT INTO att.g VALUES (1, 1), (2, 2);
SQL
q -d gone -c "REASSIGN OWNED BY goner TO attacker" -c "DROP OWNED BY goner" >/dev/null
q -d postgres -c "DROP ROLE goner" >/dev/null
as_attacker gone -c "UPDATE att.g SET v = 5 WHERE id = 1" >/dev/null 2>&1
seal gone
check_restore "owner dropped mid-stream" gone

echo "-- 10 a CHECK that is not immutable (true at the source, false under replay)"
new_source volat
as_attacker volat >/dev/null 2>&1 <<'SQL'
CREATE TABLE att.v (id int PRIMARY KEY,
  x int CHECK (pg_catalog.current_setting('session_replication_role') OPERATOR(pg_catalog.<>) 'replica'));
SQL
init volat
as_attacker volat -c "INSERT INTO att.v VALUES (1, 1)" >/dev/null 2>&1
seal volat
check_restore "non-immutable CHECK" volat

echo "-- 11 event trigger set ENABLE ALWAYS (a superuser's DDL audit) fires on replayed DDL"
new_source evt
q -d evt >/dev/null <<'SQL'
CREATE TABLE public.ddl_audit (id serial PRIMARY KEY, tag text);
CREATE FUNCTION public.ddl_audit_f() RETURNS event_trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS
$$BEGIN INSERT INTO public.ddl_audit (tag) VALUES (tg_tag); END$$;
CREATE EVENT TRIGGER ddl_audit ON ddl_command_end EXECUTE FUNCTION public.ddl_audit_f();
ALTER EVENT TRIGGER ddl_audit ENABLE ALWAYS;
SQL
init evt
as_attacker evt -c "CREATE TABLE att.e (id int PRIMARY KEY)" >/dev/null 2>&1
seal evt
check_restore "ENABLE ALWAYS event trigger" evt

finish restore_redteam_misc
