-- pg_scribe 0.1: the extension skeleton. The backup engine's functions and
-- views arrive with later versions of this script and its upgrade scripts.
\echo Use "CREATE EXTENSION scribe" to load this file. \quit

COMMENT ON SCHEMA scribe IS 'pg_scribe: continuous plain-SQL backup';
REVOKE ALL ON SCHEMA scribe FROM PUBLIC;
