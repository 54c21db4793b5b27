-- Hostile names and values stay names and values: quoting is exact and no
-- name or value can end a literal or a statement early.
\pset format unaligned
\pset tuples_only on
SET client_min_messages = warning;
CREATE SCHEMA "My Schema";
CREATE TABLE "My Schema"."Robert'); DROP TABLE students; --" (
  "select" int PRIMARY KEY,
  "user" text,
  "Column With ""Quotes""" text,
  "line
break" text,
  "naïve" text,
  "$dollar$" text,
  lower_ok text);
SELECT 'init' FROM pg_create_logical_replication_slot('regress_names', 'wal2sql');

INSERT INTO "My Schema"."Robert'); DROP TABLE students; --" VALUES
  (1, '''); DROP TABLE x; --', E'\\''); DROP TABLE y; --', E'two\nlines', 'naïve ☃', '$wal2sql$ $$', 'ok');
UPDATE "My Schema"."Robert'); DROP TABLE students; --" SET "user" = E'--\n;' WHERE "select" = 1;
DELETE FROM "My Schema"."Robert'); DROP TABLE students; --";
SELECT data FROM pg_logical_slot_get_changes('regress_names', NULL, NULL,
  'include_settings', '0', 'include_header', '0');

SELECT 'stop' FROM pg_drop_replication_slot('regress_names');
DROP SCHEMA "My Schema" CASCADE;
