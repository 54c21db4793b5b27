-- The per-relation cache follows schema changes made between and inside
-- decoded transactions: names, columns and identity are those in force
-- when each change was made.
\pset format unaligned
\pset tuples_only on
SET client_min_messages = warning;
CREATE SCHEMA s1;
CREATE TYPE s1.color AS ENUM ('red', 'green');
CREATE TABLE s1.t (id int PRIMARY KEY, a text, c s1.color);
SELECT 'init' FROM pg_create_logical_replication_slot('regress_schema_changes', 'wal2sql');

INSERT INTO s1.t VALUES (1, 'a', 'red');
ALTER TABLE s1.t ADD COLUMN b int DEFAULT 7;
INSERT INTO s1.t VALUES (2, 'b', 'green', 8);
ALTER TABLE s1.t RENAME COLUMN a TO "A";
ALTER TABLE s1.t DROP COLUMN b;
INSERT INTO s1.t VALUES (3, 'c', 'red');
BEGIN;
ALTER TABLE s1.t RENAME TO "T2";
INSERT INTO s1."T2" VALUES (4, 'd', 'green');
ALTER SCHEMA s1 RENAME TO "S2";
INSERT INTO "S2"."T2" VALUES (5, 'e', 'red');
COMMIT;
ALTER TYPE "S2".color RENAME TO colour;
INSERT INTO "S2"."T2" VALUES (6, 'f', 'green');
ALTER TABLE "S2"."T2" REPLICA IDENTITY FULL;
UPDATE "S2"."T2" SET "A" = 'g' WHERE id = 6;
ALTER TABLE "S2"."T2" ALTER COLUMN id TYPE bigint;
UPDATE "S2"."T2" SET "A" = 'h' WHERE id = 6;
SELECT data FROM pg_logical_slot_get_changes('regress_schema_changes', NULL, NULL,
  'include_settings', '0', 'include_header', '0');

SELECT 'stop' FROM pg_drop_replication_slot('regress_schema_changes');
DROP SCHEMA "S2" CASCADE;
