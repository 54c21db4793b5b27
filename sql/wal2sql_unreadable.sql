-- Values that no input function accepts (pg_node_tree, pg_ndistinct, ...,
-- and types built on them) cannot be written back: the diff writes NULL in
-- their place with a comment naming the column, leaves out a row whose
-- NOT NULL column holds one, and never compares them in a WHERE.
\pset format unaligned
\pset tuples_only on
SET client_min_messages = warning;
CREATE TABLE parted (k int) PARTITION BY RANGE (k);
CREATE TABLE parted_1 PARTITION OF parted FOR VALUES FROM (1) TO (10);
CREATE DOMAIN tree AS pg_node_tree;
CREATE TABLE trees (id int PRIMARY KEY, bound pg_node_tree, t tree, label text);
CREATE TABLE strict_trees (id int PRIMARY KEY, bound pg_node_tree NOT NULL);
SELECT 'init' FROM pg_create_logical_replication_slot('regress_unreadable', 'wal2sql');

INSERT INTO trees SELECT 1, relpartbound, relpartbound, 'one' FROM pg_class WHERE relname = 'parted_1';
INSERT INTO trees VALUES (2, NULL, NULL, 'two');
INSERT INTO strict_trees SELECT 1, relpartbound FROM pg_class WHERE relname = 'parted_1';
UPDATE trees SET label = 'uno' WHERE id = 1;
UPDATE trees SET bound = (SELECT relpartbound FROM pg_class WHERE relname = 'parted_1') WHERE id = 2;
-- FULL identity: the unreadable column is left out of the row's match.
CREATE TABLE class_copy AS SELECT relkind, relname, relpartbound FROM pg_class WHERE relname = 'parted_1';
ALTER TABLE class_copy REPLICA IDENTITY FULL;
UPDATE class_copy SET relname = 'renamed';
DELETE FROM class_copy;
SELECT data FROM pg_logical_slot_get_changes('regress_unreadable', NULL, NULL,
  'include_settings', '0', 'include_header', '0', 'include_transaction', '0')
  WHERE data NOT LIKE '%set_config%' AND data NOT LIKE 'RESET ROLE%' AND data NOT LIKE 'SET %';
SELECT 'stop' FROM pg_drop_replication_slot('regress_unreadable');
DROP TABLE parted, trees, strict_trees, class_copy;
DROP DOMAIN tree;
