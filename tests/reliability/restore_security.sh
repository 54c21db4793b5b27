#!/usr/bin/env bash
# Restore security (issue 16, DESIGN.md invariant 9): a restore must not lend
# the restorer's rights to the roles that own the data, and user triggers
# must not fire again on replay.
#
# The attacker is an ordinary role with only USAGE, CREATE on one schema.
# After scribe.init it creates, in that schema, code that every replayed
# row change evaluates: a CHECK constraint, a stored generated column, a
# domain CHECK, an index expression, a trigger set ENABLE REPLICA (it does
# not even fire at the source) and one set ENABLE ALWAYS, and a column added
# with DEFAULT att.esc(), whose function first tries to leave the SET ROLE
# around replayed DDL with set_config('role', 'none', true). Each of them
# calls a SECURITY INVOKER probe that logs current_user and session_user
# (RAISE WARNING, so that the data stays the source's) and tries ALTER ROLE
# attacker SUPERUSER.
#
# Checks, after pg_scribe --restore of the chain: the restore succeeds; the
# attacker is not a superuser; no probe ran as the superuser; the restored
# database equals the source (pg_dump output, per-table checksums). That
# the attack is real: the same chain restored with --unconfined makes the
# attacker a superuser (figure unconfined_escalates). That the client
# refuses to restore unconfined by default: as a non-superuser, the
# restore refuses before it creates anything.
#
# The audit pattern (a trigger ENABLE ALWAYS that inserts into an audit
# table with a serial key): both restore paths (pg_scribe --restore and
# psql alone) equal the source, and the triggers keep their state; with
# --fire-triggers they fire again (duplicate key), as asked.
set -euo pipefail
cd "$(dirname "$0")/../.."
source tests/lib/reliability.sh  # and cluster.sh, compare.sh, engine.sh
CLUSTER_EXTRA_CONF="log_min_messages = warning"
start_throwaway_cluster restore_security
watchdog restore_security 600

backups=$work/backups
mkdir -p "$backups" "$work/cwd"
chown postgres: "$backups"
cd "$work/cwd"

echo "-- the audit pattern"
createdb audit
q -d audit -c "CREATE EXTENSION scribe" >/dev/null
q -d audit -c "SELECT chain_id FROM scribe.init('$backups/audit')" >/dev/null
q -d audit >/dev/null <<'SQL'
CREATE TABLE t (id int PRIMARY KEY, v text);
CREATE TABLE audit (id serial PRIMARY KEY, tid int, op text);
CREATE FUNCTION aud() RETURNS trigger LANGUAGE plpgsql AS
$$BEGIN INSERT INTO audit (tid, op) VALUES (NEW.id, TG_OP); RETURN NEW; END$$;
CREATE TRIGGER a AFTER INSERT OR UPDATE ON t FOR EACH ROW EXECUTE FUNCTION aud();
CREATE TRIGGER r AFTER INSERT ON t FOR EACH ROW EXECUTE FUNCTION aud();
ALTER TABLE t ENABLE ALWAYS TRIGGER a;
ALTER TABLE t ENABLE REPLICA TRIGGER r;
INSERT INTO t VALUES (1, 'x');
INSERT INTO t VALUES (2, 'y');
UPDATE t SET v = 'z' WHERE id = 1;
BEGIN;
INSERT INTO t VALUES (3, 'w');
ALTER TABLE t DISABLE TRIGGER a;
INSERT INTO t VALUES (4, 'v');
ALTER TABLE t ENABLE ALWAYS TRIGGER a;
COMMIT;
SQL
oracle audit "$backups/audit" audit
if "$PG_SCRIBE" --restore --create -d audit_fire --fire-triggers --backup-dir "$backups/audit" >"$work/fire.out" 2>&1; then
  fail "audit: --fire-triggers restored although the triggers' rows collide"
elif grep -q 'already exists' "$work/fire.out"; then
  ok "audit: with --fire-triggers the ALWAYS trigger fires on replay (its row collides: duplicate key)"
