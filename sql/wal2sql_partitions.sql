-- Changes of partitioned tables are written against the partition that
-- holds the row, so they land there on replay; a row that moves between
-- partitions is a DELETE from one and an INSERT into the other.
\pset format unaligned
\pset tuples_only on
SET client_min_messages = warning;
CREATE TABLE measure (region text, id int, v int, PRIMARY KEY (region, id)) PARTITION BY LIST (region);
CREATE TABLE measure_eu PARTITION OF measure FOR VALUES IN ('eu');
CREATE TABLE measure_us PARTITION OF measure FOR VALUES IN ('us');
CREATE TABLE measure_other (id int, region text, v int, PRIMARY KEY (region, id));
ALTER TABLE measure ATTACH PARTITION measure_other DEFAULT;
SELECT 'init' FROM pg_create_logical_replication_slot('regress_partitions', 'wal2sql');

INSERT INTO measure VALUES ('eu', 1, 10), ('us', 2, 20), ('asia', 3, 30);
UPDATE measure SET v = v + 1 WHERE id = 1;
UPDATE measure SET region = 'us' WHERE id = 1;
UPDATE measure SET region = 'eu' WHERE id = 3;
DELETE FROM measure WHERE id = 2;
SELECT data FROM pg_logical_slot_get_changes('regress_partitions', NULL, NULL,
  'include_settings', '0', 'include_header', '0');

SELECT 'stop' FROM pg_drop_replication_slot('regress_partitions');
DROP TABLE measure;
