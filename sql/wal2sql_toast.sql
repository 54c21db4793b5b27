-- TOASTed columns an UPDATE did not touch are not in the WAL: they are left
-- out of SET (DEFAULT identity) or known from the old row (FULL).
\pset format unaligned
\pset tuples_only on
SET client_min_messages = warning;
CREATE TABLE big (id int PRIMARY KEY, small text, large text);
ALTER TABLE big ALTER COLUMN large SET STORAGE EXTERNAL;
CREATE TABLE big_full (id int, small text, large text);
ALTER TABLE big_full ALTER COLUMN large SET STORAGE EXTERNAL;
ALTER TABLE big_full REPLICA IDENTITY FULL;
-- A TOASTed key: its old value is logged even though it did not change.
CREATE TABLE big_key (k text PRIMARY KEY, v int);
ALTER TABLE big_key ALTER COLUMN k SET STORAGE EXTERNAL;
INSERT INTO big VALUES (1, 'a', repeat('x', 10000));
INSERT INTO big_full VALUES (1, 'a', repeat('y', 10000));
INSERT INTO big_key VALUES (repeat('k', 2500), 1);
SELECT 'init' FROM pg_create_logical_replication_slot('regress_toast', 'wal2sql');

UPDATE big SET small = 'b';
UPDATE big_full SET small = 'b';
UPDATE big_key SET v = 2;
UPDATE big SET large = repeat('z', 9000) || 'end';
-- Show the shape, not 10 kB of text.
SELECT regexp_replace(data, '([xyzk])\1{20,}', '\1...', 'g')
  FROM pg_logical_slot_get_changes('regress_toast', NULL, NULL, 'include_settings', '0', 'include_header', '0');

SELECT 'stop' FROM pg_drop_replication_slot('regress_toast');
DROP TABLE big, big_full, big_key;