else
  fail "audit: --fire-triggers failed otherwise: $(tail -3 "$work/fire.out")"
fi
dropdb --if-exists audit_fire

echo "-- owners without rights on their own tables"
# Row changes replay as the table's owner, but at the source another role
# made them: an owner that revoked its own rights, or lost USAGE on the
# schema, must not make the restore stop (the rights are lent to the owner
# for the change and taken back), and the restored privileges are the
# source's.
createdb rights
q -d postgres -c "CREATE ROLE rs_owner" -c "CREATE ROLE rs_writer" >/dev/null
q -d rights -c "CREATE EXTENSION scribe" >/dev/null
q -d rights -c "SELECT chain_id FROM scribe.init('$backups/rights', 'scribe_rights')" >/dev/null
q -d rights >/dev/null <<'SQL'
CREATE SCHEMA s;
GRANT USAGE, CREATE ON SCHEMA s TO rs_owner;
GRANT USAGE ON SCHEMA s TO rs_writer;
SET ROLE rs_owner;
CREATE TABLE s.t (id int PRIMARY KEY, v text);
CREATE TABLE s.u (id int PRIMARY KEY, v text);
GRANT SELECT, INSERT, UPDATE, DELETE ON s.t, s.u TO rs_writer;
REVOKE ALL ON s.t FROM rs_owner;
REVOKE DELETE ON s.u FROM rs_owner;
RESET ROLE;
REVOKE USAGE, CREATE ON SCHEMA s FROM rs_owner;
SET ROLE rs_writer;
INSERT INTO s.t SELECT g, 'v' || g FROM generate_series(1, 8) g;
UPDATE s.t SET v = 'x1' WHERE id = 1;
UPDATE s.t SET v = 'x2' WHERE id = 2;
UPDATE s.t SET v = 'x3' WHERE id = 3;
UPDATE s.t SET v = 'x4' WHERE id = 4;
DELETE FROM s.t WHERE id = 5;
DELETE FROM s.t WHERE id = 6;
INSERT INTO s.u VALUES (1, 'a'), (2, 'b');
UPDATE s.u SET v = 'y' WHERE id = 1;
DELETE FROM s.u WHERE id = 2;
RESET ROLE;
SQL
oracle rights "$backups/rights" rights

echo "-- an attacker's code in the restored rows and DDL"
createdb src
q -d postgres -c "CREATE ROLE attacker LOGIN" >/dev/null
q -d src -c "CREATE EXTENSION scribe" -c "CREATE SCHEMA att" -c "GRANT USAGE, CREATE ON SCHEMA att TO attacker" >/dev/null
q -d src -c "SELECT chain_id FROM scribe.init('$backups/src', 'scribe_src')" >/dev/null
attack=$work/attack.sql
cat >"$attack" <<'SQL'
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
CREATE FUNCTION att.esc() RETURNS int LANGUAGE plpgsql AS $$
BEGIN
  BEGIN
    PERFORM set_config('role', 'none', true);
  EXCEPTION WHEN insufficient_privilege THEN
    RAISE WARNING 'scribe-probe escape refused: %', SQLERRM;
  END;
  PERFORM att.probe('default');
  RETURN 1;
END$$;
CREATE FUNCTION att.trg() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN PERFORM att.probe(TG_ARGV[0]); RETURN NEW; END$$;
CREATE DOMAIN att.checked AS int CHECK (att.probe('domain'));
CREATE TABLE att.t (
  id int PRIMARY KEY,
  v int CHECK (att.probe('check')),
  d att.checked,
  g int GENERATED ALWAYS AS (att.probe_int('generated', v)) STORED);
