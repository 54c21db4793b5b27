-- Old values are compared as the domain's base type: a CHECK added to the
-- domain NOT VALID since a row was written rejects the value the row holds,
-- and a cast to the domain in the WHERE would stop the replay. An UPDATE
-- assigns such a column only when its value changed, for the same reason.
\pset format unaligned
\pset tuples_only on
SET client_min_messages = warning;
CREATE DOMAIN small AS int;
CREATE DOMAIN smaller AS small;
CREATE DOMAIN doc AS json;
CREATE TABLE thethings (id int PRIMARY KEY, stuff small, other int);
CREATE TABLE things_full (stuff smaller, d doc, n numeric);
ALTER TABLE things_full REPLICA IDENTITY FULL;
CREATE TABLE things_key (stuff small PRIMARY KEY, v int);
CREATE PROCEDURE reset_things() LANGUAGE plpgsql AS $$
BEGIN
  ALTER DOMAIN small DROP CONSTRAINT IF EXISTS small_check;
  ALTER DOMAIN doc DROP CONSTRAINT IF EXISTS doc_check;
  TRUNCATE thethings, things_full, things_key;
  INSERT INTO thethings VALUES (1, 55, 0), (2, 5, 0);
  INSERT INTO things_full VALUES (55, '{"a": 55}', 1.0);
  INSERT INTO things_key VALUES (55, 0);
  ALTER DOMAIN small ADD CONSTRAINT small_check CHECK (VALUE < 10) NOT VALID;
  ALTER DOMAIN doc ADD CONSTRAINT doc_check CHECK ((VALUE ->> 'a')::int < 10) NOT VALID;
END $$;
CALL reset_things();
SELECT 'init' FROM pg_create_logical_replication_slot('regress_domains', 'wal2sql');

UPDATE thethings SET stuff = 10 - 1 WHERE id = 1;
UPDATE thethings SET other = 1;
UPDATE things_full SET stuff = 1;
UPDATE things_full SET n = 2;
UPDATE things_key SET v = 1;
DELETE FROM things_key;
DELETE FROM things_full;
CREATE TABLE stream AS
  SELECT row_number() OVER () AS n, data FROM pg_logical_slot_get_changes('regress_domains', NULL, NULL,
    'include_settings', '0', 'include_header', '0', 'include_transaction', '0');
SELECT 'stop' FROM pg_drop_replication_slot('regress_domains');
SELECT data FROM stream ORDER BY n;
CREATE TABLE expected AS SELECT 'thethings' AS t, array_agg(x ORDER BY x::text)::text AS rows FROM thethings x
  UNION ALL SELECT 'things_full', array_agg(x ORDER BY x::text)::text FROM things_full x
  UNION ALL SELECT 'things_key', array_agg(x ORDER BY x::text)::text FROM things_key x;

-- The replay, on the rows as they were, ends where the source did.
CALL reset_things();
\set ON_ERROR_STOP 1
SELECT data FROM stream WHERE data NOT LIKE '--%' ORDER BY n \gexec
\set ON_ERROR_STOP 0
SELECT t, rows = (SELECT array_agg(x ORDER BY x::text)::text FROM thethings x) FROM expected WHERE t = 'thethings'
UNION ALL SELECT t, rows IS NOT DISTINCT FROM (SELECT array_agg(x ORDER BY x::text)::text FROM things_full x) FROM expected WHERE t = 'things_full'
UNION ALL SELECT t, rows IS NOT DISTINCT FROM (SELECT array_agg(x ORDER BY x::text)::text FROM things_key x) FROM expected WHERE t = 'things_key';
DROP TABLE thethings, things_full, things_key, stream, expected;
DROP PROCEDURE reset_things();
DROP DOMAIN smaller, small, doc;