CREATE INDEX t_expr ON att.t (att.probe_int('index', v));
CREATE TRIGGER replica AFTER INSERT OR UPDATE ON att.t FOR EACH ROW EXECUTE FUNCTION att.trg('trigger replica');
CREATE TRIGGER always AFTER INSERT OR UPDATE ON att.t FOR EACH ROW EXECUTE FUNCTION att.trg('trigger always');
ALTER TABLE att.t ENABLE REPLICA TRIGGER replica;
ALTER TABLE att.t ENABLE ALWAYS TRIGGER always;
INSERT INTO att.t (id, v, d) SELECT g, g, g FROM generate_series(1, 5) g;
UPDATE att.t SET v = v + 10 WHERE id <= 2;
DELETE FROM att.t WHERE id = 5;
ALTER TABLE att.t ADD COLUMN z int DEFAULT att.esc();
INSERT INTO att.t (id, v, d) VALUES (6, 6, 6);
SQL
if psql -X -q -v ON_ERROR_STOP=1 -U attacker -d src -f "$attack" >/dev/null 2>"$work/attack.err"; then
  ok "the attacker's objects and rows were created on the source"
else
  fail "the attacker's script failed on the source: $(grep -v WARNING "$work/attack.err" | head -3)"
fi
# A table of the attacker's with FORCE ROW LEVEL SECURITY and a policy
# that lets nobody but a superuser see or write rows: replayed as its
# owner, every row still applies.
psql -X -q -v ON_ERROR_STOP=1 -U attacker -d src >/dev/null <<'SQL'
CREATE TABLE att.rls (id int PRIMARY KEY, v text);
ALTER TABLE att.rls ENABLE ROW LEVEL SECURITY;
ALTER TABLE att.rls FORCE ROW LEVEL SECURITY;
CREATE POLICY nobody ON att.rls USING (false) WITH CHECK (false);
SQL
q -d src -c "INSERT INTO att.rls SELECT g, 'v' || g FROM generate_series(1, 5) g" \
  -c "UPDATE att.rls SET v = 'changed' WHERE id = 2" -c "DELETE FROM att.rls WHERE id = 3" >/dev/null
q -d src -c "SELECT * FROM scribe.rotate_diff()" >/dev/null
if "$PG_SCRIBE" --verify --backup-dir "$backups/src" >"$work/verify.out" 2>&1; then ok "src: the chain verifies"; else
  fail "src: pg_scribe --verify: $(tail -3 "$work/verify.out")"; fi

is_super() { psql -X -At -d postgres -c "SELECT rolsuper FROM pg_roles WHERE rolname = 'attacker'"; }
probes_as_super() { tail -n +"$1" "$(server_log)" | grep -c 'scribe-probe .* current_user=postgres' || true; }
probes() { tail -n +"$1" "$(server_log)" | grep -c 'scribe-probe .* current_user=' || true; }

# confined_restore WHAT SRC TARGET FIGURE PROBE...: pg_scribe --restore of
# SRC's backup into TARGET; the attacker gains nothing, no probe runs as the
# superuser, each named probe runs as the attacker; the server log of the
# restore is left in $work/TARGET.log.
confined_restore() {
  local what=$1 src=$2 target=$3 figure_name=$4 from n probe
  shift 4
  from=$(($(wc -l <"$(server_log)") + 1))
  if "$PG_SCRIBE" --restore --create -d "$target" --backup-dir "$backups/$src" >"$work/$target.out" 2>&1; then
    ok "pg_scribe --restore of $what completes"
  else
    fail "pg_scribe --restore of $what failed: $(tail -5 "$work/$target.out")"
  fi
  tail -n +"$from" "$(server_log)" >"$work/$target.log"
  figure "$figure_name" "$(probes "$from")"
  if [ "$(is_super)" = f ]; then ok "after the restore of $what the attacker is not a superuser"; else
    fail "the restore of $what made the attacker a superuser"; fi
  n=$(probes_as_super "$from")
  if [ "$n" = 0 ]; then ok "no code of the attacker ran as the superuser during the restore of $what"; else
    fail "$n probes ran as the superuser during the restore of $what:"
    grep 'scribe-probe .* current_user=postgres' "$work/$target.log" | sort | uniq -c >&2
  fi
  for probe in "$@"; do
    if grep -q "scribe-probe $probe current_user=attacker" "$work/$target.log"; then
      ok "the $probe probe ran at the restore of $what, as its owner"
    else fail "the $probe probe did not run at the restore of $what as the attacker (so the check proves nothing)"; fi
  done
}

# unconfined_escalates WHAT SRC TARGET FIGURE: the same backup restored with
# --unconfined makes the attacker a superuser (the attack is real).
unconfined_escalates() {
  local what=$1 src=$2 target=$3 figure_name=$4
  q -d postgres -c "ALTER ROLE attacker NOSUPERUSER" >/dev/null
  "$PG_SCRIBE" --restore --create -d "$target" --unconfined --backup-dir "$backups/$src" >"$work/$target.out" 2>&1 || true
  figure "$figure_name" "$(is_super)"
  if [ "$(is_super)" = t ]; then ok "with --unconfined $what makes the attacker a superuser (the attack is real)"; else
    fail "--unconfined did not reproduce the escalation of $what: the probes prove nothing"; fi
  q -d postgres -c "ALTER ROLE attacker NOSUPERUSER" >/dev/null
}

# Not a superuser: refused before anything is created.
if "$PG_SCRIBE" --restore --create -d src_nonsuper -U attacker --backup-dir "$backups/src" >"$work/nonsuper.out" 2>&1; then
  fail "a restore as a non-superuser ran unconfined without --unconfined"
elif grep -q 'cannot confine' "$work/nonsuper.out" &&
  [ -z "$(psql -X -At -d postgres -c "SELECT 1 FROM pg_database WHERE datname = 'src_nonsuper'")" ]; then
  ok "a restore that cannot confine the roles' code refuses before creating anything (hint: --unconfined)"
else
  fail "a restore as a non-superuser failed otherwise: $(tail -3 "$work/nonsuper.out")"
fi

confined_restore "the attacker's stream" src src_r probes_at_restore check domain generated index default
if grep -q "scribe-probe trigger" "$work/src_r.log"; then
  fail "a trigger of the attacker fired during pg_scribe --restore"
else ok "neither the ENABLE REPLICA nor the ENABLE ALWAYS trigger fired during pg_scribe --restore"; fi
if grep -q "scribe-probe escape refused" "$work/src_r.log"; then
  ok "set_config('role', 'none', true) was refused inside the replayed DDL's DEFAULT"
else fail "the DEFAULT's escape attempt was not refused"; fi
if compare_databases src src_r "$work"; then ok "pg_scribe --restore equals the source"; else
  fail "pg_scribe --restore differs from the source"; fi

unconfined_escalates "the same chain" src src_u unconfined_escalates
dropdb --if-exists src_r
dropdb --if-exists src_u

echo "-- an attacker's code evaluated by the base's COPY"
# The rows are in the table before scribe.init, so in base.sql: its COPY
# evaluates the CHECK, the domain CHECK, the stored generated column and
# the partition constraint of the attacker's tables for every row. The
# probes also try to leave the confinement. The schema is the superuser's
# (the attacker has USAGE, CREATE on it, granted after the data in
# pg_dump's order), and the attacker revoked its own rights on one table.
createdb based
q -d based -c "CREATE EXTENSION scribe" -c "CREATE SCHEMA batt" -c "GRANT USAGE, CREATE ON SCHEMA batt TO attacker" >/dev/null
psql -X -q -v ON_ERROR_STOP=1 -U attacker -d based >/dev/null 2>"$work/base_attack.err" <<'SQL'
CREATE FUNCTION batt.probe(what text) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
  RAISE WARNING 'scribe-probe base-% current_user=% session_user=%', what, current_user, session_user;
  BEGIN
    PERFORM set_config('role', 'none', true);
    RAISE WARNING 'scribe-probe base-escape set_config(role) allowed current_user=%', current_user;
  EXCEPTION WHEN OTHERS THEN RAISE WARNING 'scribe-probe base-escape refused: %', SQLERRM;
  END;
  BEGIN
    EXECUTE 'RESET SESSION AUTHORIZATION';
    RAISE WARNING 'scribe-probe base-escape RESET SESSION AUTHORIZATION allowed current_user=%', current_user;
  EXCEPTION WHEN OTHERS THEN RAISE WARNING 'scribe-probe base-escape refused: %', SQLERRM;
  END;
  BEGIN
    EXECUTE 'SET ROLE postgres';
    RAISE WARNING 'scribe-probe base-escape SET ROLE allowed current_user=%', current_user;
  EXCEPTION WHEN OTHERS THEN RAISE WARNING 'scribe-probe base-escape refused: %', SQLERRM;
  END;
  BEGIN
    EXECUTE 'ALTER ROLE attacker SUPERUSER';
  EXCEPTION WHEN insufficient_privilege THEN NULL;
  END;
  RETURN true;
END$$;
-- Calls the probe by its schema-qualified name: it needs USAGE on batt.
CREATE FUNCTION batt.probe_int(what text, v int) RETURNS int LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN PERFORM batt.probe(what); RETURN v; END$$;
CREATE DOMAIN batt.checked AS int CHECK (batt.probe('domain'));
CREATE TABLE batt.b (
  id int PRIMARY KEY,
  v int CHECK (batt.probe('check')),
  d batt.checked,
  g int GENERATED ALWAYS AS (batt.probe_int('generated', v)) STORED);
INSERT INTO batt.b (id, v, d) SELECT g, g, g FROM generate_series(1, 5) g;
REVOKE ALL ON batt.b FROM attacker;
CREATE TABLE batt.p (id int, v int) PARTITION BY RANGE (batt.probe_int('partition', v));
CREATE TABLE batt.p1 PARTITION OF batt.p FOR VALUES FROM (0) TO (100);
INSERT INTO batt.p SELECT g, g FROM generate_series(1, 3) g;
CREATE TABLE batt.rls (id int PRIMARY KEY, v text);
INSERT INTO batt.rls SELECT g, 'v' || g FROM generate_series(1, 3) g;
ALTER TABLE batt.rls ENABLE ROW LEVEL SECURITY;
ALTER TABLE batt.rls FORCE ROW LEVEL SECURITY;
CREATE POLICY nobody ON batt.rls USING (false) WITH CHECK (false);
SQL
if [ "$(q -At -d based -c "SELECT count(*) FROM batt.b")" = 5 ]; then
  ok "based: the attacker's tables and rows were created before scribe.init"
else fail "based: the attacker's script failed: $(grep -v WARNING "$work/base_attack.err" | head -3)"; fi
q -d postgres -c "ALTER ROLE attacker NOSUPERUSER" >/dev/null
q -d based -c "SELECT chain_id FROM scribe.init('$backups/based', 'scribe_based')" >/dev/null
q -d based -c "SELECT * FROM scribe.rotate_diff()" >/dev/null
confined_restore "a base with the attacker's rows" based based_r base_probes_at_restore base-check base-domain \
  base-generated
if grep -q "scribe-probe base-escape .*allowed" "$work/based_r.log"; then
  fail "an escape from the base's confined COPY was allowed: $(grep -m1 'base-escape .*allowed' "$work/based_r.log")"
elif [ "$(grep -c "scribe-probe base-escape refused" "$work/based_r.log")" -ge 3 ]; then
  ok "set_config('role', ...), RESET SESSION AUTHORIZATION and SET ROLE were refused inside the base's COPY"
else fail "the escape attempts inside the base's COPY were not seen refused"; fi
if compare_databases based based_r "$work"; then ok "the base restore equals the source (grants and policies too)"; else
  fail "the base restore differs from the source"; fi
unconfined_escalates "the same base" based based_u base_unconfined_escalates
dropdb --if-exists based_r
dropdb --if-exists based_u

[ -n "${KEEP_LOG:-}" ] && cp "$(server_log)" /tmp/sec-restore-security.log
finish restore_security
